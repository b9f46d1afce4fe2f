"""The record reader: a record of the format read field by field, each by its declared kind.

:mod:`hamstring_cli.format_spec` declares every record: its fields, each field's kind, the words
messages use for its value, and the model record it reads into (``Record.builds``).
:class:`RecordReader` reads a mapping by that declaration alone: each field by its kind (text,
ids, closed sets, numbers, web addresses, conditions, nested records and lists), and the model
record made from the values by their keys. A new key of such a record is one :class:`Field` in
the table (and the model record's attribute that holds it): the parser is not edited.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

from hamstring_cli import format_spec as spec
from hamstring_cli.condition_reader import ConditionReader
from hamstring_cli.field_reader import MISSING
from hamstring_cli.sourcemap import DataPath, Key

if TYPE_CHECKING:
    from hamstring_cli.format_fields import Kind

__all__ = ["RecordReader"]


def _sound(field: spec.Field, value: object) -> object:
    """``value`` when it is plainly sound text or one of the allowed words, else ``MISSING``."""
    kind = field.kind
    if type(value) is str and value.isprintable() and not field.collapse:
        if kind == "text" and value.strip():
            return value
        if kind == "enum" and value in field.allowed:
            return value
    return MISSING


class RecordReader(ConditionReader):
    """Reads the records of a document by their declaration in the format's table."""

    def field(self, field: spec.Field, raw: object, path: DataPath, what: str) -> object:
        """``raw`` read as ``field`` declares (None, after a report, when it is wrong)."""
        kind = field.kind
        if kind == "condition":
            return self.condition(raw, path)  # a condition's words are its form's
        if kind == "record":
            return self.record(spec.RECORDS[field.of], raw, path, what)
        if kind == "list":
            return self.items(field, raw, path, what)
        return self.scalar(field, kind, raw, path, what)

    def items(self, field: spec.Field, raw: object, path: DataPath, what: str) -> object:
        """A list field: each item by the kind (or the record) the field's ``of`` names."""
        found = self.sequence(raw, path, what, non_empty=field.non_empty)
        record = spec.RECORDS.get(field.of)
        item_field = None if record else spec.Field(field.key, cast("Kind", field.of), field.doc)
        out: list[object] = []
        whole = isinstance(raw, list) and not (field.non_empty and not raw)
        for i, item in enumerate(found):
            words = f"item {i + 1} of {what}"
            if record is not None:
                value = self.record(record, item, (*path, i), words)
            else:
                assert item_field is not None
                value = self.field(item_field, item, (*path, i), words)
            if value is None:
                whole = False
            else:
                out.append(value)
        return tuple(out) if whole else None

    def record(self, record: spec.Record, raw: object, path: DataPath, what: str) -> object:
        """A mapping of ``record``: its keys checked, then built (None after a report)."""
        found = self.mapping(raw, path, what, record.names(), record.required())
        return None if found is None else self.build(record, found, path, what)

    def build(
        self, record: spec.Record, raw: Mapping[Key, object], path: DataPath, what: str
    ) -> object:
        """The model record of a mapping whose keys are checked (None when a value is wrong)."""
        values, whole = self.values(record, raw, path, what)
        return self.make(record, values, path) if whole else None

    def values(
        self, record: spec.Record, raw: Mapping[Key, object], path: DataPath, what: str
    ) -> tuple[dict[str, object], bool]:
        """The values of a record's fields that are there, and whether every one was sound.

        A record with a variant key (the modality of an imaging rule) reads it first: the
        fields of the other variants are not read, and hold None. Values not there are left
        out, for the model's defaults (a missing required key is the key check's to report).
        """
        out: dict[str, object] = {}
        whole = True
        variant: str | None = None
        fields = record.fields
        if record.variant and not record.parent_variant:
            first = record.field(record.variant)
            whole = self.value_into(out, record, first, raw, path, what)
            found = out.get(first.key)
            variant = found if isinstance(found, str) else None
            fields = tuple(f for f in fields if f is not first)
        for field in fields:
            if field.only and variant is not None and variant not in field.only:
                out[field.key] = None  # not a key of this variant
                continue
            whole = self.value_into(out, record, field, raw, path, what) and whole
        return out, whole

    def value_into(
        self,
        out: dict[str, object],
        record: spec.Record,
        field: spec.Field,
        raw: Mapping[Key, object],
        path: DataPath,
        what: str,
    ) -> bool:
        """Read one field into ``out``; whether it is sound (there, or not needed)."""
        value = raw.get(field.key, MISSING)
        if value is MISSING:
            return not field.required
        found = _sound(field, value)
        if found is MISSING:
            # Only a value that may be wrong needs the words a message would name it by.
            found = self.field(field, value, (*path, field.key), record.label_of(field, what))
        if found is None:
            return False
        out[field.key] = found
        return True

    def make(self, record: spec.Record, values: dict[str, object], path: DataPath) -> object:
        """The model record of ``record`` from its values by key, with its place."""
        model = record.builds
        if model is None:
            raise TypeError(f"the {record.name} record is put together by the parser's own code")
        if "at" in getattr(model, "_fields", ()):
            values["at"] = self.at(path)
        return model(**values)
