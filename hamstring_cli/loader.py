"""Build the questionnaire model from plain data: the parser of format 1.

The shape of the format is declared once, in :mod:`hamstring_cli.format_spec`: every record, its
keys, each key's kind and the words messages use for it. The parser reads each record by that
table: the scalars by their kind (:mod:`hamstring_cli.field_reader`), the conditions by their
form (:mod:`hamstring_cli.condition_reader`), and the records that the table says how to build
by the table alone (:mod:`hamstring_cli.record_reader`); this module puts the whole
questionnaire together and collects every problem with its place (file:line:column from the
:class:`~hamstring_cli.sourcemap.SourceMap`) and a "did you mean" where one helps. The YAML
itself is read by :mod:`hamstring_cli.safe_yaml`, the only module that imports PyYAML; this one
does not, so a cached questionnaire (whose data comes from JSON) is parsed here without it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple, TypeVar, cast

from hamstring_cli import format_spec as spec
from hamstring_cli.errors import Code, Diagnostic, Place, QuestionnaireError
from hamstring_cli.field_reader import MISSING
from hamstring_cli.format_spec import CONDITION_KEYS
from hamstring_cli.model import (
    END,
    LEVELS,
    ConditionDef,
    ConfidenceRule,
    ImagingRule,
    LevelText,
    Named,
    Note,
    Option,
    Outcomes,
    Question,
    Questionnaire,
    QuestionType,
    RedFlagRule,
    Reference,
    Route,
    SafetyNetRule,
    Scope,
    ScopeRule,
    ScoreRule,
    TriageRule,
)
from hamstring_cli.question_types import (
    OPTION_TYPES,
    QUESTION_TYPES,
    RANGE_TYPES,
    kind,
)
from hamstring_cli.record_reader import RecordReader
from hamstring_cli.sourcemap import DataPath, Key, SourceMap

__all__ = [
    "CONDITION_KEYS",
    "LoadReport",
    "load_report",
    "parse_questionnaire",
    "parse_report",
]

_R = TypeVar("_R")
_RECORDS = spec.RECORDS

# The keys each part allows, from the declaration (tests and other modules read these names)

TOP_KEYS = _RECORDS["questionnaire"].names()
TOP_REQUIRED = _RECORDS["questionnaire"].required()
REFERENCE_KEYS = _RECORDS["reference"].names()
REFERENCE_REQUIRED = _RECORDS["reference"].required()
QUESTION_KEYS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {t: _RECORDS["question"].names(t) for t in QUESTION_TYPES}
)
QUESTION_REQUIRED: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {t: _RECORDS["question"].required(t) for t in QUESTION_TYPES}
)
OPTION_KEYS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {t: _RECORDS["option"].names(t) for t in OPTION_TYPES}
)
OPTION_REQUIRED = _RECORDS["option"].required()
ROUTE_KEYS = _RECORDS["route"].names()
OUTCOME_KEYS = _RECORDS["outcomes"].names()
OUTCOME_REQUIRED = _RECORDS["outcomes"].required()
LEVEL_KEYS = _RECORDS["level"].names()
CONFIDENCE_KEYS = _RECORDS["confidence"].names()
CONDITION_DEF_KEYS = _RECORDS["condition_def"].names()
CONDITION_DEF_REQUIRED = _RECORDS["condition_def"].required()
TRIAGE_KEYS = _RECORDS["triage"].names()
TRIAGE_REQUIRED = _RECORDS["triage"].required()
SCORE_KEYS = _RECORDS["score"].names()
SCORE_REQUIRED = _RECORDS["score"].required()
RED_FLAG_KEYS = _RECORDS["red_flag"].names()
RED_FLAG_REQUIRED = _RECORDS["red_flag"].required()
IMAGING_KEYS = _RECORDS["imaging"].names()
IMAGING_REQUIRED = _RECORDS["imaging"].required("none")
IMAGING_MODALITIES = _RECORDS["imaging"].field("modality").allowed
SAFETY_NET_KEYS = _RECORDS["safety_net"].names()
SAFETY_NET_REQUIRED = _RECORDS["safety_net"].required()
NOTE_KEYS = _RECORDS["note"].names()
NOTE_REQUIRED = _RECORDS["note"].required()
NAMED_RULE_KEYS = _RECORDS["named_rule"].names()
NAMED_RULE_REQUIRED = _RECORDS["named_rule"].required()
SCOPE_KEYS = _RECORDS["scope"].names()
EXCLUSION_KEYS = _RECORDS["scope_exclusion"].names()
EXCLUSION_REQUIRED = _RECORDS["scope_exclusion"].required()
MODALITY_WORDS = spec.FORMS["advised"].field("advised").allowed


def _part(record: spec.Record, *keys: str) -> spec.Record:
    """The fields of ``record`` with these keys, read together by the parser's own builder."""
    fields = tuple(f for f in record.fields if f.key in keys)
    return spec.Record(record.name, record.doc, fields, label=record.label)


