"""Read a JSON document: fast into plain data, or with the place of every key and value.

Standard library only. A ``.json`` answer file or questionnaire, and each line of a
JSON Lines stream, is JSON, and is read by a JSON parser: YAML reads most JSON, but refuses
some that is valid (a surrogate-pair escape such as ``"\\ud83d\\ude00"``, which ``json.dumps``
writes for an emoji; a key over 1,024 characters; a key with its colon on the next line) and
reads a raw U+0085 in a string as a line break.

Two readers, one verdict:

- :func:`quick_data` is ``json.loads`` with the checks the located reader makes (no duplicate
  key, no ``NaN`` or ``Infinity``, no number too long or too large to be finite, no nesting
  deeper than :data:`MAX_DEPTH`, no more than :data:`MAX_VALUES` values). It gives plain data
  and no places; on anything unusual it raises :class:`NeedsPlaces`, and the caller reads the
  text again with the located reader, which says what and where.
- :func:`read_json` parses the text itself and fills a
  :class:`~hamstring_cli.sourcemap.SourceMap` with the place of every key and value; it reports
  each problem at its line and column, with the words ``json`` uses for a syntax error.

Data is as :mod:`hamstring_cli.safe_yaml` gives it for the same document: dicts in file order,
lists, str, int, float, bool and None.
"""

from __future__ import annotations

import json
import math
import re
from json.decoder import scanstring  # type: ignore[attr-defined]  # public, untyped

from hamstring_cli.errors import Code, Diagnostic, Place, diagnostic
from hamstring_cli.files import MAX_DEPTH, MAX_VALUES
from hamstring_cli.model import short_text
from hamstring_cli.sourcemap import DataPath, Key, NeedsPlaces, SourceMap

__all__ = ["NeedsPlaces", "quick_data", "read_json"]

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_CONSTANTS = ("NaN", "Infinity", "-Infinity")
#: The words of a refused number, as the YAML reader says them.
_FINITE = "a finite number (not NaN or Infinity)"
_DIGITS = "a number of at most 4,000 digits"


class _Refused(ValueError):
    """A value ``json.loads`` takes and this reader does not (a duplicate key, NaN)."""


def _pairs(pairs: list[tuple[str, object]]) -> dict[str, object]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _Refused("duplicate key")
    return found


def _constant(name: str) -> object:
    raise _Refused(name)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(text)
    return value


_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_float, strict=True
)


def quick_data(text: str) -> object:
    """The data of a JSON text with no problem, fast and without places.

    Raises:
        NeedsPlaces: anything the located reader (:func:`read_json`) would report, and a
            text too large or too deeply bracketed to be sure of cheaply.
    """
    # n values take at least 2n - 1 characters, and nesting needs its brackets: a text under
    # these sizes cannot pass either limit, so only a large one is walked by the located reader.
    if len(text) >= 2 * MAX_VALUES or text.count("[") + text.count("{") > MAX_DEPTH:
        raise NeedsPlaces
    try:
        return _DECODER.decode(text)
    except (ValueError, RecursionError):
        raise NeedsPlaces from None


class _Mark:
    """A place in the text, 0-based as PyYAML's marks are, worked out when asked."""

    __slots__ = ("_reader", "index")

    def __init__(self, reader: _Reader, index: int) -> None:
        self._reader = reader
        self.index = index

    @property
    def line(self) -> int:
        return self._reader.line_column(self.index)[0] - 1

    @property
    def column(self) -> int:
        return self._reader.line_column(self.index)[1] - 1


class _Stop(Exception):
    """The text cannot be read on: a syntax error, or a document too large or too deep."""


