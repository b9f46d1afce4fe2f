"""The words of the format's declaration: the kinds of a value, the id patterns, fields, records.

Data only (standard library). :mod:`hamstring_cli.format_spec` declares questionnaire
format 1 in these terms (its table of records); the parser, the schema and the docs read that
table through them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

__all__ = [
    "PATTERNS",
    "PATTERN_WORDS",
    "WEIGHT_LIMIT",
    "WHOLE_LIMIT",
    "Field",
    "Kind",
    "OtherScalarKind",
    "Record",
    "ScalarKind",
]

if TYPE_CHECKING:
    #: What a field holds. The parser reads a field by its kind; the schema and the docs
    #: describe it by its kind.
    OtherScalarKind = Literal[
        "format",  # the number 1
        "boolean",
        "url",  # an https address
        "option_value",  # printable text, words apart by single spaces (a FHIR code too)
        "value",  # an option value (text) or a whole number
    ]
    ScalarKind = Literal[
        "text",  # text that is not blank
        "optional_text",  # text, may be blank
        "questionnaire_id",
        "question_id",  # also the ids of conditions and red flags
        "reference_id",
        "target",  # a question id or 'end'
        "enum",  # one of ``allowed``
        "integer",  # a whole number (``low`` to ``high``)
        "number",  # a finite number (``low`` to ``high``)
        OtherScalarKind,
    ]
    Kind = Literal[
        ScalarKind,
        "condition",
        "record",  # a mapping of the record named ``of``
        "list",  # a list of ``of`` (a record name, or a scalar kind)
    ]

#: A character of an option value: not white space, a control, a bidirectional override or
#: isolate, or a lone surrogate.
_WORD = "[^\\s\\x00-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069\\ud800-\\udfff]"
#: Id patterns (whole-string matches; the schema anchors them).
PATTERNS: Mapping[str, str] = MappingProxyType(
    {
        "questionnaire_id": "[a-z0-9][a-z0-9_-]*",
        "question_id": "[a-z_][a-z0-9_]*",
        "target": "[a-z_][a-z0-9_]*",
        "reference_id": "[A-Za-z0-9][A-Za-z0-9_.-]*",
        # The path in the characters RFC 3986 allows: no space, quote, '<' or '>', so that an
        # address stays one link wherever it is written (a Markdown report's <...> among them).
        "url": (
            "https://[A-Za-z0-9.-]+\\.[A-Za-z]{2,}(?::\\d+)?"
            "(?:/[A-Za-z0-9._~:/?#\\[\\]@!$&'()*+,;=%-]*)?"
        ),
        # Written as a FHIR code too, and into FHIRPath: printable characters, words apart by
        # single spaces (no white space at either end, no tab or line break); no control
        # character, bidirectional override or lone surrogate.
        "option_value": _WORD + "+(?: " + _WORD + "+)*",
    }
)
#: The same in words, for messages and the docs.
PATTERN_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "questionnaire_id": "lower case letters, digits, - and _",
        "question_id": "lower case letters, digits and _",
        "target": "a question id or 'end'",
        "reference_id": "letters, digits, ., - and _",
        "url": "a web address starting with https://, no spaces, quotes, < or >",
        "option_value": "printable text, its words apart by single spaces",
    }
)

#: The bounds of whole numbers in a questionnaire: far beyond any clinical value, and small
#: enough that no arithmetic on them overflows.
WHOLE_LIMIT = 1_000_000_000
#: The bounds of weights and margins.
WEIGHT_LIMIT = 1000.0


class Field:
    """One key of a record (a plain slotted class: made at import, where every µs counts)."""

    __slots__ = (
        "allowed",
        "collapse",
        "default",
        "doc",
        "high",
        "key",
        "kind",
        "label",
        "low",
        "non_empty",
        "of",
        "only",
        "required",
        "reserved",
        "words",
    )

    def __init__(
        self,
        key: str,
        kind: Kind,
        doc: str,
        required: bool = False,
        *,
        of: str = "",
        allowed: tuple[str, ...] = (),
        low: float | None = None,
        high: float | None = None,
        non_empty: bool = False,
        only: tuple[str, ...] = (),
        default: str = "",
        reserved: tuple[str, ...] = (),
        label: str = "",
        words: str = "",
        collapse: bool = False,
    ) -> None:
        self.key = key
        self.kind = kind
        self.doc = doc
        self.required = required
        #: For ``record`` and ``list``: the record's name (or, for a list, a scalar kind).
        self.of = of
        #: For ``enum``: the allowed words.
        self.allowed = allowed
        self.low = low
        self.high = high
        #: For ``list``: at least one item.
        self.non_empty = non_empty
        #: The variants of the record (values of its variant key) that allow this key; empty:
        #: all.
        self.only = only
        #: Words for a default, for the docs.
        self.default = default
        #: Values the field's kind allows but this field does not.
        self.reserved = reserved
        #: How messages name the value: ``{key}`` and ``{what}`` (the record, in words) are
        #: filled in; empty: the record's :attr:`Record.label`.
        self.label = label
        #: For ids: the allowed characters in words, when a message says them otherwise than
        #: :data:`PATTERN_WORDS`.
        self.words = words
        #: For text: runs of white space fold into one space (a name, a site).
        self.collapse = collapse

    def __repr__(self) -> str:
        return f"Field({self.key!r}, {self.kind!r})"


class Record:
    """A mapping of the format: its keys, and what it is for."""

    __slots__ = (
        "builds",
        "doc",
        "fields",
        "label",
        "min_keys",
        "name",
        "parent_variant",
        "variant",
    )

    def __init__(
        self,
        name: str,
        doc: str,
        fields: tuple[Field, ...],
        *,
        variant: str = "",
        parent_variant: bool = False,
        min_keys: int = 0,
        label: str = "the {key} of {what}",
        builds: Callable[..., object] | None = None,
    ) -> None:
        self.name = name
        self.doc = doc
        self.fields = fields
        #: The key whose value picks the variant (``type`` of a question), or "" for none.
        self.variant = variant
        #: True when the variant is the *parent's* (an option takes its question's type).
        self.parent_variant = parent_variant
        #: At least this many keys (a comparison needs the question and one bound).
        self.min_keys = min_keys
        #: How messages name a field's value (see :attr:`Field.label`).
        self.label = label
        #: The model record it reads into, each field's value by its key (the parser's
        #: ``build``); None: the parser's own builder puts it together.
        self.builds = builds

    def __repr__(self) -> str:
        return f"Record({self.name!r})"

    def names(self, variant: str | None = None) -> tuple[str, ...]:
        """The keys allowed (in a variant, when given)."""
        return tuple(
            f.key for f in self.fields if variant is None or not f.only or variant in f.only
        )

    def required(self, variant: str | None = None) -> tuple[str, ...]:
        """The keys that must be there (in a variant, when given)."""
        return tuple(
            f.key
            for f in self.fields
            if f.required and (not f.only or (variant is not None and variant in f.only))
        )

    def field(self, key: str) -> Field:
        """The field of ``key`` (``KeyError`` when the record has none)."""
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    def label_of(self, field: Field, what: str) -> str:
        """How a message names ``field``'s value in the record ``what``."""
        return (field.label or self.label).format(key=field.key, what=what)
