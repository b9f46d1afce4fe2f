"""Teaching cases: read them, and check them against their questionnaire like a compiler.

A case is a YAML file (``docs/cases.md``): a referral-style ``story``, the ``answers``
the patient would give, the ``expected`` outcome and ``teaching_points`` with their sources.
Files are read through the loader (safe YAML with a source map); everything else here is pure.
:func:`check_case` proves a case against the tree: every answer known and allowed, every answer
on the path, the path complete, and the expected outcome the one the questionnaire gives. Each
problem is a diagnostic with the case file's line and column.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.engine import Session
from hamstring_cli.errors import (
    Code,
    Diagnostic,
    InvalidAnswer,
    Place,
    UserError,
    allowed_text,
    diagnostic,
    did_you_mean,
)
from hamstring_cli.field_reader import MISSING, FieldReader
from hamstring_cli.model import IMAGING_CHOICES, LEVELS, Answer, Questionnaire, Reference
from hamstring_cli.practice import Outcome, TeachingPoint, outcome_of
from hamstring_cli.resources import resolve_questionnaire
from hamstring_cli.safe_yaml import read_document
from hamstring_cli.scoring import Result, score
from hamstring_cli.sourcemap import DataPath, SourceMap

__all__ = [
    "EXAMINED",
    "Case",
    "CaseError",
    "CaseRun",
    "bundled_cases",
    "case_questionnaire",
    "check_case",
    "check_case_file",
    "find_case",
    "read_case",
    "read_cases",
    "run_case",
]

#: The folder of the bundled cases, beside the bundled questionnaires.
CASES_FOLDER = "cases"

CASE_KEYS = (
    "id",
    "title",
    "questionnaire",
    "story",
    "answers",
    "expected",
    "teaching_points",
    "references",
    "examined",
)
CASE_REQUIRED = CASE_KEYS[:-1]
#: The contract's question on whether a clinician examined the patient.
EXAMINED = "examined"
EXPECTED_KEYS = ("leading", "level", "imaging")
POINT_KEYS = ("text", "source")
REFERENCE_KEYS = ("id", "citation")
#: A teaching case's reference may also give the address a clinician can open.
REFERENCE_OPTIONAL = ("url",)
CASE_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")
#: A story reads as a referral: this many sentences, give or take (a warning, not an error).
STORY_SENTENCES = (2, 4)


class CaseError(UserError):
    """A teaching case that cannot be read, or that does not fit its questionnaire."""


@dataclass(frozen=True, slots=True)
class Case:
    """A teaching case as read from its file (answers are checked against a questionnaire later)."""

    id: str
    title: str
    questionnaire: str
    story: str
    answers: Mapping[str, object]
    expected: Outcome
    teaching_points: tuple[TeachingPoint, ...]
    references: tuple[Reference, ...]
    source: str = "<memory>"
    #: Whether the patient was examined, as the case declares it (None: from its answers).
    examined: bool | None = None
    places: SourceMap | None = field(default=None, compare=False, repr=False)

    @property
    def was_examined(self) -> bool:
        """Whether the story gives examination findings: declared, or read from the answers."""
        if self.examined is not None:
            return self.examined
        return self.answers.get(EXAMINED) == "yes"

    def place(self, *path: str | int, key: bool = False) -> Place:
        """Where a part of the case stands in its file (the file alone when unknown)."""
        if self.places is None:
            return Place(self.source)
        return self.places.key(path) if key else self.places.value(path)

    def citation(self, source: str, questionnaire: Questionnaire | None = None) -> str:
        """The citation of a teaching point's source: the case's own, else the questionnaire's."""
        for ref in self.references:
            if ref.id == source:
                return ref.citation
        found = questionnaire.reference(source) if questionnaire is not None else None
        return found.citation if found is not None else ""


def is_case_data(data: object) -> bool:
    """Whether a document is a teaching case: a mapping whose top level has story and answers."""
    return isinstance(data, dict) and "story" in data and "answers" in data


# ---------------------------------------------------------------------------------------------
# Reading