def _label(record: spec.Record, key: str, what: str = "") -> str:
    """How a message names the value of ``key`` in ``record``."""
    return record.label_of(record.field(key), what)


_TOP = _RECORDS["questionnaire"]
_TOP_SCALARS = _part(
    _TOP, "id", "version", "title", "description", "disclaimer", "disclaimer_summary", "start"
)
_QUESTION = _RECORDS["question"]
_QUESTION_TEXTS = _part(_QUESTION, "section", "prompt", "help", "next")
_QUESTION_RANGE = _part(_QUESTION, "min", "max", "unit")
_OPTION = _RECORDS["option"]
_OPTION_VALUE = _OPTION.field("value")
_OPTION_ROUTED = _part(_OPTION, "label", "help", "next", "uncertain")
_OPTION_UNROUTED = _part(_OPTION, "label", "help", "uncertain")
_CONDITION_TEXTS = _part(_RECORDS["condition_def"], "label", "description")
_SCOPE_SOURCE = _part(_RECORDS["scope"], "source")
_IMAGING = _RECORDS["imaging"]
_CONFIDENCE = _RECORDS["confidence"]
_DEFAULT_OUTCOMES = Outcomes(conditions=())


class LoadReport(NamedTuple):
    """A questionnaire that loaded and passed its checks, with the checker's warnings."""

    questionnaire: Questionnaire
    warnings: tuple[Diagnostic, ...] = ()


def load_report(path: str | os.PathLike[str]) -> LoadReport:
    """Read, build and check a questionnaire file, keeping the checker's warnings.

    Args:
        path: the questionnaire file.

    Returns:
        The questionnaire and the warnings of :func:`hamstring_cli.checks.check`.

    Raises:
        QuestionnaireError: every error found in the file (its ``diagnostics`` hold the
            warnings too), each with ``file:line:column``.
    """
    from hamstring_cli.safe_yaml import read_document

    data, source_map = read_document(path)
    return parse_report(data, source_map)


def parse_questionnaire(
    data: object, source_map: SourceMap, name: str | None = None
) -> Questionnaire:
    """Build and check a questionnaire from data read by :func:`read_document`.

    As :func:`parse_report`, but the warnings are dropped, and the search for rules that no
    path can satisfy (which finds only warnings) is left out, to keep every run fast.

    Raises:
        QuestionnaireError: as :func:`parse_report`.
    """
    return _parse(data, source_map, name, search=False).questionnaire


def parse_report(data: object, source_map: SourceMap, name: str | None = None) -> LoadReport:
    """Build a questionnaire from plain data, check it, and return it with the warnings.

    Shape comes first: wrong types, missing and unknown keys (with "did you mean"), bad enum
    values, malformed ids, duplicate ids, malformed conditions. All of these are collected;
    when there are any, they are raised together and the whole-questionnaire checks
    (:func:`hamstring_cli.checks.check`: targets, cycles, references...) are not run, because
    they would read a model with holes in it and report follow-on errors. Otherwise the checks
    run, and their errors are raised together with their warnings.

    Args:
        data: the document's data.
        source_map: the places of that data.
        name: the questionnaire's ``source`` (default: the source map's file name).

    Returns:
        The questionnaire (``source`` and ``content_hash`` set) and the checker's warnings.

    Raises:
        QuestionnaireError: every error found, sorted by place (with the warnings, if the
            checks ran).
    """
    return _parse(data, source_map, name, search=True)