class _Reader:
    """A JSON parser that records the place of each key and value in a source map."""

    def __init__(self, text: str, source_map: SourceMap) -> None:
        self.text = text
        self.map = source_map
        self.problems: list[Diagnostic] = []
        self.count = 0

    def line_column(self, index: int) -> tuple[int, int]:
        """The 1-based line and column of a character of the text."""
        line = self.text.count("\n", 0, index) + 1
        return line, index - (self.text.rfind("\n", 0, index) + 1) + 1

    def place(self, index: int) -> Place:
        line, column = self.line_column(index)
        return Place(self.map.file, line, column)

    def skip(self, index: int) -> int:
        match = _WHITESPACE.match(self.text, index)
        return match.end() if match else index

    def syntax(self, message: str, index: int) -> _Stop:
        self.problems.append(diagnostic(Code.JSON_SYNTAX, self.place(index), detail=message))
        return _Stop()

    def document(self) -> object:
        start = self.skip(0)
        if start == len(self.text):
            self.problems.append(diagnostic(Code.EMPTY, Place(self.map.file)))
            raise _Stop
        value, end = self.value(start, (), 0)
        end = self.skip(end)
        if end != len(self.text):
            raise self.syntax("Extra data", end)
        return value

    def value(self, index: int, path: DataPath, depth: int) -> tuple[object, int]:
        self.count += 1
        if self.count > MAX_VALUES:
            self.too_complex(index, f"more than {MAX_VALUES} values")
        self.map._values[path] = _Mark(self, index)
        text = self.text
        char = text[index : index + 1]
        if char == '"':
            return self.string(index)
        if char == "{":
            return self.mapping(index, path, depth)
        if char == "[":
            return self.sequence(index, path, depth)
        for word, meaning in (("null", None), ("true", True), ("false", False)):
            if text.startswith(word, index):
                return meaning, index + len(word)
        for name in _CONSTANTS:
            if text.startswith(name, index):
                self.number_problem(index, name, _FINITE)
                return None, index + len(name)
        match = _NUMBER.match(text, index)
        if match is None:
            raise self.syntax("Expecting value", index)
        return self.number(match), match.end()

    def number(self, match: re.Match[str]) -> int | float | None:
        whole, fraction, exponent = match.groups()
        if fraction or exponent:
            value = float(match.group())
            if math.isfinite(value):
                return value
            self.number_problem(match.start(), match.group(), _FINITE)
            return None
        try:
            return int(whole)
        except ValueError:  # more digits than Python converts
            self.number_problem(match.start(), match.group(), _DIGITS)
            return None

    def number_problem(self, index: int, text: str, expected: str) -> None:
        self.problems.append(
            diagnostic(
                Code.BAD_NUMBER, self.place(index), value=short_text(text), expected=expected
            )
        )

    def too_complex(self, index: int, detail: str) -> None:
        self.problems.append(diagnostic(Code.TOO_COMPLEX, self.place(index), detail=detail))
        raise _Stop

    def string(self, index: int) -> tuple[str, int]:
        try:
            text, end = scanstring(self.text, index + 1, True)
            return str(text), int(end)
        except json.JSONDecodeError as error:
            raise self.syntax(error.msg, error.pos) from None

    def mapping(self, index: int, path: DataPath, depth: int) -> tuple[dict[Key, object], int]:
        if depth >= MAX_DEPTH:
            self.too_complex(index, f"nested more than {MAX_DEPTH} levels deep")
        result: dict[Key, object] = {}
        first: dict[str, int] = {}
        end = self.skip(index + 1)
        if self.text[end : end + 1] == "}":
            return result, end + 1
        while True:
            if self.text[end : end + 1] != '"':
                raise self.syntax("Expecting property name enclosed in double quotes", end)
            key_at = end
            key, end = self.string(end)
            end = self.skip(end)
            if self.text[end : end + 1] != ":":
                raise self.syntax("Expecting ':' delimiter", end)
            end = self.skip(end + 1)
            sub = (*path, key)
            if key in first:
                self.problems.append(
                    diagnostic(
                        Code.DUPLICATE_KEY,
                        self.place(key_at),
                        key=key,
                        first_line=self.line_column(first[key])[0],
                    )
                )
                # Read past the value, keeping the first one and its places.
                _, end = self.value(end, (*path, key, "(duplicate)"), depth + 1)
            else:
                first[key] = key_at
                self.map._keys[sub] = _Mark(self, key_at)
                result[key], end = self.value(end, sub, depth + 1)
            end = self.skip(end)
            char = self.text[end : end + 1]
            if char == "}":
                return result, end + 1
            if char != ",":
                raise self.syntax("Expecting ',' delimiter", end)
            end = self.skip(end + 1)

    def sequence(self, index: int, path: DataPath, depth: int) -> tuple[list[object], int]:
        if depth >= MAX_DEPTH:
            self.too_complex(index, f"nested more than {MAX_DEPTH} levels deep")
        result: list[object] = []
        end = self.skip(index + 1)
        if self.text[end : end + 1] == "]":
            return result, end + 1
        while True:
            item, end = self.value(end, (*path, len(result)), depth + 1)
            result.append(item)
            end = self.skip(end)
            char = self.text[end : end + 1]
            if char == "]":
                return result, end + 1
            if char != ",":
                raise self.syntax("Expecting ',' delimiter", end)
            end = self.skip(end + 1)


def read_json(text: str, source_map: SourceMap) -> tuple[object, list[Diagnostic]]:
    """Parse a JSON text, filling ``source_map`` with the place of every key and value.

    Returns:
        The data, and the problems found (empty when the document is fine): a syntax error
        (``E019``, at the line and column, in ``json``'s words), an empty text (``E007``), a
        duplicate key (``E005``, naming the first), ``NaN``, ``Infinity`` and numbers too long
        or too large to be finite (``E018``), and a document too deep or too large (``E009``).
    """
    reader = _Reader(text, source_map)
    try:
        data = reader.document()
    except _Stop:
        return None, reader.problems
    return data, reader.problems