def read_case(path: str | os.PathLike[str]) -> Case:
    """Read a case file and check its shape (not yet its fit to the questionnaire).

    Raises:
        CaseError: the file cannot be read, is not a case, or has keys or values of the wrong
            shape; every problem found, each with its place.
    """
    data, places = read_document(path, error=CaseError)
    return parse_case(data, places)


def parse_case(data: object, places: SourceMap) -> Case:
    """Build a case from data read by the loader, collecting every shape problem.

    Raises:
        CaseError: as :func:`read_case`.
    """
    problems: list[Diagnostic] = []
    case = _CaseParser(places, problems).case(data)
    if problems or case is None:
        raise CaseError(sorted(problems, key=_line))
    return case


def _line(d: Diagnostic) -> tuple[int, int]:
    return (d.place.line or 0, d.place.column or 0) if d.place else (0, 0)


class _CaseParser(FieldReader):
    """The loader's shape checker (wrong types, unknown and missing keys with "did you mean",
    closed sets, web addresses), given the records of a teaching case."""

    def __init__(self, places: SourceMap, problems: list[Diagnostic]) -> None:
        super().__init__(places)
        self.problems = problems

    def text(
        self, value: object, path: DataPath, what: str, default: str | None = None
    ) -> str | None:
        """Text with its white space folded (a YAML ``>-`` block reads as one paragraph)."""
        found = super().text(value, path, what, default)
        return " ".join(found.split()) if found else found

    def case(self, data: object) -> Case | None:
        raw = self.mapping(data, (), "a teaching case", CASE_KEYS, CASE_REQUIRED)
        if raw is None:
            return None
        texts = {
            key: self.text(raw[key], (key,), f"the case's {key}") if key in raw else None
            for key in ("id", "title", "questionnaire", "story")
        }
        case_id = texts["id"]
        if case_id is not None and not CASE_ID.fullmatch(case_id):
            self.problems.append(
                diagnostic(
                    Code.BAD_VALUE,
                    self.map.value(("id",)),
                    what="the case id",
                    value=case_id,
                    hint="",
                    allowed="lower case letters, digits, - and _",
                )
            )
        answers = raw.get("answers")
        if "answers" in raw and not isinstance(answers, dict):
            self.wrong_type(
                ("answers",), "the case's answers", "a mapping of question id to answer", answers
            )
        expected = self.expected(raw.get("expected")) if "expected" in raw else None
        points = self.points(raw.get("teaching_points")) if "teaching_points" in raw else ()
        references = self.case_references(raw.get("references")) if "references" in raw else ()
        examined = raw.get("examined")
        if examined is not None and not isinstance(examined, bool):
            self.wrong_type(("examined",), "'examined'", "true or false", examined)
        if (
            self.problems
            or None in texts.values()
            or not isinstance(answers, dict)
            or expected is None
        ):
            return None
        return Case(
            id=str(texts["id"]),
            title=str(texts["title"]),
            questionnaire=str(texts["questionnaire"]),
            story=str(texts["story"]),
            answers={str(k): v for k, v in answers.items()},
            expected=expected,
            teaching_points=points,
            references=references,
            examined=examined if isinstance(examined, bool) else None,
            source=self.map.file,
            places=self.map,
        )

    def expected(self, raw: object) -> Outcome | None:
        path = ("expected",)
        found = self.mapping(raw, path, "the expected outcome", EXPECTED_KEYS, EXPECTED_KEYS)
        if found is None or any(k not in found for k in EXPECTED_KEYS):
            return None
        leading = found["leading"]
        if not isinstance(leading, str) or not leading:
            self.wrong_type(
                (*path, "leading"), "the expected leading condition", "a condition id", leading
            )
            return None
        level = self.choice(found["level"], (*path, "level"), "the expected level", LEVELS)
        imaging = self.choice(
            found["imaging"], (*path, "imaging"), "the expected imaging", IMAGING_CHOICES
        )
        if level is None or imaging is None:
            return None
        return Outcome(leading, level, imaging)

    def points(self, raw: object) -> tuple[TeachingPoint, ...]:
        path: tuple[str | int, ...] = ("teaching_points",)
        if not isinstance(raw, list) or not raw:
            self.wrong_type(path, "the teaching points", "a list of {text, source}", raw)
            return ()
        out: list[TeachingPoint] = []
        for i, item in enumerate(raw):
            what = f"teaching point {i + 1}"
            found = self.mapping(item, (*path, i), what, POINT_KEYS, POINT_KEYS)
            if found is None:
                continue
            if any(k not in found for k in POINT_KEYS):
                continue
            text = self.text(found["text"], (*path, i, "text"), f"the text of {what}")
            source = self.text(found["source"], (*path, i, "source"), f"the source of {what}")
            if text and source:
                out.append(TeachingPoint(text, source))
        return tuple(out)

    def case_references(self, raw: object) -> tuple[Reference, ...]:
        path: tuple[str | int, ...] = ("references",)
        if not isinstance(raw, list):
            self.wrong_type(path, "the references", "a list of {id, citation}", raw)
            return ()
        out: list[Reference] = []
        for i, item in enumerate(raw):
            what = f"reference {i + 1}"
            found = self.mapping(
                item, (*path, i), what, REFERENCE_KEYS + REFERENCE_OPTIONAL, REFERENCE_KEYS
            )
            if found is None:
                continue
            if any(k not in found for k in REFERENCE_KEYS):
                continue
            rid = self.text(found["id"], (*path, i, "id"), f"the id of {what}")
            citation = self.text(
                found["citation"], (*path, i, "citation"), f"the citation of {what}"
            )
            url = self.url(found.get("url", MISSING), (*path, i, "url"), f"the url of {what}")
            if rid and citation:
                out.append(Reference(rid, citation, self.map.value((*path, i)), url))
        return tuple(out)


