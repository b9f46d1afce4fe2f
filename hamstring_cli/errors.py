"""Diagnostics with a place, the catalogue of their codes, and the exceptions that carry them.

Standard library only. Exceptions carry data and have no side effects; the command
line decides how to print them.
"""

# Annotations are evaluated (no ``from __future__ import annotations``): typing.NamedTuple
# compiles every string annotation into a ForwardRef when the module is imported, which
# costs each scripted run about a millisecond over these records.

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Literal, NamedTuple, NoReturn

__all__ = [
    "EXCERPT",
    "AnswerError",
    "Code",
    "Detail",
    "Diagnostic",
    "HamstringError",
    "Invalid",
    "InvalidAnswer",
    "MissingAnswers",
    "Place",
    "QuestionnaireError",
    "UserError",
    "allowed_text",
    "assert_never",
    "describe_type",
    "diagnostic",
    "did_you_mean",
    "escape",
    "escape_json",
    "short_number",
    "short_text",
    "shorten",
]

Severity = Literal["error", "warning"]

#: Characters that are escaped wherever a user's text is echoed: C0 and C1 controls, DEL,
#: line and paragraph separators, bidirectional overrides and isolates, and lone surrogates
#: (undecodable bytes of a file name). Any of them could move the cursor, retitle or clear a
#: terminal, start a line that looks like another message, or fail to encode.
#: (Compiled when first used: the surrogates make a class that takes about half a millisecond
#: to compile, and a run whose text is all printable never needs it.)
_UNSAFE = "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
#: Runs of digits longer than this are echoed as their length ("a 4,301-digit number").
_MAX_DIGITS = 30
_DIGITS = re.compile(rf"\d{{{_MAX_DIGITS + 1},}}")
#: Text longer than this is echoed cut short, with its length.
MAX_ECHO = 500


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x100:
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(match.group(), f"\\x{code:02x}")
    return f"\\u{code:04x}"


def escape(text: str) -> str:
    """``text`` with every control character written as its escape (``\\x1b``, ``\\n``).

    What is left prints as itself and stays on its own line: nothing a user wrote can move the
    cursor, clear or retitle the terminal, or forge a ``file:1:1: error`` line of its own.
    """
    return text if text.isprintable() else _pattern(_UNSAFE).sub(_escape_char, text)


#: Characters JSON may hold raw but a terminal acts on: DEL and the C1 controls (U+009B starts
#: an escape sequence as ESC [ does), line and paragraph separators, bidirectional overrides
#: and isolates, and lone surrogates. JSON output writes them as ``\\u`` escapes.
#: (Compiled when first used, as ``_UNSAFE``.)
_JSON_UNSAFE = "[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


#: The same characters in UTF-8 (a lone surrogate encoded with ``surrogatepass``), found by
#: byte searches that are quicker than the character class on a long text: a C1 control is
#: ``\xc2`` then a byte from 0x80 to 0x9f, a surrogate starts with ``\xed``, the separators,
#: overrides and isolates are ``\xe2\x80`` or ``\xe2\x81`` then one byte.
_UTF8_UNSAFE = re.compile(rb"\xe2\x80[\xa8-\xae]|\xe2\x81[\xa6-\xa9]")


def _may_be_unsafe(text: str) -> bool:
    """False only when ``text`` holds none of ``_JSON_UNSAFE`` (True may be a false alarm)."""
    if "\x7f" in text:
        return True
    if text.isascii():
        return False
    data = text.encode("utf-8", "surrogatepass")
    return b"\xc2" in data or b"\xed" in data or _UTF8_UNSAFE.search(data) is not None


