"""Build the questionnaire model from plain data: the parser of format 1.

The shape of the format is declared once, in :mod:`hamstring_cli.format_spec`; this
module reads the keys, closed sets, id patterns and number ranges from there, checks every
scalar by its declared kind, builds the model's records, and collects every problem with its
place (file:line:column from the :class:`~hamstring_cli.sourcemap.SourceMap`) and a "did you
mean" where one helps. The YAML itself is read by :mod:`hamstring_cli.safe_yaml`, the only
module that imports PyYAML; this one does not, so a cached questionnaire (whose data comes from
JSON) is parsed here without it.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, NamedTuple, TypeAlias, TypeVar, cast

from hamstring_cli import format_spec as spec
from hamstring_cli.errors import (
    Code,
    Detail,
    Diagnostic,
    Place,
    QuestionnaireError,
    diagnostic,
    did_you_mean,
)
from hamstring_cli.format_spec import COMPARISONS, CONDITION_KEYS, FORM_OF, QUESTION_TESTS
from hamstring_cli.model import (
    END,
    LEVELS,
    TIMEFRAMES,
    Advised,
    All,
    Answered,
    AnyOf,
    AtLeast,
    Compare,
    Condition,
    ConditionDef,
    ConfidenceRule,
    Contains,
    Equals,
    ImagingRule,
    Leading,
    LevelText,
    Named,
    Not,
    Note,
    OneOf,
    Option,
    Outcomes,
    Question,
    Questionnaire,
    RedFlagRule,
    Reference,
    Route,
    SafetyNetRule,
    Scope,
    ScopeRule,
    ScoreRule,
    TriageRule,
    describe_type,
    short_number,
    short_text,
)
from hamstring_cli.question_types import OPTION_TYPES, QUESTION_TYPES, RANGE_TYPES, kind
from hamstring_cli.sourcemap import DataPath, Key, SourceMap

if TYPE_CHECKING:  # read_document is imported on first use: it brings PyYAML
    from hamstring_cli.safe_yaml import read_document

__all__ = [
    "MISSING",
    "DataPath",
    "Key",
    "LoadReport",
    "Parser",
    "SourceMap",
    "load_report",
    "parse_questionnaire",
    "parse_report",
    "read_document",
]


def __getattr__(name: str) -> object:
    # ``from hamstring_cli.loader import read_document`` keeps working, without making every
    # import of the parser import PyYAML.
    if name == "read_document":
        from hamstring_cli.safe_yaml import read_document

        return read_document
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_R = TypeVar("_R")
_RECORDS = spec.RECORDS

# ---------------------------------------------------------------------------------------------
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

QUESTIONNAIRE_ID = re.compile(spec.PATTERNS["questionnaire_id"])
QUESTION_ID = re.compile(spec.PATTERNS["question_id"])
REFERENCE_ID = re.compile(spec.PATTERNS["reference_id"])
_URL = re.compile(spec.PATTERNS["url"])
_URL_WORDS = spec.PATTERN_WORDS["url"]
#: What no text of a questionnaire or a teaching case may hold: C0 controls but the tab and
#: the line break, DEL, C1 controls, line and paragraph separators, bidirectional overrides and
#: isolates, and lone surrogates. Each could move, retitle or clear the terminal the text is
#: drawn on, or show it in another order than it is read (``check`` refuses them, E020).
CONTROL_IN_TEXT = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_ID_WORDS = spec.PATTERN_WORDS["question_id"]
#: An option value is also written as a FHIR code: no white space at either end or in a run.
_OPTION_VALUE = re.compile(spec.PATTERNS["option_value"])
_OPTION_VALUE_WORDS = spec.PATTERN_WORDS["option_value"]
_QUESTION_ID_MATCH = QUESTION_ID.fullmatch
_QUESTION = _RECORDS["question"]
_CONDITION_KEY_SET = frozenset(CONDITION_KEYS)
_TEST_SET = frozenset(QUESTION_TESTS)
_COMPARISON_SET = frozenset(COMPARISONS)
_COMPARE = spec.FORMS["compare"]
_CONFIDENCE = _RECORDS["confidence"]


# ---------------------------------------------------------------------------------------------
# Building the model


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


_MISSING = object()


def _bound(value: float | None) -> str:
    if value is None:
        return ""
    return f"{int(value):,}" if float(value).is_integer() else str(value)


#: Names for the control characters a message is likeliest to meet.
_CONTROL_NAMES = {
    0x07: "BEL",
    0x08: "backspace",
    0x0D: "carriage return",
    0x1B: "ESC",
    0x7F: "DEL",
    0x9B: "CSI",
    0x2028: "line separator",
    0x2029: "paragraph separator",
    0x202E: "right-to-left override",
}

_Op: TypeAlias = Literal["lt", "lte", "gt", "gte"]
_DEFAULT_OUTCOMES = Outcomes(conditions=())


class _Parser:
    """Checks the shape of the data and builds the model, collecting every problem."""

    def __init__(self, source_map: SourceMap) -> None:
        self.map = source_map
        self.problems: list[Diagnostic] = []
        self.next_at: dict[tuple[str, str], Place] = {}
        #: The named rules as written (their data and path), and as read so far; a rule being
        #: read maps to None, so a rule that reads itself (through others) is found.
        self.rule_data: dict[str, tuple[object, DataPath]] = {}
        self.rule_read: dict[str, Named | None] = {}
        self.rule_stack: list[str] = []
        self.rule_names: set[str] = set()
        self.rule_words: dict[str, str] = {}

    # -- small tools ---------------------------------------------------------------------------

    def at(self, path: DataPath) -> Place:
        return self.map.value(path)

    def report(self, detail: Detail, place: Place, /, **fields: object) -> None:
        self.problems.append(diagnostic(detail, place, question=None, allowed=(), **fields))

    def wrong_type(self, path: DataPath, what: str, expected: str, value: object) -> None:
        self.report(
            Code.WRONG_TYPE,
            self.at(path),
            what=what,
            expected=expected,
            actual=describe_type(value),
        )

    def mapping(
        self,
        value: object,
        path: DataPath,
        what: str,
        allowed: Sequence[str],
        required: Sequence[str] = (),
        hints: Mapping[str, str] | None = None,
    ) -> dict[Key, object] | None:
        """The value as a mapping with only allowed keys and every required one, or None."""
        if not isinstance(value, dict):
            self.wrong_type(path, what, "a mapping", value)
            return None
        for key in value:
            if key not in allowed:
                text = str(key)
                hint = (hints or {}).get(text) or did_you_mean(text, allowed)
                self.problems.append(
                    diagnostic(
                        Code.UNKNOWN_KEY,
                        self.map.key((*path, key)),
                        allowed=allowed,
                        key=text,
                        what=what,
                        hint=hint,
                    )
                )
        for key in required:
            if key not in value:
                self.report(Code.MISSING_KEY, self.at(path), what=what, key=key)
        return value

    def sequence(
        self, value: object, path: DataPath, what: str, *, non_empty: bool = False
    ) -> list[object]:
        """The value as a list (empty, after a report, when it is not one)."""
        if not isinstance(value, list):
            self.wrong_type(path, what, "a list", value)
            return []
        if non_empty and not value:
            self.report(
                Code.WRONG_TYPE,
                self.at(path),
                what=what,
                expected="a list with at least one item",
                actual="an empty list",
            )
        return value

    def text(
        self, value: object, path: DataPath, what: str, default: str | None = None
    ) -> str | None:
        """Text: required (``default`` None) text must not be blank; optional text may be.

        A missing key gives ``default`` (a missing required key is reported by ``mapping``).
        """
        if type(value) is str and value.strip():  # the common case, first
            if not value.isprintable():
                self.controls(value, path, what)
            return value
        if value is _MISSING:
            return default
        if isinstance(value, str):
            if default is not None:
                return default
            self.report(
                Code.WRONG_TYPE,
                self.at(path),
                what=what,
                expected="some text",
                actual="empty text",
            )
            return None
        # A bare 1.0 or 12 is a number in YAML: say how to make it text.
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        self.wrong_type(path, what, 'text (in quotes, "1.0")' if number else "text", value)
        return None

    def controls(self, value: str, path: DataPath, what: str) -> None:
        """Report the first control character in a text (see :data:`CONTROL_IN_TEXT`)."""
        found = CONTROL_IN_TEXT.search(value)
        if found is not None:
            code = ord(found.group())
            name = _CONTROL_NAMES.get(code, "")
            character = f"U+{code:04X}" + (f" ({name})" if name else "")
            self.report(Code.CONTROL_CHARACTER, self.at(path), what=what, character=character)

    def ident(
        self, value: object, path: DataPath, what: str, pattern: re.Pattern[str], words: str
    ) -> str | None:
        """An id of the given pattern."""
        if value is _MISSING:
            return None
        if not isinstance(value, str):
            self.wrong_type(path, what, f"an id ({words})", value)
            return None
        if not pattern.fullmatch(value):
            self.bad_value(path, what, value, words)
            return None
        return value

    def bad_value(
        self, path: DataPath, what: str, value: object, allowed: str, hint: str = ""
    ) -> None:
        """Report a value outside what is allowed (``allowed`` in words)."""
        # ``allowed`` is a keyword of ``diagnostic``; format the message here.
        detail = Code.BAD_VALUE
        if isinstance(value, str):
            value = short_text(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            value = short_number(value)
        message = detail.template.format(what=what, value=value, hint=hint, allowed=allowed)
        self.problems.append(Diagnostic(detail.code, message, detail.severity, self.at(path)))

    def url(self, value: object, path: DataPath, what: str) -> str | None:
        """An optional web address: https, a host, no spaces."""
        if value is _MISSING:
            return None
        if not isinstance(value, str):
            self.wrong_type(path, what, "a web address (https://...)", value)
            return None
        if not value.isprintable() and CONTROL_IN_TEXT.search(value):
            self.controls(value, path, what)
            return None
        if not _URL.fullmatch(value):
            self.bad_value(path, what, value, _URL_WORDS)
            return None
        return value

    def question_id(self, value: object, path: DataPath, what: str) -> str | None:
        if type(value) is str and _QUESTION_ID_MATCH(value):  # the common case, first
            return value
        return self.ident(value, path, what, QUESTION_ID, _ID_WORDS)

    def target(self, value: object, path: DataPath, what: str) -> str | None:
        """A ``next`` target: a question id or ``end`` (whether it exists is the checker's)."""
        return self.ident(value, path, what, QUESTION_ID, f"a question id or '{END}'")

    def choice(
        self, value: object, path: DataPath, what: str, allowed: Sequence[str]
    ) -> str | None:
        """One of a fixed set of words."""
        if value is _MISSING:
            return None
        if not isinstance(value, str) or value not in allowed:
            shown = value if isinstance(value, str) else describe_type(value)
            self.problems.append(
                diagnostic(
                    Code.BAD_VALUE,
                    self.at(path),
                    allowed=allowed,
                    what=what,
                    value=shown,
                    hint=did_you_mean(str(value), allowed),
                )
            )
            return None
        return value

    def integer(
        self, value: object, path: DataPath, what: str, field: spec.Field | None = None
    ) -> int | None:
        """A whole number (``1.0`` is not one), within the field's declared range."""
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            expected = "a whole number"
            if isinstance(value, float) and math.isfinite(value) and value.is_integer():
                expected = f"a whole number ({int(value)}, not {value})"
            self.wrong_type(path, what, expected, value)
            return None
        return value if self.in_range(value, path, what, field, "a whole number") else None

    def number(
        self, value: object, path: DataPath, what: str, field: spec.Field | None = None
    ) -> float | None:
        """A finite number within the field's declared range."""
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.wrong_type(path, what, "a number", value)
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.bad_value(path, what, value, "a finite number")
            return None
        if not self.in_range(value, path, what, field, "a number"):
            return None
        return float(value)

    def in_range(
        self, value: float, path: DataPath, what: str, field: spec.Field | None, words: str
    ) -> bool:
        """Whether ``value`` is within ``field``'s bounds (reported, shortened, when not)."""
        if field is None:
            return True
        low, high = field.low, field.high
        if (low is None or value >= low) and (high is None or value <= high):
            return True
        bounds = [_bound(b) for b in (low, high)]
        if low is not None and high is not None:
            allowed = f"{words} from {bounds[0]} to {bounds[1]}"
        elif low is not None:
            allowed = f"{words} of at least {bounds[0]}"
        else:
            allowed = f"{words} of at most {bounds[1]}"
        self.bad_value(path, what, short_number(value), allowed)
        return False

    def boolean(self, value: object, path: DataPath, what: str) -> bool:
        if value is _MISSING:
            return False
        if not isinstance(value, bool):
            self.wrong_type(path, what, "true or false", value)
            return False
        return value

    def unique(
        self, seen: dict[str, Place], item_id: str | None, path: DataPath, what: str
    ) -> bool:
        """Whether ``item_id`` is new (reports a duplicate, naming the first's line)."""
        if item_id is None:
            return False
        if item_id in seen:
            self.report(
                Code.DUPLICATE_ID,
                self.at(path),
                what=what,
                id=item_id,
                first_line=seen[item_id].line,
            )
            return False
        seen[item_id] = self.at(path)
        return True

    # -- the document --------------------------------------------------------------------------

    def questionnaire(self, data: object, source: str) -> Questionnaire | None:
        top = self.mapping(data, (), "the questionnaire", TOP_KEYS, TOP_REQUIRED)
        if top is None:
            return None
        get = top.get
        fmt = get("format", _MISSING)
        if fmt is not _MISSING:
            if isinstance(fmt, bool) or not isinstance(fmt, int):
                self.wrong_type(("format",), "format", "the number 1", fmt)
                return None
            if fmt != 1:
                self.report(Code.UNSUPPORTED_FORMAT, self.at(("format",)), value=short_number(fmt))
                # A future format may mean anything: reading on would report noise.
                return None
        qid = self.ident(
            get("id", _MISSING),
            ("id",),
            "the questionnaire id",
            QUESTIONNAIRE_ID,
            "lower case letters, digits, - and _",
        )
        version = self.text(get("version", _MISSING), ("version",), "version")
        title = self.text(get("title", _MISSING), ("title",), "title")
        description = self.text(get("description", _MISSING), ("description",), "description", "")
        disclaimer = self.text(get("disclaimer", _MISSING), ("disclaimer",), "disclaimer")
        disclaimer_summary = self.text(
            get("disclaimer_summary", _MISSING), ("disclaimer_summary",), "disclaimer_summary"
        )
        references = self.references(get("references", []))
        start = ""
        if "start" in top:
            start = self.target(top["start"], ("start",), "start") or ""
        required: list[str] = []
        required_at: list[Place | None] = []
        for i, item in enumerate(self.sequence(get("required", []), ("required",), "required")):
            found = self.question_id(item, ("required", i), "a required question")
            if found is not None:
                required.append(found)
                required_at.append(self.at(("required", i)))
        rules = self.named_rules(get("rules", []))
        questions = self.questions(get("questions", []))
        outcomes = self.outcomes(get("outcomes", _MISSING))
        if (
            qid is None
            or version is None
            or title is None
            or disclaimer is None
            or description is None
            or outcomes is None
            or ("disclaimer_summary" in top and disclaimer_summary is None)
        ):
            return None
        return Questionnaire(
            id=qid,
            version=version,
            title=title,
            questions=tuple(questions),
            outcomes=outcomes,
            description=description,
            disclaimer=disclaimer,
            references=tuple(references),
            start=start,
            required=tuple(required),
            source=source,
            content_hash=self.map.digest,
            start_at=self.at(("start",)) if "start" in top else None,
            required_at=tuple(required_at),
            next_at=MappingProxyType(self.next_at),
            disclaimer_summary=disclaimer_summary or "",
            rules=rules,
        )

    def references(self, value: object) -> list[Reference]:
        out: list[Reference] = []
        seen: dict[str, Place] = {}
        for i, item in enumerate(self.sequence(value, ("references",), "references")):
            path: DataPath = ("references", i)
            ref = self.mapping(item, path, f"reference {i + 1}", REFERENCE_KEYS, REFERENCE_REQUIRED)
            if ref is None:
                continue
            rid = self.ident(
                ref.get("id", _MISSING),
                (*path, "id"),
                "a reference id",
                REFERENCE_ID,
                "letters, digits, ., - and _",
            )
            citation = self.text(ref.get("citation", _MISSING), (*path, "citation"), "citation")
            url = self.url(ref.get("url", _MISSING), (*path, "url"), "the url of a reference")
            checked = (
                self.boolean(ref["verified"], (*path, "verified"), "verified of a reference")
                if "verified" in ref
                else True
            )
            if self.unique(seen, rid, (*path, "id"), "reference") and citation and rid:
                out.append(Reference(rid, citation, self.at(path), url, checked))
        return out

    # -- named rules ---------------------------------------------------------------------------

    def named_rules(self, value: object) -> tuple[Named, ...]:
        """Read the named rules: every name first, then each condition (which may read others)."""
        seen: dict[str, Place] = {}
        order: list[str] = []
        for i, item in enumerate(self.sequence(value, ("rules",), "rules")):
            path: DataPath = ("rules", i)
            raw = self.mapping(
                item, path, f"named rule {i + 1}", NAMED_RULE_KEYS, NAMED_RULE_REQUIRED
            )
            if raw is None:
                continue
            name = self.question_id(raw.get("id", _MISSING), (*path, "id"), "a named rule's id")
            words = self.text(
                raw.get("description", _MISSING),
                (*path, "description"),
                f"the description of named rule '{name}'",
                "",
            )
            if self.unique(seen, name, (*path, "id"), "named rule") and name is not None:
                order.append(name)
                self.rule_names.add(name)
                self.rule_words[name] = " ".join((words or "").split())
                if "when" in raw:
                    self.rule_data[name] = (raw["when"], (*path, "when"))
        out: list[Named] = []
        for name in order:
            found = self.named(name, None)
            if found is not None:
                out.append(found)
        return tuple(out)

    def named(self, name: str, place: Place | None) -> Named | None:
        """The named rule ``name`` read (once), or None after a report."""
        if name in self.rule_read:
            found = self.rule_read[name]
            if found is None and name in self.rule_stack:
                cycle = [*self.rule_stack[self.rule_stack.index(name) :], name]
                self.report(
                    Code.RULE_CYCLE,
                    place or self.at(self.rule_data[name][1]),
                    cycle=" -> ".join(cycle),
                )
            return found
        if name not in self.rule_data:
            return None
        data, path = self.rule_data[name]
        self.rule_read[name] = None
        self.rule_stack.append(name)
        condition = self.condition(data, path)
        self.rule_stack.pop()
        found = (
            Named(name, condition, self.at(path[:-1]), self.rule_words.get(name, ""))
            if condition is not None
            else None
        )
        self.rule_read[name] = found
        return found

    def rule_reference(
        self, value: dict[Key, object], path: DataPath, place: Place
    ) -> Named | None:
        """A ``{rule: NAME}`` condition: the named rule, read where it is defined."""
        name = self.question_id(value["rule"], (*path, "rule"), "'rule'")
        if name is None:
            return None
        if name not in self.rule_names:
            names = sorted(self.rule_names)
            self.problems.append(
                diagnostic(
                    Code.UNKNOWN_RULE,
                    self.at((*path, "rule")),
                    allowed=names,
                    target=name,
                    hint=did_you_mean(name, names),
                )
            )
            return None
        found = self.named(name, place)
        return None if found is None else found._replace(at=place)

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

    def question(self, value: object, path: DataPath, index: int) -> Question | None:
        if not isinstance(value, dict):
            self.wrong_type(path, f"question {index + 1}", "a mapping", value)
            return None
        raw_id = value.get("id", _MISSING)
        label = f"question '{raw_id}'" if isinstance(raw_id, str) else f"question {index + 1}"
        qtype: str | None = None
        if "type" in value:
            qtype = self.choice(
                value["type"], (*path, "type"), f"the type of {label}", QUESTION_TYPES
            )
        if qtype is None:
            all_keys = tuple(dict.fromkeys(k for keys in QUESTION_KEYS.values() for k in keys))
            self.mapping(value, path, label, all_keys, ("id", "type", "prompt"))
            return None
        takes = kind(qtype)
        ranged = " or ".join(RANGE_TYPES)
        hints = (
            {k: f" ({k} is for {ranged} questions)" for k in ("min", "max", "unit")}
            if takes.options
            else {"options": f" ({qtype} questions take min and max, not options)"}
        )
        self.mapping(value, path, label, QUESTION_KEYS[qtype], QUESTION_REQUIRED[qtype], hints)
        get = value.get
        if raw_id is _MISSING:
            qid = None
        else:
            qid = self.question_id(raw_id, (*path, "id"), "a question id")
            if qid == END:
                self.bad_value(
                    (*path, "id"), "a question id", END, f"any id but '{END}', which ends a path"
                )
                qid = None
        prompt = self.text(get("prompt", _MISSING), (*path, "prompt"), f"the prompt of {label}")
        help_text = self.text(get("help", _MISSING), (*path, "help"), f"the help of {label}", "")
        section = self.text(
            get("section", _MISSING), (*path, "section"), f"the section of {label}", ""
        )
        options: list[Option] = []
        minimum = maximum = None
        unit = ""
        if not takes.options:
            minimum = self.integer(
                get("min", _MISSING), (*path, "min"), f"min of {label}", _QUESTION.field("min")
            )
            maximum = self.integer(
                get("max", _MISSING), (*path, "max"), f"max of {label}", _QUESTION.field("max")
            )
            if minimum is not None and maximum is not None and minimum > maximum:
                self.bad_value(
                    (*path, "max"),
                    f"max of {label}",
                    maximum,
                    f"a whole number not below min ({minimum})",
                )
            unit = self.text(get("unit", _MISSING), (*path, "unit"), f"unit of {label}", "") or ""
        elif "options" in value:
            options = self.options(value["options"], (*path, "options"), label, qtype)
        routes: list[Route] = []
        for i, item in enumerate(
            self.sequence(get("routes", []), (*path, "routes"), f"routes of {label}")
        ):
            route = self.route(item, (*path, "routes", i), f"route {i + 1} of {label}")
            if route is not None:
                routes.append(route)
        nxt = None
        if "next" in value:
            nxt = self.target(value["next"], (*path, "next"), f"next of {label}")
        if qid is None or prompt is None:
            return None
        self.next_places(qid, value, path)
        return Question(
            id=qid,
            type=qtype,
            prompt=prompt,
            help=help_text or "",
            section=section or "",
            options=tuple(options),
            minimum=minimum,
            maximum=maximum,
            unit=unit,
            routes=tuple(routes),
            next=nxt,
            at=self.at(path),
        )

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
        allowed = OPTION_KEYS[qtype]
        takes = kind(qtype)
        hints: dict[str, str] = {}
        if not takes.option_routes:
            hints["next"] = " (only choice options route)"
        if not takes.option_uncertain:
            hints["uncertain"] = " (only choice options are uncertain: ask 'not sure' as a choice)"
        for i, item in enumerate(self.sequence(value, path, f"options of {label}", non_empty=True)):
            opath = (*path, i)
            what = f"option {i + 1} of {label}"
            opt = self.mapping(item, opath, what, allowed, OPTION_REQUIRED, hints or None)
            if opt is None:
                continue
            raw = opt.get("value", _MISSING)
            if raw is _MISSING:
                continue
            if not isinstance(raw, str) or not raw.strip():
                expected = 'text (quote it: "1")' if isinstance(raw, (int, float)) else "text"
                self.wrong_type((*opath, "value"), f"the value of {what}", expected, raw)
                continue
            if not _OPTION_VALUE.fullmatch(raw):
                self.bad_value((*opath, "value"), f"the value of {what}", raw, _OPTION_VALUE_WORDS)
                continue
            what = f"option '{raw}' of {label}"
            text = self.text(opt.get("label", _MISSING), (*opath, "label"), f"the label of {what}")
            help_text = self.text(
                opt.get("help", _MISSING), (*opath, "help"), f"the help of {what}", ""
            )
            nxt = None
            if "next" in opt and takes.option_routes:
                nxt = self.target(opt["next"], (*opath, "next"), f"next of {what}")
            uncertain = self.boolean(
                opt.get("uncertain", _MISSING), (*opath, "uncertain"), f"uncertain of {what}"
            )
            if self.unique(seen, raw, (*opath, "value"), "option") and text is not None:
                out.append(
                    Option(raw, text, help_text or "", nxt, uncertain, self.at((*opath, "value")))
                )
        return out

    def route(self, value: object, path: DataPath, what: str) -> Route | None:
        route = self.mapping(value, path, what, ROUTE_KEYS, ROUTE_KEYS)
        if route is None:
            return None
        when = self.condition(route.get("when", _MISSING), (*path, "when"))
        nxt = self.target(route.get("next", _MISSING), (*path, "next"), f"next of {what}")
        if when is None or nxt is None:
            return None
        return Route(when, nxt, self.at(path))

    # -- conditions ----------------------------------------------------------------------------

    def condition(self, value: object, path: DataPath) -> Condition | None:
        """One condition in any form of the format (``None``, after a report, when malformed)."""
        if value is _MISSING:
            return None
        if not isinstance(value, dict):
            self.wrong_type(path, "a condition", "a mapping", value)
            return None
        place = self.at(path)
        keys = [k for k in value if isinstance(k, str)]
        unknown = [k for k in value if k not in _CONDITION_KEY_SET]
        for key in unknown:
            text = str(key)
            self.problems.append(
                diagnostic(
                    Code.UNKNOWN_KEY,
                    self.map.key((*path, key)),
                    allowed=CONDITION_KEYS,
                    key=text,
                    what="a condition",
                    hint=did_you_mean(text, CONDITION_KEYS),
                )
            )
        if unknown:
            return None
        if not keys:
            self.report(Code.BAD_CONDITION, place, detail="is empty")
            return None
        forms = {FORM_OF[k] for k in keys}
        if len(forms) > 1:
            self.report(
                Code.BAD_CONDITION,
                place,
                detail=f"mixes the keys {', '.join(keys)}: give one form per mapping "
                "(wrap several in 'all')",
            )
            return None
        form = forms.pop()
        if form == "question":
            return self.question_condition(value, path, place)
        if form == "answered":
            qid = self.question_id(value["answered"], (*path, "answered"), "'answered'")
            return Answered(qid, place) if qid else None
        if form == "leading":
            cid = self.question_id(value["leading"], (*path, "leading"), "'leading'")
            return Leading(cid, place) if cid else None
        if form == "rule":
            return self.rule_reference(value, path, place)
        if form == "advised":
            if "advised" not in value:
                self.report(Code.MISSING_KEY, place, what="an 'advised' condition", key="advised")
                return None
            modality = self.choice(
                value["advised"], (*path, "advised"), "'advised'", MODALITY_WORDS
            )
            site = None
            if "site" in value:
                site = self.text(value["site"], (*path, "site"), "the site of 'advised'")
                if site is None:
                    return None
            return (
                Advised(modality, place, " ".join(site.split()) if site else None)
                if modality
                else None
            )
        if form == "not":
            item = self.condition(value["not"], (*path, "not"))
            return Not(item, place) if item is not None else None
        if form in ("all", "any"):
            items = self.conditions(value[form], (*path, form), f"'{form}'")
            if items is None:
                return None
            return All(items, place) if form == "all" else AnyOf(items, place)
        return self.at_least(value, path, place)

    def conditions(self, value: object, path: DataPath, what: str) -> tuple[Condition, ...] | None:
        raw = self.sequence(value, path, f"the conditions of {what}", non_empty=True)
        items = [self.condition(item, (*path, i)) for i, item in enumerate(raw)]
        if not raw or any(item is None for item in items):
            return None
        return tuple(cast(list[Condition], items))

    def at_least(self, value: dict[Key, object], path: DataPath, place: Place) -> Condition | None:
        for key in ("at_least", "of"):
            if key not in value:
                self.report(Code.MISSING_KEY, place, what="an 'at_least' condition", key=key)
        if "at_least" not in value or "of" not in value:
            return None
        count = self.integer(
            value["at_least"],
            (*path, "at_least"),
            "'at_least'",
            spec.FORMS["at_least"].field("at_least"),
        )
        items = self.conditions(value["of"], (*path, "of"), "'at_least'")
        if count is None or items is None:
            return None
        if not 1 <= count <= len(items):
            self.report(
                Code.BAD_CONDITION,
                self.at((*path, "at_least")),
                detail=f"'at_least: {count}' needs a count from 1 to {len(items)}, "
                "the number of conditions in 'of'",
            )
            return None
        return AtLeast(count, items, place)

    def question_condition(
        self, value: dict[Key, object], path: DataPath, place: Place
    ) -> Condition | None:
        if "question" not in value:
            self.report(Code.MISSING_KEY, place, what="a condition", key="question")
            return None
        qid = self.question_id(value["question"], (*path, "question"), "a condition's question")
        tests: list[str] = []
        comparisons: list[str] = []
        for k in value:
            if k in _TEST_SET:
                tests.append(k)
            elif k in _COMPARISON_SET:
                comparisons.append(k)
        if len(tests) + bool(comparisons) != 1:
            detail = (
                f"on '{value['question']}' needs one of {', '.join(QUESTION_TESTS)}, "
                f"or comparisons ({', '.join(COMPARISONS)})"
                if not tests and not comparisons
                else f"on '{value['question']}' mixes {', '.join(tests + comparisons)}: "
                "give one test per mapping (wrap several in 'all')"
            )
            self.report(Code.BAD_CONDITION, place, detail=detail)
            return None
        if comparisons:
            parts: list[Compare] = []
            for op in comparisons:
                bound = self.integer(value[op], (*path, op), f"'{op}'", _COMPARE.field(op))
                if bound is not None and qid is not None:
                    parts.append(Compare(qid, cast(_Op, op), bound, self.map.key((*path, op))))
            if qid is None or len(parts) != len(comparisons):
                return None
            return parts[0] if len(parts) == 1 else All(tuple(parts), place)
        test = tests[0]
        raw = value[test]
        tpath = (*path, test)
        if test == "equals":
            single = self.value(raw, tpath, "'equals'")
            return Equals(qid, single, place) if qid and single is not None else None
        if test == "contains":
            if not isinstance(raw, str):
                self.wrong_type(tpath, "'contains'", "an option value (text)", raw)
                return None
            return Contains(qid, (raw,), place) if qid else None
        raw_items = self.sequence(raw, tpath, f"'{test}'", non_empty=True)
        values = [self.value(item, (*tpath, i), f"'{test}'") for i, item in enumerate(raw_items)]
        if not qid or not raw_items or any(v is None for v in values):
            return None
        if test == "one_of":
            return OneOf(qid, tuple(cast(list[str | int], values)), place)
        if any(not isinstance(v, str) for v in values):
            self.wrong_type(tpath, "'contains_any'", "a list of option values (text)", raw)
            return None
        return Contains(qid, tuple(cast(list[str], values)), place)

    def value(self, raw: object, path: DataPath, what: str) -> str | int | None:
        """A value a condition compares with: an option value (text) or a whole number."""
        if isinstance(raw, str) or (isinstance(raw, int) and not isinstance(raw, bool)):
            return raw
        self.wrong_type(path, f"the value of {what}", "an option value or a whole number", raw)
        return None

    # -- outcomes ------------------------------------------------------------------------------

    def outcomes(self, value: object) -> Outcomes | None:
        if value is _MISSING:
            return None
        path: DataPath = ("outcomes",)
        out = self.mapping(value, path, "outcomes", OUTCOME_KEYS, OUTCOME_REQUIRED)
        if out is None:
            return None
        get = out.get
        levels = self.levels(get("levels", _MISSING))
        confidence = self.confidence(get("confidence", _MISSING))
        conditions = self.condition_defs(get("conditions", []))
        triage = self.rules(get("triage", []), "triage", self.outcome_triage)
        scope = self.scope(get("scope", _MISSING))
        scores = self.rules(get("scores", []), "scores", self.score)
        red_flags = self.red_flags(get("red_flags", []))
        imaging = self.rules(get("imaging", []), "imaging", self.imaging)
        notes = self.rules(get("notes", []), "notes", self.note)
        safety_net = self.rules(get("safety_net", []), "safety_net", self.safety_net)
        no_imaging = self.text(
            get("no_imaging_reason", _MISSING),
            (*path, "no_imaging_reason"),
            "no_imaging_reason",
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
        if value is _MISSING:
            return None
        path: DataPath = ("outcomes", "levels")
        raw = self.mapping(value, path, "levels", LEVELS, LEVELS)
        if raw is None:
            return None
        out: dict[str, LevelText] = {}
        for level in LEVELS:
            if level not in raw:
                continue
            lpath = (*path, level)
            what = f"level '{level}'"
            entry = self.mapping(raw[level], lpath, what, LEVEL_KEYS, LEVEL_KEYS)
            if entry is None:
                continue
            texts = [
                self.text(entry.get(k, _MISSING), (*lpath, k), f"the {k} of {what}")
                for k in LEVEL_KEYS
            ]
            if all(t is not None for t in texts):
                out[level] = LevelText(*cast(list[str], texts))
        return out if len(out) == len(LEVELS) else None

    def confidence(self, value: object) -> ConfidenceRule:
        default = ConfidenceRule()
        if value is _MISSING:
            return default
        path: DataPath = ("outcomes", "confidence")
        raw = self.mapping(value, path, "confidence", CONFIDENCE_KEYS)
        if raw is None:
            return default
        numbers = {
            key: self.number(raw.get(key, _MISSING), (*path, key), key, _CONFIDENCE.field(key))
            for key in CONFIDENCE_KEYS
        }
        high = numbers["high_margin"]
        moderate = numbers["moderate_margin"]
        fraction = numbers["max_uncertain_fraction"]
        high = default.high_margin if high is None else high
        moderate = default.moderate_margin if moderate is None else moderate
        fraction = default.max_uncertain_fraction if fraction is None else fraction
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

    def level(self, value: object, path: DataPath, what: str) -> str | None:
        return self.choice(value, path, what, LEVELS)

    def condition_defs(self, value: object) -> list[ConditionDef]:
        out: list[ConditionDef] = []
        seen: dict[str, Place] = {}
        path: DataPath = ("outcomes", "conditions")
        for i, item in enumerate(self.sequence(value, path, "conditions", non_empty=True)):
            cpath = (*path, i)
            what = f"condition {i + 1}"
            raw = self.mapping(item, cpath, what, CONDITION_DEF_KEYS, CONDITION_DEF_REQUIRED)
            if raw is None:
                continue
            cid = self.question_id(raw.get("id", _MISSING), (*cpath, "id"), "a condition id")
            if cid:
                what = f"condition '{cid}'"
            label = self.text(raw.get("label", _MISSING), (*cpath, "label"), f"label of {what}")
            description = self.text(
                raw.get("description", _MISSING),
                (*cpath, "description"),
                f"description of {what}",
                "",
            )
            triage: list[TriageRule] = []
            tpath = (*cpath, "triage")
            raw_triage = raw.get("triage", [])
            for j, entry in enumerate(self.sequence(raw_triage, tpath, f"triage of {what}")):
                rule = self.triage_rule(entry, (*tpath, j), f"triage rule {j + 1} of {what}")
                if rule is not None:
                    triage.append(rule)
            if self.unique(seen, cid, (*cpath, "id"), "condition") and cid and label:
                out.append(
                    ConditionDef(cid, label, description or "", tuple(triage), self.at(cpath))
                )
        return out

    def triage_rule(self, value: object, path: DataPath, what: str) -> TriageRule | None:
        raw = self.mapping(value, path, what, TRIAGE_KEYS, TRIAGE_REQUIRED)
        if raw is None:
            return None
        when = self.condition(raw["when"], (*path, "when")) if "when" in raw else None
        level = self.level(raw.get("level", _MISSING), (*path, "level"), f"the level of {what}")
        advice = self.text(raw.get("advice", _MISSING), (*path, "advice"), f"advice of {what}")
        source = self.source(raw, path, what)
        timeframe = self.choice(
            raw.get("timeframe", _MISSING),
            (*path, "timeframe"),
            f"the timeframe of {what}",
            TIMEFRAMES,
        )
        summary = self.summary(raw, path, what)
        if level is None or advice is None or source is None or ("when" in raw and not when):
            return None
        if ("timeframe" in raw and timeframe is None) or ("summary" in raw and summary is None):
            return None
        return TriageRule(level, advice, source, when, self.at(path), timeframe, summary)

    def summary(self, raw: dict[Key, object], path: DataPath, what: str) -> str | None:
        """A rule's ``summary``: its short form for the decision on one screen."""
        return self.text(raw.get("summary", _MISSING), (*path, "summary"), f"the summary of {what}")

    def outcome_triage(
        self, raw: dict[Key, object], path: DataPath, what: str
    ) -> TriageRule | None:
        """A triage rule of the outcomes: a level whatever condition leads."""
        return self.triage_rule(raw, path, what)

    def scope(self, value: object) -> Scope | None:
        """Whom the rules cover (the default scope when the key is left out)."""
        if value is _MISSING:
            return Scope()
        path: DataPath = ("outcomes", "scope")
        raw = self.mapping(value, path, "scope", SCOPE_KEYS)
        if raw is None:
            return None
        reason = self.text(
            raw.get("reason", _MISSING), (*path, "reason"), "the reason of scope", Scope().reason
        )
        source = None
        if "source" in raw:
            source = self.source(raw, path, "scope")
        exclusions: list[ScopeRule] = []
        epath = (*path, "exclusions")
        for i, item in enumerate(self.sequence(raw.get("exclusions", []), epath, "exclusions")):
            rule = self.exclusion(item, (*epath, i), f"scope exclusion {i + 1}")
            if rule is not None:
                exclusions.append(rule)
        if reason is None or ("source" in raw and source is None):
            return None
        return Scope(reason, tuple(exclusions), source)

    def exclusion(self, value: object, path: DataPath, what: str) -> ScopeRule | None:
        raw = self.mapping(value, path, what, EXCLUSION_KEYS, EXCLUSION_REQUIRED)
        if raw is None:
            return None
        when = self.condition(raw.get("when", _MISSING), (*path, "when"))
        reason = self.text(raw.get("reason", _MISSING), (*path, "reason"), f"reason of {what}")
        source = self.source(raw, path, what)
        if when is None or reason is None or source is None:
            return None
        return ScopeRule(when, reason, source, self.at(path))

    def source(self, raw: dict[Key, object], path: DataPath, what: str) -> str | None:
        return self.ident(
            raw.get("source", _MISSING),
            (*path, "source"),
            f"the source of {what}",
            REFERENCE_ID,
            "a reference id",
        )

    def score(self, raw: dict[Key, object], path: DataPath, what: str) -> ScoreRule | None:
        self.mapping(raw, path, what, SCORE_KEYS, SCORE_REQUIRED)
        condition = self.question_id(
            raw.get("condition", _MISSING), (*path, "condition"), f"the condition of {what}"
        )
        when = self.condition(raw.get("when", _MISSING), (*path, "when"))
        weight = self.number(
            raw.get("weight", _MISSING),
            (*path, "weight"),
            f"weight of {what}",
            _RECORDS["score"].field("weight"),
        )
        reason = self.text(raw.get("reason", _MISSING), (*path, "reason"), f"reason of {what}")
        source = self.source(raw, path, what)
        summary = self.summary(raw, path, what)
        if None in (condition, when, weight, reason, source):
            return None
        if "summary" in raw and summary is None:
            return None
        return ScoreRule(
            cast(str, condition),
            cast(Condition, when),
            cast(float, weight),
            cast(str, reason),
            cast(str, source),
            self.at(path),
            summary,
        )

    def red_flags(self, value: object) -> list[RedFlagRule]:
        rules = self.rules(value, "red_flags", self.red_flag)
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

    def red_flag(self, raw: dict[Key, object], path: DataPath, what: str) -> RedFlagRule | None:
        self.mapping(raw, path, what, RED_FLAG_KEYS, RED_FLAG_REQUIRED)
        rid = self.question_id(raw.get("id", _MISSING), (*path, "id"), f"the id of {what}")
        when = self.condition(raw.get("when", _MISSING), (*path, "when"))
        level = self.level(raw.get("level", _MISSING), (*path, "level"), f"the level of {what}")
        advice = self.text(raw.get("advice", _MISSING), (*path, "advice"), f"advice of {what}")
        source = self.source(raw, path, what)
        timeframe = self.choice(
            raw.get("timeframe", _MISSING),
            (*path, "timeframe"),
            f"the timeframe of {what}",
            TIMEFRAMES,
        )
        summary = self.summary(raw, path, what)
        name = self.text(raw.get("name", _MISSING), (*path, "name"), f"the name of {what}")
        if (
            None in (rid, when, level, advice, source)
            or ("timeframe" in raw and not timeframe)
            or ("name" in raw and not name)
        ):
            return None
        if "summary" in raw and summary is None:
            return None
        return RedFlagRule(
            cast(str, rid),
            cast(Condition, when),
            cast(str, level),
            cast(str, advice),
            cast(str, source),
            self.at(path),
            timeframe,
            summary,
            " ".join(name.split()) if name else "",
        )

    def imaging(self, raw: dict[Key, object], path: DataPath, what: str) -> ImagingRule | None:
        modality = self.choice(
            raw.get("modality", _MISSING),
            (*path, "modality"),
            f"the modality of {what}",
            IMAGING_MODALITIES,
        )
        if modality == "none":
            allowed = _RECORDS["imaging"].names("none")
            hints = {k: " (left out with modality none)" for k in IMAGING_KEYS if k not in allowed}
            self.mapping(raw, path, what, allowed, IMAGING_REQUIRED, hints)
        else:
            self.mapping(raw, path, what, IMAGING_KEYS, (*IMAGING_REQUIRED, "urgency"))
        urgency = None
        if modality != "none":
            urgency = self.level(
                raw.get("urgency", _MISSING), (*path, "urgency"), f"the urgency of {what}"
            )
        when = self.condition(raw.get("when", _MISSING), (*path, "when"))
        reason = self.text(raw.get("reason", _MISSING), (*path, "reason"), f"reason of {what}")
        source = self.source(raw, path, what)
        site = timeframe = summary = None
        if modality != "none":
            summary = self.summary(raw, path, what)
            site = self.text(raw.get("site", _MISSING), (*path, "site"), f"the site of {what}")
            timeframe = self.choice(
                raw.get("timeframe", _MISSING),
                (*path, "timeframe"),
                f"the timeframe of {what}",
                TIMEFRAMES,
            )
        if None in (modality, when, reason, source) or (modality != "none" and urgency is None):
            return None
        given = (("site", site), ("timeframe", timeframe), ("summary", summary))
        if any(key in raw and found is None for key, found in given):
            return None
        return ImagingRule(
            cast(Condition, when),
            None if modality == "none" else modality,
            urgency,
            cast(str, reason),
            cast(str, source),
            self.at(path),
            " ".join(site.split()) if site else None,
            timeframe,
            summary,
        )

    def safety_net(self, raw: dict[Key, object], path: DataPath, what: str) -> SafetyNetRule | None:
        self.mapping(raw, path, what, SAFETY_NET_KEYS, SAFETY_NET_REQUIRED)
        text = self.text(raw.get("text", _MISSING), (*path, "text"), f"the text of {what}")
        source = self.source(raw, path, what)
        summary = self.summary(raw, path, what)
        timeframe = self.choice(
            raw.get("timeframe", _MISSING),
            (*path, "timeframe"),
            f"the timeframe of {what}",
            TIMEFRAMES,
        )
        when = self.condition(raw["when"], (*path, "when")) if "when" in raw else None
        if text is None or source is None:
            return None
        given = (("summary", summary), ("timeframe", timeframe), ("when", when))
        if any(key in raw and found is None for key, found in given):
            return None
        return SafetyNetRule(text, source, summary, timeframe, when, self.at(path))

    def note(self, raw: dict[Key, object], path: DataPath, what: str) -> Note | None:
        self.mapping(raw, path, what, NOTE_KEYS, NOTE_REQUIRED)
        text = self.text(raw.get("text", _MISSING), (*path, "text"), f"the text of {what}")
        source = self.source(raw, path, what)
        when = self.condition(raw["when"], (*path, "when")) if "when" in raw else None
        if text is None or source is None or ("when" in raw and when is None):
            return None
        return Note(text, source, when, self.at(path))


#: The shape checker's tools (located wrong types, unknown and missing keys with "did you mean",
#: closed sets, ids, web addresses), for other documents read the same way: teaching cases.
Parser = _Parser
#: The value a tool is given for a key that is not there.
MISSING = _MISSING