# ---------------------------------------------------------------------------------------------
# Checking against the questionnaire


@dataclass(frozen=True, slots=True)
class CaseRun:
    """A case checked against its questionnaire: the answers on its path and the result."""

    case: Case
    questionnaire: Questionnaire
    answers: dict[str, Answer]
    result: Result

    @property
    def outcome(self) -> Outcome:
        """What the questionnaire gives for the case's answers."""
        return outcome_of(self.result)


def validate_answers(
    case: Case, questionnaire: Questionnaire
) -> tuple[dict[str, Answer], list[Diagnostic]]:
    """The case's answers validated by their questions, and a diagnostic for each refused one."""
    valid: dict[str, Answer] = {}
    problems: list[Diagnostic] = []
    for qid, raw in case.answers.items():
        question = questionnaire.by_id.get(qid)
        if question is None:
            problems.append(
                diagnostic(
                    Code.UNKNOWN_ANSWER_ID,
                    case.place("answers", qid, key=True),
                    allowed=tuple(questionnaire.by_id),
                    key=qid,
                    hint=did_you_mean(qid, questionnaire.by_id),
                )
            )
            continue
        try:
            valid[qid] = question.validate(raw)
        except InvalidAnswer as refused:
            invalid = refused.invalid
            fields = {"allowed": allowed_text(invalid.allowed), **invalid.fields}
            problems.append(
                Diagnostic(
                    invalid.detail.code,
                    invalid.detail.template.format(**fields),
                    invalid.detail.severity,
                    case.place("answers", qid),
                    qid,
                    invalid.allowed,
                )
            )
    return valid, problems