def _json_escape_char(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def escape_json(text: str) -> str:
    """JSON text with what a terminal would act on written as ``\\u`` escapes.

    ``json.dumps`` escapes the C0 controls (ESC among them) but writes the C1 controls, the
    bidirectional overrides and the line separators as they are. Outside its strings JSON is
    ASCII, so any of them stands in a string, where its escape reads back as the same text.
    """
    return _pattern(_JSON_UNSAFE).sub(_json_escape_char, text) if _may_be_unsafe(text) else text


def digits_text(count: int) -> str:
    """A number too long to echo, in words: ``a 4,301-digit number``."""
    return f"a {count:,}-digit number"


def shorten(value: object, limit: int = MAX_ECHO) -> str:
    """A user's value as a message echoes it: escaped, and short whatever its size.

    Integers longer than 30 digits (Python refuses to print those over 4,300) become "a
    4,301-digit number", as do such runs of digits inside text; text longer than ``limit`` is
    cut, saying how long it was.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        # Counted without converting the whole number to text, which may be refused.
        if abs(value).bit_length() > _MAX_DIGITS * 3.33:
            return digits_text(_digit_count(value))
        return str(value)
    text = value if isinstance(value, str) else str(value)
    if len(text) > _MAX_DIGITS:
        text = _DIGITS.sub(lambda m: digits_text(len(m.group())), text)
    if len(text) > limit:
        # The note on the length takes about 20 characters: most of the limit stays text.
        text = f"{text[: max(limit - 25, limit // 2)]}... ({len(text):,} characters)"
    return escape(text)


def _digit_count(value: int) -> int:
    value = abs(value)
    count = max(1, int(value.bit_length() * 0.30102999566398120))
    # The estimate is within one of the truth: settle it without printing the number.
    while 10**count <= value:
        count += 1
    while count > 1 and 10 ** (count - 1) > value:
        count -= 1
    return count


#: The longest text a message repeats from the input before it shortens it.
EXCERPT = 60


def short_text(text: str, limit: int = EXCERPT) -> str:
    """``text`` as a message echoes it: escaped, on one line, cut to ``limit`` characters.

    Control characters and line breaks are escaped (never printed raw) and long runs of digits
    are counted ("a 5,001-digit number") before the text is cut, saying how long it was.
    """
    shown = shorten(text, limit=len(text) + 1)
    if len(shown) > limit:
        shown = f"{shown[: limit - 1]}… ({len(text):,} characters)"
    return shown


def short_number(value: int | float) -> str:
    """A number as a message shows it: ``a 401-digit number`` when it is long."""
    return shorten(value)


def describe_type(raw: object) -> str:
    """A value's type in words for messages: ``a list``, ``the text 'abc'`` (shortened)."""
    if raw is None:
        return "nothing (null)"
    if isinstance(raw, bool):
        return f"the boolean {str(raw).lower()}"
    if isinstance(raw, (int, float)):
        shown = short_number(raw)
        return shown if shown.startswith("a ") else f"the number {shown}"
    if isinstance(raw, str):
        return f"the text '{short_text(raw)}'"
    if isinstance(raw, (list, tuple)):
        return "a list"
    if isinstance(raw, dict):
        return "a mapping"
    return type(raw).__name__


class Place(NamedTuple):
    """Where something stands in a file: 1-based line and column, when known."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return escape(self.file)
        if self.column is None:
            return f"{escape(self.file)}:{self.line}"
        return f"{escape(self.file)}:{self.line}:{self.column}"


class Detail(NamedTuple):
    """One entry of the catalogue: a stable code and a message template."""

    code: str
    template: str
    severity: Severity = "error"


class Code:
    """The catalogue of diagnostics. Tests assert codes, not wording."""

    # Reading files
    FILE_MISSING = Detail("E001", "file not found")
    FILE_UNREADABLE = Detail("E002", "cannot read the file: {detail}")
    NOT_TEXT = Detail("E003", "not a UTF-8 text file (is it binary?)")
    YAML_SYNTAX = Detail("E004", "YAML syntax error: {detail}")
    DUPLICATE_KEY = Detail("E005", "duplicate key '{key}' (first at line {first_line})")
    UNSAFE_TAG = Detail("E006", "tag '{tag}' is not allowed: only plain YAML data is read")
    EMPTY = Detail("E007", "the file is empty")
    MULTIPLE_DOCUMENTS = Detail("E008", "more than one YAML document in the file")
    TOO_COMPLEX = Detail("E009", "the document is too complex to read safely: {detail}")
    BAD_NUMBER = Detail("E018", "'{value}' cannot be read as a number; allowed: {expected}")
    JSON_SYNTAX = Detail("E019", "JSON syntax error: {detail}")
    CONTROL_CHARACTER = Detail(
        "E020",
        "{what} holds the control character {character}, which could move, retitle or clear "
        "a terminal, or reorder what is shown; allowed: printable text, line breaks and tabs",
    )
    BAD_FHIR_BASE = Detail(
        "E021",
        "{variable} is '{value}'; allowed: an http:// or https:// address without spaces, a "
        "query or a fragment (https://fhir.example.org/fhir)",
    )
    # Shape of a questionnaire
    WRONG_TYPE = Detail("E010", "{what} must be {expected}, not {actual}")
    MISSING_KEY = Detail("E011", "{what} is missing the required key '{key}'")
    UNKNOWN_KEY = Detail("E012", "unknown key '{key}' in {what}{hint}; allowed: {allowed}")
    BAD_VALUE = Detail("E013", "{what} is '{value}'{hint}; allowed: {allowed}")
    DUPLICATE_ID = Detail("E014", "duplicate {what} id '{id}' (first at line {first_line})")
    BAD_CONDITION = Detail("E015", "condition {detail}")
    UNSUPPORTED_FORMAT = Detail(
        "E016", "format {value} is not supported; this version reads format 1"
    )
    UNKNOWN_QUESTIONNAIRE = Detail(
        "E017", "'{name}' is neither a file nor a bundled questionnaire{hint}; bundled: {allowed}"
    )
    # Checker: the questionnaire as a whole
    UNKNOWN_NEXT = Detail("E101", "{where} points to unknown question '{target}'{hint}")
    UNKNOWN_QUESTION_REF = Detail("E102", "condition refers to unknown question '{target}'{hint}")
    VALUE_NOT_OPTION = Detail(
        "E103", "'{value}' is not an option of '{question}'{hint}; allowed: {allowed}"
    )
    NUMERIC_ON_NON_INTEGER = Detail(
        "E104", "numeric comparison on '{question}', which is a {type} question"
    )
    CYCLE = Detail("E105", "the routes form a cycle: {cycle}")
    NEVER_ENDS = Detail("E106", "a path from '{question}' never ends")
    UNREACHABLE_QUESTION = Detail("W107", "question '{question}' is never reached", "warning")
    UNREACHABLE_OUTCOME = Detail("W108", "{what} can never apply on any path", "warning")
    REQUIRED_SKIPPED = Detail(
        "E109", "required question '{question}' is skipped by the path {path}"
    )
    CONTAINS_ON_NON_MULTI = Detail("E110", "'contains' on '{question}', which is a {type} question")
    UNKNOWN_REFERENCE = Detail("E111", "source '{source}' is not in the references{hint}")
    UNKNOWN_CONDITION = Detail("E112", "unknown condition '{target}'{hint}; allowed: {allowed}")
    OUT_OF_RANGE_IN_CONDITION = Detail(
        "W113", "{value} is outside the range of '{question}' ({low} to {high})", "warning"
    )
    LEADING_IN_ROUTE = Detail(
        "E114", "'leading' cannot be used in routing: it is known only at the end"
    )
    UNKNOWN_PLACEHOLDER = Detail("E115", "placeholder '{{{name}}}' names no question{hint}")
    NO_QUESTIONS = Detail("E116", "the questionnaire has no questions")
    LEVEL_WITHOUT_DEFAULT = Detail(
        "E117", "condition '{condition}' has no triage rule without 'when'"
    )
    EQUALS_ON_MULTI = Detail(
        "E118", "'{form}' on '{question}', a multi question, never holds: use contains_any"
    )
    UNKNOWN_REQUIRED = Detail("E119", "required question '{target}' does not exist{hint}")
    TIMEFRAME_OUTSIDE_LEVEL = Detail(
        "E128", "{what}: the timeframe '{timeframe}' is not one of {level}'s; allowed: {choices}"
    )
    UNKNOWN_RULE = Detail("E130", "no named rule '{target}'{hint}; named rules: {allowed}")
    RULE_CYCLE = Detail("E131", "named rules read each other in a cycle: {cycle}")
    ADVISED_TOO_EARLY = Detail(
        "E132",
        "'advised' is read in {what}, which runs before the studies are known: only triage "
        "rules and notes can read it",
    )
    PLACEHOLDER_OFF_PATH = Detail(
        "E133",
        "placeholder '{{{name}}}' can be shown when '{name}' was not asked (on the path "
        "{path}); give it words for that case: '{{{name}|...}}'",
    )
    # The same problem as E103 (not a value the question takes), said as what to fix.
    QUOTED_NUMBER = Detail(
        "E103",
        "'{value}' in quotes is text, but '{question}' takes whole numbers: write {value} "
        "without the quotes",
    )
    # Answers
    UNKNOWN_ANSWER_ID = Detail(
        "E201", "unknown question id '{key}'{hint}; the questionnaire's ids: {allowed}"
    )
    ANSWER_NOT_ALLOWED = Detail(
        "E202", "'{value}' is not allowed for '{question}'{hint}; allowed: {allowed}"
    )
    ANSWER_WRONG_TYPE = Detail("E203", "'{question}' needs {expected}, not {actual}")
    ANSWER_OUT_OF_RANGE = Detail(
        "E204", "{value} is out of range for '{question}'; allowed: {low} to {high}"
    )
    ANSWERS_NOT_MAPPING = Detail(
        "E205", "an answer file must be a mapping of question id to answer, not {actual}"
    )
    ANSWER_UNUSED = Detail(
        "W206", "answer to '{question}' is not used: the path does not reach it", "warning"
    )
    ANSWER_MISSING = Detail("E207", "no answer for '{question}' ({prompt}); allowed: {allowed}")
    ANSWER_DUPLICATE = Detail("E208", "'{value}' is listed twice for '{question}'")
    # Teaching cases
    CASE_OFF_PATH = Detail(
        "E301",
        "answer to '{question}' is not on the path the answers take: a case gives only the "
        "answers on its path",
    )
    CASE_INCOMPLETE = Detail(
        "E302",
        "the answers end before the path does: no answer for '{question}' ({prompt}); "
        "allowed: {allowed}",
    )
    CASE_EXPECTED_MISMATCH = Detail(
        "E303", "expected {item} is '{expected}', but the questionnaire gives '{actual}'"
    )
    CASE_UNKNOWN_SOURCE = Detail(
        "E304",
        "source '{source}' is in neither the case's nor the questionnaire's references{hint}",
    )
    CASE_OTHER_QUESTIONNAIRE = Detail(
        "E305", "the case is written for '{named}', but is checked against '{actual}'{fix}"
    )
    CASE_DUPLICATE_CASE = Detail("E306", "duplicate case id '{id}' (also in {other})")
    CASE_UNKNOWN_CASE = Detail("E307", "no case '{id}'{hint}; --list shows them all: {allowed}")
    CASE_STORY_LENGTH = Detail(
        "W308", "the story has {count} sentences; a referral reads best in 2 to 4", "warning"
    )
    CASE_UNCITED_REFERENCE = Detail(
        "W309", "reference '{id}' is not cited by any teaching point", "warning"
    )


class Diagnostic(NamedTuple):
    """One problem found, with its code, its place and, where it concerns one, the question."""

    code: str
    message: str
    severity: Severity = "error"
    place: Place | None = None
    question: str | None = None
    allowed: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f"{self.place}: " if self.place is not None else ""
        return f"{where}{self.severity} {self.code}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        """The diagnostic as JSON-ready data."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.place.file if self.place else None,
            "line": self.place.line if self.place else None,
            "column": self.place.column if self.place else None,
            "question": self.question,
            "allowed": list(self.allowed),
        }