def _parse(data: object, source_map: SourceMap, name: str | None, *, search: bool) -> LoadReport:
    # As for reading (safe_yaml.read_document): the model and the checker's tables are many
    # new objects and no garbage cycles, so the cycle collector is off while they are made.
    # Nothing is allocated before it is turned off: the read just before has left many
    # objects counted, and the first allocation would start a pass over them all.
    import gc  # here: a run that reads no questionnaire does without it

    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build_report(data, source_map, name, search=search)
    finally:
        if collecting:
            gc.enable()


def _build_report(
    data: object, source_map: SourceMap, name: str | None, *, search: bool
) -> LoadReport:
    parser = _Parser(source_map)
    questionnaire = parser.questionnaire(data, name or source_map.file)
    if parser.problems or questionnaire is None:
        raise QuestionnaireError(_by_place(parser.problems))
    from hamstring_cli.checks import check  # a cached load (cache.py) needs no checks

    found = check(questionnaire, search=search)
    if any(d.severity == "error" for d in found):
        raise QuestionnaireError(_by_place(found))
    return LoadReport(questionnaire, tuple(_by_place(found)))


def _by_place(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    def key(d: Diagnostic) -> tuple[int, int]:
        place = d.place
        return (place.line or 0, place.column or 0) if place else (0, 0)

    return sorted(diagnostics, key=key)


class _Parser(RecordReader):
    """Checks the shape of the data and builds the model, collecting every problem."""

    def __init__(self, source_map: SourceMap) -> None:
        super().__init__(source_map)
        self.next_at: dict[tuple[str, str], Place] = {}

    def read(
        self, record: spec.Record, raw: Mapping[Key, object], path: DataPath, what: str
    ) -> dict[str, Any]:
        """The values of ``record``'s fields in ``raw`` (see :meth:`RecordReader.values`)."""
        return self.values(record, raw, path, what)[0]

    # -- the document --------------------------------------------------------------------------

    def questionnaire(self, data: object, source: str) -> Questionnaire | None:
        top = self.mapping(data, (), "the questionnaire", TOP_KEYS, TOP_REQUIRED)
        if top is None:
            return None
        if (
            "format" in top
            and self.field(_TOP.field("format"), top["format"], ("format",), "format") is None
        ):
            # A future format may mean anything: reading on would report noise.
            return None
        got = self.read(_TOP_SCALARS, top, (), "")
        references = self.references(top.get("references", []))
        required, required_at = self.required(top.get("required", []))
        rules = self.named_rules(top.get("rules", []))
        questions = self.questions(top.get("questions", []))
        outcomes = self.outcomes(top.get("outcomes", MISSING))
        if outcomes is None or any(k in top and k not in got for k in _TOP_SCALARS.names()):
            return None
        if any(k not in got for k in ("id", "version", "title", "disclaimer")):
            return None
        return Questionnaire(
            id=got["id"],
            version=got["version"],
            title=got["title"],
            questions=tuple(questions),
            outcomes=outcomes,
            description=got.get("description", ""),
            disclaimer=got["disclaimer"],
            references=tuple(references),
            start=got.get("start", ""),
            required=required,
            source=source,
            content_hash=self.map.digest,
            start_at=self.at(("start",)) if "start" in top else None,
            required_at=required_at,
            next_at=MappingProxyType(self.next_at),
            disclaimer_summary=got.get("disclaimer_summary", ""),
            rules=rules,
        )

    def required(self, value: object) -> tuple[tuple[str, ...], tuple[Place | None, ...]]:
        """The questions every path must pass, and where each is named."""
        required: list[str] = []
        required_at: list[Place | None] = []
        for i, item in enumerate(self.sequence(value, ("required",), "required")):
            found = self.question_id(item, ("required", i), "a required question")
            if found is not None:
                required.append(found)
                required_at.append(self.at(("required", i)))
        return tuple(required), tuple(required_at)

    def references(self, value: object) -> list[Reference]:
        out: list[Reference] = []
        seen: dict[str, Place] = {}
        record = _RECORDS["reference"]
        for i, item in enumerate(self.sequence(value, ("references",), "references")):
            path: DataPath = ("references", i)
            ref = self.mapping(item, path, f"reference {i + 1}", REFERENCE_KEYS, REFERENCE_REQUIRED)
            if ref is None:
                continue
            got, whole = self.values(record, ref, path, "")
            rid = cast("str | None", got.get("id"))
            if self.unique(seen, rid, (*path, "id"), "reference") and whole:
                out.append(cast(Reference, self.make(record, got, path)))
        return out

    def named_rules(self, value: object) -> tuple[Named, ...]:
        """Read the named rules: every name first, then each condition (which may read others)."""
        seen: dict[str, Place] = {}
        order: list[str] = []
        record = _RECORDS["named_rule"]
        for i, item in enumerate(self.sequence(value, ("rules",), "rules")):
            path: DataPath = ("rules", i)
            raw = self.mapping(
                item, path, f"named rule {i + 1}", NAMED_RULE_KEYS, NAMED_RULE_REQUIRED
            )
            if raw is None:
                continue
            name = self.question_id(raw.get("id", MISSING), (*path, "id"), _label(record, "id"))
            words = self.field(
                record.field("description"),
                raw.get("description", ""),
                (*path, "description"),
                _label(record, "description", f"named rule '{name}'"),
            )
            if self.unique(seen, name, (*path, "id"), "named rule") and name is not None:
                order.append(name)
                self.rule_names.add(name)
                self.rule_words[name] = cast(str, words or "")
                if "when" in raw:
                    self.rule_data[name] = (raw["when"], (*path, "when"))
        out: list[Named] = []
        for name in order:
            found = self.named(name, None)
            if found is not None:
                out.append(found)
        return tuple(out)

    # -- questions -----------------------------------------------------------------------------

    def questions(self, value: object) -> list[Question]:
        out: list[Question] = []
        seen: dict[str, Place] = {}
        for i, item in enumerate(self.sequence(value, ("questions",), "questions")):
            question = self.question(item, ("questions", i), i)
            if question is not None and self.unique(
                seen, question.id, ("questions", i, "id"), "question"
            ):
                out.append(question)
        return out

    def question_type(
        self, value: dict[Key, object], path: DataPath, label: str
    ) -> QuestionType | None:
        """The question's type, its keys checked against it (None, after a report, when wrong)."""
        qtype: str | None = None
        if "type" in value:
            qtype = self.choice(
                value["type"], (*path, "type"), f"the type of {label}", QUESTION_TYPES
            )
        if qtype is None:
            all_keys = tuple(dict.fromkeys(k for keys in QUESTION_KEYS.values() for k in keys))
            self.mapping(value, path, label, all_keys, ("id", "type", "prompt"))
            return None
        ranged = " or ".join(RANGE_TYPES)
        hints = (
            {k: f" ({k} is for {ranged} questions)" for k in ("min", "max", "unit")}
            if kind(qtype).options
            else {"options": f" ({qtype} questions take min and max, not options)"}
        )
        self.mapping(value, path, label, QUESTION_KEYS[qtype], QUESTION_REQUIRED[qtype], hints)
        return qtype

    def question(self, value: object, path: DataPath, index: int) -> Question | None:
        if not isinstance(value, dict):
            self.wrong_type(path, f"question {index + 1}", "a mapping", value)
            return None
        raw_id = value.get("id", MISSING)
        label = f"question '{raw_id}'" if isinstance(raw_id, str) else f"question {index + 1}"
        qtype = self.question_type(value, path, label)
        if qtype is None:
            return None
        qid = self.question_id(raw_id, (*path, "id"), _label(_QUESTION, "id"))
        if qid == END:
            self.bad_value(
                (*path, "id"), "a question id", END, f"any id but '{END}', which ends a path"
            )
            qid = None
        got = self.read(_QUESTION_TEXTS, value, path, label)
        options: list[Option] = []
        if kind(qtype).options and "options" in value:
            options = self.options(value["options"], (*path, "options"), label, qtype)
        elif not kind(qtype).options:
            got.update(self.range(value, path, label))
        routes: list[Route] = []
        for i, item in enumerate(
            self.sequence(value.get("routes", []), (*path, "routes"), f"routes of {label}")
        ):
            route = self.record(
                _RECORDS["route"], item, (*path, "routes", i), f"route {i + 1} of {label}"
            )
            if route is not None:
                routes.append(cast(Route, route))
        if qid is None or "prompt" not in got:
            return None
        self.next_places(qid, value, path)
        return Question(
            id=qid,
            type=qtype,
            options=tuple(options),
            routes=tuple(routes),
            at=self.at(path),
            **got,
        )

    def range(self, value: dict[Key, object], path: DataPath, label: str) -> dict[str, Any]:
        """The lowest and highest answer of a question with a range, and its unit."""
        got = self.read(_QUESTION_RANGE, value, path, label)
        minimum, maximum = got.get("min"), got.get("max")
        if minimum is not None and maximum is not None and minimum > maximum:
            self.bad_value(
                (*path, "max"),
                f"max of {label}",
                maximum,
                f"a whole number not below min ({minimum})",
            )
        return {"minimum": minimum, "maximum": maximum, "unit": got.get("unit", "")}

    def next_places(self, qid: str, value: dict[Key, object], path: DataPath) -> None:
        """Record where each ``next`` of a question stands, for the checker's messages."""
        at = self.next_at
        if "next" in value:
            at[(qid, "next")] = self.at((*path, "next"))
        options = value.get("options")
        for i, option in enumerate(options if isinstance(options, list) else ()):
            if isinstance(option, dict) and "next" in option:
                at[(qid, f"option {option.get('value')}")] = self.at((*path, "options", i, "next"))
        routes = value.get("routes")
        for i, route in enumerate(routes if isinstance(routes, list) else (), 1):
            if isinstance(route, dict) and "next" in route:
                at[(qid, f"route {i}")] = self.at((*path, "routes", i - 1, "next"))

    def options(self, value: object, path: DataPath, label: str, qtype: str) -> list[Option]:
        out: list[Option] = []
        seen: dict[str, Place] = {}
        takes = kind(qtype)
        hints: dict[str, str] = {}
        if not takes.option_routes:
            hints["next"] = " (only choice options route)"
        if not takes.option_uncertain:
            hints["uncertain"] = " (only choice options are uncertain: ask 'not sure' as a choice)"
        fields = _OPTION_ROUTED if takes.option_routes else _OPTION_UNROUTED
        for i, item in enumerate(self.sequence(value, path, f"options of {label}", non_empty=True)):
            opath = (*path, i)
            what = f"option {i + 1} of {label}"
            opt = self.mapping(
                item, opath, what, OPTION_KEYS[qtype], OPTION_REQUIRED, hints or None
            )
            if opt is None or "value" not in opt:
                continue
            raw = self.field(
                _OPTION_VALUE, opt["value"], (*opath, "value"), _label(_OPTION, "value", what)
            )
            if raw is None:
                continue
            got = self.read(fields, opt, opath, f"option '{raw}' of {label}")
            value = cast(str, raw)
            if self.unique(seen, value, (*opath, "value"), "option") and "label" in got:
                out.append(Option(value, at=self.at((*opath, "value")), **got))
        return out

    # -- outcomes ------------------------------------------------------------------------------

    def outcomes(self, value: object) -> Outcomes | None:
        if value is MISSING:
            return None
        path: DataPath = ("outcomes",)
        out = self.mapping(value, path, "outcomes", OUTCOME_KEYS, OUTCOME_REQUIRED)
        if out is None:
            return None
        get = out.get
        levels = self.levels(get("levels", MISSING))
        confidence = self.confidence(get("confidence", MISSING))
        conditions = self.condition_defs(get("conditions", []))
        triage = self.rules(get("triage", []), "triage", self.triage_rule)
        scope = self.scope(get("scope", MISSING))
        scores = self.rules(get("scores", []), "scores", self.rule_of("score", ScoreRule))
        red_flags = self.red_flags(get("red_flags", []))
        imaging = self.rules(get("imaging", []), "imaging", self.imaging)
        notes = self.rules(get("notes", []), "notes", self.rule_of("note", Note))
        safety_net = self.rules(
            get("safety_net", []), "safety_net", self.rule_of("safety_net", SafetyNetRule)
        )
        no_imaging = self.text(
            get("no_imaging_reason", MISSING),
            (*path, "no_imaging_reason"),
            _label(_RECORDS["outcomes"], "no_imaging_reason"),
            _DEFAULT_OUTCOMES.no_imaging_reason,
        )
        if levels is None or no_imaging is None or scope is None:
            return None
        return Outcomes(
            conditions=tuple(conditions),
            scores=tuple(scores),
            red_flags=tuple(red_flags),
            imaging=tuple(imaging),
            no_imaging_reason=no_imaging,
            levels=MappingProxyType(levels),
            notes=tuple(notes),
            confidence=confidence,
            safety_net=tuple(safety_net),
            triage=tuple(triage),
            scope=scope,
        )

    def levels(self, value: object) -> dict[str, LevelText] | None:
        if value is MISSING:
            return None
        path: DataPath = ("outcomes", "levels")
        raw = self.mapping(value, path, "levels", LEVELS, LEVELS)
        if raw is None:
            return None
        out: dict[str, LevelText] = {}
        for level in LEVELS:
            if level not in raw:
                continue
            found = self.record(_RECORDS["level"], raw[level], (*path, level), f"level '{level}'")
            if found is not None:
                out[level] = cast(LevelText, found)
        return out if len(out) == len(LEVELS) else None

    def confidence(self, value: object) -> ConfidenceRule:
        default = ConfidenceRule()
        if value is MISSING:
            return default
        path: DataPath = ("outcomes", "confidence")
        raw = self.mapping(value, path, "confidence", CONFIDENCE_KEYS)
        if raw is None:
            return default
        got = self.read(_CONFIDENCE, raw, path, "")
        high = got.get("high_margin", default.high_margin)
        moderate = got.get("moderate_margin", default.moderate_margin)
        fraction = got.get("max_uncertain_fraction", default.max_uncertain_fraction)
        if moderate > high:
            self.bad_value(
                (*path, "moderate_margin"),
                "moderate_margin",
                moderate,
                f"a number not above high_margin ({high})",
            )
        if not 0 <= fraction <= 1:
            self.bad_value(
                (*path, "max_uncertain_fraction"),
                "max_uncertain_fraction",
                fraction,
                "a number from 0 to 1",
            )
        return ConfidenceRule(high, moderate, fraction)

    def rules(
        self,
        value: object,
        key: str,
        build: Callable[[dict[Key, object], DataPath, str], _R | None],
    ) -> list[_R]:
        out: list[_R] = []
        path: DataPath = ("outcomes", key)
        for i, item in enumerate(self.sequence(value, path, key)):
            if not isinstance(item, dict):
                self.wrong_type((*path, i), f"{key} rule {i + 1}", "a mapping", item)
                continue
            rule = build(item, (*path, i), f"{key} rule {i + 1}")
            if rule is not None:
                out.append(rule)
        return out

    def rule_of(
        self, name: str, model: type[_R]
    ) -> Callable[[dict[Key, object], DataPath, str], _R | None]:
        """The builder of a rule record read by its declaration alone.

        ``model`` types what it builds: the model record the table names (``Record.builds``),
        or one that holds the same values by the same keys.
        """
        record = _RECORDS[name]

        def build(raw: dict[Key, object], path: DataPath, what: str) -> _R | None:
            return cast("_R | None", self.record(record, raw, path, what))

        return build

    def condition_defs(self, value: object) -> list[ConditionDef]:
        out: list[ConditionDef] = []
        seen: dict[str, Place] = {}
        path: DataPath = ("outcomes", "conditions")
        record = _RECORDS["condition_def"]
        for i, item in enumerate(self.sequence(value, path, "conditions", non_empty=True)):
            cpath = (*path, i)
            raw = self.mapping(
                item, cpath, f"condition {i + 1}", CONDITION_DEF_KEYS, CONDITION_DEF_REQUIRED
            )
            if raw is None:
                continue
            cid = self.question_id(raw.get("id", MISSING), (*cpath, "id"), _label(record, "id"))
            what = f"condition '{cid}'" if cid else f"condition {i + 1}"
            got = self.read(_CONDITION_TEXTS, raw, cpath, what)
            triage: list[TriageRule] = []
            tpath = (*cpath, "triage")
            raw_triage = raw.get("triage", [])
            for j, entry in enumerate(self.sequence(raw_triage, tpath, f"triage of {what}")):
                rule = self.triage_rule(entry, (*tpath, j), f"triage rule {j + 1} of {what}")
                if rule is not None:
                    triage.append(rule)
            if self.unique(seen, cid, (*cpath, "id"), "condition") and cid and got.get("label"):
                out.append(ConditionDef(cid, triage=tuple(triage), at=self.at(cpath), **got))
        return out

    def triage_rule(self, value: object, path: DataPath, what: str) -> TriageRule | None:
        """A triage rule: of a condition (when it leads), or of the outcomes (whatever leads)."""
        return cast("TriageRule | None", self.record(_RECORDS["triage"], value, path, what))

    def scope(self, value: object) -> Scope | None:
        """Whom the rules cover (the default scope when the key is left out)."""
        if value is MISSING:
            return Scope()
        path: DataPath = ("outcomes", "scope")
        raw = self.mapping(value, path, "scope", SCOPE_KEYS)
        if raw is None:
            return None
        record = _RECORDS["scope"]
        # Blank words are the default's: read as text that may be blank.
        reason = self.text(
            raw.get("reason", MISSING),
            (*path, "reason"),
            _label(record, "reason", "scope"),
            Scope().reason,
        )
        got = self.read(_SCOPE_SOURCE, raw, path, "scope")
        exclusions: list[ScopeRule] = []
        epath = (*path, "exclusions")
        rule = _RECORDS["scope_exclusion"]
        for i, item in enumerate(self.sequence(raw.get("exclusions", []), epath, "exclusions")):
            found = self.record(rule, item, (*epath, i), f"scope exclusion {i + 1}")
            if found is not None:
                exclusions.append(cast(ScopeRule, found))
        if reason is None or ("source" in raw and "source" not in got):
            return None
        return Scope(reason, tuple(exclusions), got.get("source"))

    def red_flags(self, value: object) -> list[RedFlagRule]:
        rules = self.rules(value, "red_flags", self.rule_of("red_flag", RedFlagRule))
        seen: dict[str, Place] = {}
        out: list[RedFlagRule] = []
        for rule in rules:
            place = rule.at or Place(self.map.file)
            if rule.id in seen:
                self.report(
                    Code.DUPLICATE_ID,
                    place,
                    what="red flag",
                    id=rule.id,
                    first_line=seen[rule.id].line,
                )
                continue
            seen[rule.id] = place
            out.append(rule)
        return out

    def imaging(self, raw: dict[Key, object], path: DataPath, what: str) -> ImagingRule | None:
        """An imaging rule; 'none' (no study) takes fewer keys, each left out said so."""
        if raw.get("modality") == "none":
            allowed = _IMAGING.names("none")
            hints = {k: " (left out with modality none)" for k in IMAGING_KEYS if k not in allowed}
            self.mapping(raw, path, what, allowed, IMAGING_REQUIRED, hints)
        else:
            self.mapping(raw, path, what, IMAGING_KEYS, (*IMAGING_REQUIRED, "urgency"))
        rule = cast("ImagingRule | None", self.build(_IMAGING, raw, path, what))
        if rule is not None and rule.modality == "none":
            return rule._replace(modality=None)
        return rule
