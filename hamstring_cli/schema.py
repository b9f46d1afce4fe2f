"""The JSON Schema (draft 2020-12) of the questionnaire format, made from its one declaration.

Pure: data only. Every record, key, closed set, id pattern and number range comes
from :mod:`hamstring_cli.format_spec`, the table the parser reads too, so the two cannot drift
(a differential test runs broken questionnaires through both). What a schema cannot say (that
a ``next`` names a real question, that a value is an option of its question, that ``min`` is
not above ``max``) is left to ``hamstring check``.

Two notes for readers of the schema: text that must not be blank has the pattern ``\\S``; and
id patterns end in ``$(?!\\n)``, because some regular expression engines (Python's among them)
let ``$`` match before a final newline, and an id never ends in one.
"""

from __future__ import annotations

from typing import Any

from hamstring_cli.format_spec import (
    CONDITION_FORMS,
    PATTERNS,
    RECORDS,
    Field,
    Record,
)

__all__ = ["json_schema"]

Schema = dict[str, Any]


def _pattern(kind: str) -> str:
    return f"^(?:{PATTERNS[kind]})$(?!\\n)"


def _scalar(kind: str) -> Schema:
    """The schema of a value of a scalar kind (or a reference to a shared definition)."""
    if kind == "format":
        return {"type": "integer", "const": 1}
    if kind == "text":
        return {"type": "string", "pattern": "\\S"}
    if kind == "optional_text":
        return {"type": "string"}
    if kind in PATTERNS:
        return {"type": "string", "pattern": _pattern(kind)}
    if kind == "boolean":
        return {"type": "boolean"}
    if kind in ("value", "condition"):
        return {"$ref": f"#/$defs/{kind}"}
    if kind in RECORDS:
        return {"$ref": f"#/$defs/{kind}"}
    raise ValueError(f"no schema for the kind {kind!r}")


def _field(field: Field) -> Schema:
    kind = field.kind
    if kind == "list":
        out: Schema = {"type": "array", "items": _scalar(field.of)}
        if field.non_empty:
            out["minItems"] = 1
    elif kind == "record":
        out = _scalar(field.of)
    elif kind == "enum":
        out = {"enum": list(field.allowed)}
    elif kind in ("integer", "number"):
        out = {"type": kind}
        if field.low is not None:
            out["minimum"] = field.low
        if field.high is not None:
            out["maximum"] = field.high
    else:
        out = _scalar(kind)
    if field.reserved:
        out["not"] = {"enum": list(field.reserved)}
    description = field.doc + (f" Default: {field.default}." if field.default else "")
    return {**out, "description": description}


def _record(record: Record) -> Schema:
    out: Schema = {
        "type": "object",
        "description": record.doc,
        "properties": {f.key: _field(f) for f in record.fields},
        "required": list(record.required()),
        "additionalProperties": False,
    }
    if record.min_keys:
        out["minProperties"] = record.min_keys
    if record.variant and not record.parent_variant:
        out["allOf"] = _variants(record)
    return out


def _variants(record: Record) -> list[Schema]:
    """One if/then per variant: the keys it needs, and the keys (own or nested) it refuses."""
    key = record.variant
    out: list[Schema] = []
    for value in record.field(key).allowed:
        refused: Schema = {f.key: False for f in record.fields if f.only and value not in f.only}
        for f in record.fields:
            nested = RECORDS.get(f.of)
            if f.kind == "list" and nested is not None and nested.parent_variant:
                no = {g.key: False for g in nested.fields if g.only and value not in g.only}
                if no and value in (f.only or (value,)):
                    refused[f.key] = {"items": {"properties": no}}
        then: Schema = {}
        needed = [f.key for f in record.fields if f.required and f.only and value in f.only]
        if needed:
            then["required"] = needed
        if refused:
            then["properties"] = refused
        if then:
            out.append(
                {"if": {"properties": {key: {"const": value}}, "required": [key]}, "then": then}
            )
    return out


def json_schema() -> Schema:
    """The JSON Schema (draft 2020-12) of questionnaire format 1.

    Returns:
        A fresh dict, ready for ``json.dumps``.
    """
    defs: Schema = {
        "condition": {
            "description": "A condition: data, never code. A condition on a question that was "
            "not answered does not hold (and 'not' of it does).",
            "type": "object",
            "anyOf": [_record(form) for form in CONDITION_FORMS],
        },
        "value": {
            "description": "An option value, or a whole number for integer questions.",
            "anyOf": [{"type": "string"}, {"type": "integer"}],
        },
    }
    for name, record in RECORDS.items():
        if name != "questionnaire":
            defs[name] = _record(record)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "hamstring questionnaire, format 1",
        **_record(RECORDS["questionnaire"]),
        "$defs": defs,
    }