def diagnostic(
    detail: Detail,
    place: Place | None = None,
    /,
    *,
    question: str | None = None,
    allowed: Sequence[str] = (),
    **fields: object,
) -> Diagnostic:
    """Build a diagnostic from a catalogue entry, filling its template.

    ``detail`` and ``place`` are positional-only, so a template may have a ``{detail}`` field.
    A template's ``{question}`` and ``{allowed}`` are filled from ``question`` and ``allowed``
    (these are keywords here, so they cannot also arrive as fields).
    """
    # Every field may be a user's value: each is escaped and shortened as it is echoed.
    echoed = {name: shorten(value) for name, value in fields.items()}
    values = {"allowed": allowed_text(allowed), "question": _echo(question), **echoed}
    return Diagnostic(
        code=detail.code,
        message=detail.template.format(**values),
        severity=detail.severity,
        place=place,
        question=question,
        allowed=tuple(allowed),
    )


def _echo(value: str | None) -> str | None:
    return None if value is None else shorten(value)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A ``" (did you mean 'x'?)"`` hint for a near miss, or an empty string.

    A prefix counts ('saddle' for 'saddle_or_bladder'); a close spelling counts; and an id
    that shares a word with others ('pain_location') names those ('pain_site', ...).
    """
    close = nearest(word, candidates)
    if not close:
        return ""
    names = [f"'{c}'" for c in close]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f" (did you mean {listed}?)"


def nearest(word: str, candidates: Iterable[str], limit: int = 3) -> list[str]:
    """The candidates nearest to a mistyped word, nearest first (empty when none is near)."""
    import difflib  # only when a word is unknown: most runs never need it

    items = [c for c in dict.fromkeys(candidates) if c]
    low = word.strip().lower()
    if not low or not items:
        return []
    by_lower = {c.lower(): c for c in items}
    prefixed = sorted((c for c in by_lower if c.startswith(low) or low.startswith(c)), key=len)
    if len(low) >= 3 and prefixed:
        return [by_lower[prefixed[0]]]

    def ratio(c: str) -> float:
        return difflib.SequenceMatcher(None, low, c).ratio()

    close = difflib.get_close_matches(low, list(by_lower), n=limit, cutoff=0.6)
    if close and ratio(close[0]) >= 0.8:
        return [by_lower[close[0]]]
    words = set(re.split(r"[_\W]+", low)) - {""}
    shared = [c for c in by_lower if words & set(re.split(r"[_\W]+", c))]
    found = sorted(dict.fromkeys([*close, *shared]), key=ratio, reverse=True)
    return [by_lower[c] for c in found[:limit]]


def allowed_text(values: Iterable[str], limit: int = 12) -> str:
    """Values for a message: ``a, b, c`` (cut short after ``limit``)."""
    items = list(values)
    # Allowed values come from the questionnaire, not the user: long enough for a web address.
    shown = ", ".join(shorten(item, 200) for item in items[:limit])
    return shown + (f", ... ({len(items)} in all)" if len(items) > limit else "")


class HamstringError(Exception):
    """Base of every error this package raises on purpose."""


class UserError(HamstringError):
    """A problem in what the user gave (a file, an answer): printed as it is, never a traceback."""

    exit_code = 1

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """Only the diagnostics that are errors."""
        return tuple(d for d in self.diagnostics if d.severity == "error")


class QuestionnaireError(UserError):
    """A questionnaire that cannot be loaded or fails its checks."""


class AnswerError(UserError):
    """An answer file or an answer that the questionnaire does not allow."""


class Invalid(NamedTuple):
    """Why one answer value was refused: the detail and its template fields."""

    detail: Detail
    fields: Mapping[str, object] = MappingProxyType({})
    allowed: tuple[str, ...] = ()


class InvalidAnswer(HamstringError):
    """An answer value refused by its question (no place: the caller adds it)."""

    def __init__(self, invalid: Invalid) -> None:
        self.invalid = invalid
        fields = {name: shorten(value) for name, value in invalid.fields.items()}
        super().__init__(invalid.detail.template.format(**fields))


class MissingAnswers(HamstringError):
    """The answers end before the path does. Carries what was answered, so nothing is lost."""

    def __init__(self, question_id: str, answers: dict[str, object]) -> None:
        self.question_id = question_id
        self.answers = answers
        super().__init__(f"no answer for '{shorten(question_id)}'")


def assert_never(value: NoReturn) -> NoReturn:
    """The end of an exhaustive ladder: the type checker proves no case is left for it.

    Call it where every form has been handled (``case _: assert_never(x)``): mypy refuses the
    call when some form of ``x``'s union can still reach it, so a new form (a condition, a
    question type's shape) names every place that must learn it. At run time it is never
    reached; if a value of a form nobody handles does, it fails naming the form.
    """
    raise AssertionError(f"no branch handles {type(value).__name__}: {value!r}")