def check_case(case: Case, questionnaire: Questionnaire) -> list[Diagnostic]:
    """Every problem of a case against its questionnaire, errors and warnings, in file order.

    Errors: the case names another questionnaire; an answer to an unknown question, or a value
    its question does not allow; an answer off the path; a path that the answers leave
    unfinished; an expected item that differs from what the questionnaire gives; a teaching
    point whose source is in no references. Warnings: a story much shorter or longer than a
    referral, a reference no point cites.
    """
    problems: list[Diagnostic] = []
    if case.questionnaire != questionnaire.id:
        named = case.questionnaire
        # A file name where the id belongs: the questionnaire it names is the one checked.
        fix = (
            f": a case names its questionnaire by id, not by file; write "
            f"'questionnaire: {questionnaire.id}'"
            if _looks_like_file(named)
            else ""
        )
        problems.append(
            diagnostic(
                Code.CASE_OTHER_QUESTIONNAIRE,
                case.place("questionnaire"),
                named=named,
                actual=questionnaire.id,
                fix=fix,
            )
        )
    valid, refused = validate_answers(case, questionnaire)
    problems += refused
    problems += _check_sources(case, questionnaire)
    sentences = len(re.findall(r"[.!?](?:\s|$)", case.story))
    if not STORY_SENTENCES[0] <= sentences <= STORY_SENTENCES[1]:
        problems.append(diagnostic(Code.CASE_STORY_LENGTH, case.place("story"), count=sentences))
    conditions = [c.id for c in questionnaire.outcomes.conditions]
    if case.expected.leading not in conditions:
        problems.append(
            diagnostic(
                Code.BAD_VALUE,
                case.place("expected", "leading"),
                allowed=conditions,
                what="the expected leading condition",
                value=case.expected.leading,
                hint=did_you_mean(case.expected.leading, conditions),
            )
        )
    if not refused:
        problems += _check_path(case, questionnaire, valid)
    return sorted(problems, key=_line)


def _check_sources(case: Case, questionnaire: Questionnaire) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    known = [r.id for r in case.references] + [r.id for r in questionnaire.references]
    cited: set[str] = set()
    for i, point in enumerate(case.teaching_points):
        cited.add(point.source)
        if point.source not in known:
            problems.append(
                diagnostic(
                    Code.CASE_UNKNOWN_SOURCE,
                    case.place("teaching_points", i, "source"),
                    source=point.source,
                    hint=did_you_mean(point.source, known),
                )
            )
    for i, ref in enumerate(case.references):
        if ref.id not in cited:
            problems.append(
                diagnostic(Code.CASE_UNCITED_REFERENCE, case.place("references", i), id=ref.id)
            )
    return problems


def _check_path(
    case: Case, questionnaire: Questionnaire, valid: dict[str, Answer]
) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    steps, pending = Session(questionnaire, valid).walk()
    on_path = {s.question.id for s in steps}
    for qid in valid:
        if qid not in on_path:
            problems.append(
                diagnostic(Code.CASE_OFF_PATH, case.place("answers", qid, key=True), question=qid)
            )
    if pending is not None:
        problems.append(
            diagnostic(
                Code.CASE_INCOMPLETE,
                case.place("answers", key=True),
                question=pending.id,
                allowed=pending.allowed(),
                prompt=pending.prompt,
            )
        )
        return problems
    actual = outcome_of(score(questionnaire, {s.question.id: s.answer for s in steps}))
    for item in ("leading", "level", "imaging"):
        want, got = getattr(case.expected, item), getattr(actual, item)
        if want != got:
            problems.append(
                diagnostic(
                    Code.CASE_EXPECTED_MISMATCH,
                    case.place("expected", item),
                    item=item,
                    expected=want,
                    actual=got,
                )
            )
    return problems


def run_case(case: Case, questionnaire: Questionnaire) -> CaseRun:
    """The case's path answers and result, once the case checks clean.

    Raises:
        CaseError: the case has errors against the questionnaire (warnings do not count).
    """
    errors = [d for d in check_case(case, questionnaire) if d.severity == "error"]
    if errors:
        raise CaseError(errors)
    valid, _ = validate_answers(case, questionnaire)
    answers = Session(questionnaire, valid).path_answers
    return CaseRun(case, questionnaire, answers, score(questionnaire, answers))


# ---------------------------------------------------------------------------------------------
# The bundled cases


