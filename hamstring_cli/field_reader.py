"""The field readers: each scalar of a document checked by its declared kind, every problem kept.

The parser of questionnaires (:mod:`hamstring_cli.loader`) and of teaching cases
(:mod:`hamstring_cli.cases`) read their documents with these tools: located wrong types, unknown
and missing keys with "did you mean", closed sets, ids, numbers within their declared range, web
addresses. :meth:`FieldReader.scalar` reads a value by the kind a :class:`~hamstring_cli.
format_spec.Field` declares, in the words the field gives for its messages. Standard library
only: no PyYAML (a cached questionnaire is read from JSON).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from hamstring_cli import format_spec as spec
from hamstring_cli.errors import (
    Code,
    Detail,
    Diagnostic,
    Place,
    assert_never,
    diagnostic,
    did_you_mean,
)
from hamstring_cli.model import END, describe_type, short_number, short_text
from hamstring_cli.sourcemap import DataPath, Key, SourceMap

if TYPE_CHECKING:
    from hamstring_cli.format_fields import OtherScalarKind, ScalarKind

__all__ = [
    "CONTROL_IN_TEXT",
    "MISSING",
    "QUESTIONNAIRE_ID",
    "QUESTION_ID",
    "REFERENCE_ID",
    "FieldReader",
]

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
#: The pattern of each id kind.
_ID_PATTERNS = {
    "questionnaire_id": QUESTIONNAIRE_ID,
    "question_id": QUESTION_ID,
    "reference_id": REFERENCE_ID,
    "target": QUESTION_ID,
}

#: The value a tool is given for a key that is not there.
MISSING = object()


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


class FieldReader:
    """Checks scalars and mappings of a document, collecting every problem with its place."""

    def __init__(self, source_map: SourceMap) -> None:
        self.map = source_map
        self.problems: list[Diagnostic] = []

    def at(self, path: DataPath) -> Place:
        return self.map.value(path)

    def report(self, detail: Detail, place: Place, /, **fields: object) -> None:
        self.problems.append(diagnostic(detail, place, question=None, allowed=(), **fields))

    def wrong_type(self, path: DataPath, what: str, expected: str, value: object) -> None:
        self.not_as_expected(path, what, expected, describe_type(value))

    def not_as_expected(self, path: DataPath, what: str, expected: str, actual: str) -> None:
        """Report a value of the wrong type (``actual`` in words)."""
        self.report(Code.WRONG_TYPE, self.at(path), what=what, expected=expected, actual=actual)

    def unknown_key(
        self, path: DataPath, key: Key, what: str, allowed: Sequence[str], hint: str | None = None
    ) -> None:
        """Report a key ``what`` does not allow, at the key (with "did you mean", or ``hint``)."""
        text = str(key)
        self.problems.append(
            diagnostic(
                Code.UNKNOWN_KEY,
                self.map.key((*path, key)),
                allowed=allowed,
                key=text,
                what=what,
                hint=hint or did_you_mean(text, allowed),
            )
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
                self.unknown_key(path, key, what, allowed, (hints or {}).get(str(key)))
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
            self.not_as_expected(path, what, "a list with at least one item", "an empty list")
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
        if value is MISSING:
            return default
        if isinstance(value, str):
            if default is not None:
                return default
            self.not_as_expected(path, what, "some text", "empty text")
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
        if value is MISSING:
            return None
        if not isinstance(value, str):
            self.wrong_type(path, what, f"an id ({words})", value)
            return None
        return self.matching(value, path, what, pattern, words)

    def matching(
        self, value: str, path: DataPath, what: str, pattern: re.Pattern[str], words: str
    ) -> str | None:
        """Text that matches ``pattern`` whole (reported, with ``words``, when it does not)."""
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
        if value is MISSING:
            return None
        if not isinstance(value, str):
            self.wrong_type(path, what, "a web address (https://...)", value)
            return None
        if not value.isprintable() and CONTROL_IN_TEXT.search(value):
            self.controls(value, path, what)
            return None
        return self.matching(value, path, what, _URL, _URL_WORDS)

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
        if value is MISSING:
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
        if value is MISSING:
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
        if value is MISSING:
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
        if value is MISSING:
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

    def value(self, raw: object, path: DataPath, what: str) -> str | int | None:
        """A value a condition compares with: an option value (text) or a whole number."""
        if isinstance(raw, str) or (isinstance(raw, int) and not isinstance(raw, bool)):
            return raw
        self.wrong_type(path, f"the value of {what}", "an option value or a whole number", raw)
        return None

    def option_value(self, raw: object, path: DataPath, what: str) -> str | None:
        """An option's value: printable text, its words apart by single spaces."""
        if not isinstance(raw, str) or not raw.strip():
            expected = 'text (quote it: "1")' if isinstance(raw, (int, float)) else "text"
            self.wrong_type(path, what, expected, raw)
            return None
        return self.matching(raw, path, what, _OPTION_VALUE, _OPTION_VALUE_WORDS)

    def format_number(self, raw: object, path: DataPath, what: str) -> int | None:
        """The format version: 1 (a later format may mean anything: reported, not read)."""
        if isinstance(raw, bool) or not isinstance(raw, int):
            self.wrong_type(path, what, "the number 1", raw)
            return None
        if raw != 1:
            self.report(Code.UNSUPPORTED_FORMAT, self.at(path), value=short_number(raw))
            return None
        return raw

    # -- a value by its declared kind ----------------------------------------------------------

    def scalar(
        self, field: spec.Field, kind: ScalarKind, raw: object, path: DataPath, what: str
    ) -> object:
        """``raw`` read as ``field`` declares (None, after a report, when it is wrong)."""
        if kind == "text":
            return self.words(field, raw, path, what, None)
        if kind == "optional_text":
            return self.words(field, raw, path, what, "")
        if kind == "question_id":
            if type(raw) is str and _QUESTION_ID_MATCH(raw):
                return raw  # the common case, first
            return self.an_id(field, kind, raw, path, what)
        if kind == "questionnaire_id":
            return self.an_id(field, kind, raw, path, what)
        if kind == "reference_id":
            return self.an_id(field, kind, raw, path, what)
        if kind == "target":
            return self.an_id(field, kind, raw, path, what)
        if kind == "enum":
            return self.choice(raw, path, what, field.allowed)
        if kind == "integer":
            return self.integer(raw, path, what, field)
        if kind == "number":
            return self.number(raw, path, what, field)
        return self._other_scalar(field, kind, raw, path, what)

    def words(
        self, field: spec.Field, raw: object, path: DataPath, what: str, default: str | None
    ) -> str | None:
        """Text, its white space folded when the field says so."""
        found = self.text(raw, path, what, default)
        return " ".join(found.split()) if found and field.collapse else found

    def an_id(
        self, field: spec.Field, kind: str, raw: object, path: DataPath, what: str
    ) -> str | None:
        """An id of the pattern of its kind."""
        words = field.words or spec.PATTERN_WORDS[kind]
        return self.ident(raw, path, what, _ID_PATTERNS[kind], words)

    def _other_scalar(
        self,
        field: spec.Field,
        kind: OtherScalarKind,
        raw: object,
        path: DataPath,
        what: str,
    ) -> object:
        if kind == "boolean":
            return self.boolean(raw, path, what)
        if kind == "url":
            return self.url(raw, path, what)
        if kind == "option_value":
            return self.option_value(raw, path, what)
        if kind == "value":
            return self.value(raw, path, what)
        if kind == "format":
            return self.format_number(raw, path, what)
        assert_never(kind)