def bundled_cases(questionnaires_dir: Path) -> list[Path]:
    """The case files beside the bundled questionnaires, sorted by name."""
    folder = questionnaires_dir / CASES_FOLDER
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def read_cases(paths: Iterable[Path]) -> list[Case]:
    """Read several case files, refusing two with the same id.

    Raises:
        CaseError: every problem in every file (shape problems and duplicate ids).
    """
    cases: list[Case] = []
    problems: list[Diagnostic] = []
    seen: dict[str, str] = {}
    for path in paths:
        try:
            case = read_case(path)
        except CaseError as error:
            problems += error.diagnostics
            continue
        if case.id in seen:
            problems.append(
                diagnostic(
                    Code.CASE_DUPLICATE_CASE, case.place("id"), id=case.id, other=seen[case.id]
                )
            )
            continue
        seen[case.id] = case.source
        cases.append(case)
    if problems:
        raise CaseError(problems)
    return cases


def find_case(cases: Iterable[Case], case_id: str) -> Case:
    """The case with this id.

    Raises:
        CaseError: there is none (with a "did you mean" and the ids there are).
    """
    by_id = {c.id: c for c in cases}
    if case_id in by_id:
        return by_id[case_id]
    ids = sorted(by_id)
    raise CaseError(
        [
            diagnostic(
                Code.CASE_UNKNOWN_CASE,
                None,
                allowed=ids,
                id=case_id,
                hint=did_you_mean(case_id, ids),
            )
        ]
    )


# ---------------------------------------------------------------------------------------------
# Checking files, as ``hamstring check`` does


def check_case_file(
    path: str | os.PathLike[str],
    questionnaires: dict[str, Questionnaire] | None = None,
    *,
    document: tuple[object, SourceMap] | None = None,
) -> list[Diagnostic] | None:
    """Check a file if it is a teaching case; None when it is not one (a questionnaire, say).

    A document whose top level has ``story`` and ``answers`` is a case. Its questionnaire is
    found by the id the case gives: one already in ``questionnaires`` (a questionnaire file given
    to the same check registers there by its id), else a bundled one; it is loaded once per name
    into ``questionnaires``. A file name in place of the id is refused with the id to write.

    ``document`` is the file's data and source map when the caller has read it already with
    :func:`~hamstring_cli.safe_yaml.read_document` (``hamstring check`` reads each file once,
    for this and for the questionnaire loader); without it the file is read here.

    Returns:
        Every diagnostic of the case, errors and warnings, in file order; the questionnaire's
        own errors when it cannot be loaded.
    """
    if document is not None:
        data, places = document
    else:
        try:
            data, places = read_document(path, error=CaseError)
        except CaseError:
            # Unreadable as YAML: whether it was meant as a case is unknown, so the
            # questionnaire loader reports it with its own words.
            return None
    if not is_case_data(data):
        return None
    try:
        case = parse_case(data, places)
    except CaseError as error:
        return list(error.diagnostics)
    cache = questionnaires if questionnaires is not None else {}
    try:
        questionnaire = _case_questionnaire(case, Path(path).parent, cache)
    except UserError as error:
        return list(error.diagnostics)
    return check_case(case, questionnaire)


def case_questionnaire(case: Case, cache: dict[str, Questionnaire] | None = None) -> Questionnaire:
    """Load the questionnaire a case names by id (a bundled one).

    Raises:
        QuestionnaireError: the name finds no questionnaire, or it does not load.
    """
    return _case_questionnaire(case, Path(case.source).parent, {} if cache is None else cache)


def _looks_like_file(name: str) -> bool:
    return "/" in name or os.sep in name or Path(name).suffix in (".yaml", ".yml", ".json")


def _case_questionnaire(case: Case, folder: Path, cache: dict[str, Questionnaire]) -> Questionnaire:
    name = case.questionnaire
    # A questionnaire already loaded under this id (given to the same check, say) comes first.
    if name in cache:
        return cache[name]
    beside = folder / name
    key = str(beside) if beside.is_file() else name
    if key not in cache:
        cache[key] = load_questionnaire(beside if beside.is_file() else resolve_questionnaire(name))
    return cache[key]
