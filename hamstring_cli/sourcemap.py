"""Where each key and value of a document stands: the source map, keyed by data path.

Standard library only. The YAML reader (:mod:`hamstring_cli.safe_yaml`) fills it while
it builds plain data; the format parser and the answer-file reader read places from it. It
lives apart from the reader so that code which reads places (a cached questionnaire, the
parser) needs no YAML.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeAlias

from hamstring_cli.errors import Place

__all__ = ["DataPath", "Key", "LazySourceMap", "NeedsPlaces", "SourceMap"]

Key: TypeAlias = str | int | float | bool | None
#: A path into the data: mapping keys and sequence indexes, ``("questions", 3, "next")``.
DataPath: TypeAlias = tuple[Key, ...]


class _Mark(Protocol):
    # PyYAML's marks, and the JSON reader's: 0-based.
    @property
    def line(self) -> int: ...

    @property
    def column(self) -> int: ...


class SourceMap:
    """Where each key and value of a document stands, by data path (1-based line and column).

    ``value(path)`` is the place of a value, ``key(path)`` the place of the key that names it
    (for a sequence item or the root, the value's place). A path the map does not hold falls
    back to its nearest recorded ancestor, and then to the file alone.
    """

    __slots__ = ("_file", "_keys", "_values", "digest", "file")

    def __init__(self, file: str, digest: str = "") -> None:
        self.file = file
        self._file = Place(file)
        #: The first 12 hex digits of the SHA-256 of the document's bytes.
        self.digest = digest
        # PyYAML's own marks (0-based), turned into places only when asked: most never are.
        self._keys: dict[DataPath, _Mark] = {}
        self._values: dict[DataPath, _Mark] = {}

    def _place(self, mark: _Mark) -> Place:
        return Place(self.file, mark.line + 1, mark.column + 1)

    def value(self, path: DataPath) -> Place:
        """The place of the value at ``path``."""
        if not self._values:  # a map with no places (a cached questionnaire): the file alone
            return self._file
        while path not in self._values and path:
            path = path[:-1]
        mark = self._values.get(path)
        return self._place(mark) if mark is not None else Place(self.file)

    def key(self, path: DataPath) -> Place:
        """The place of the mapping key that names ``path`` (else the value's place)."""
        mark = self._keys.get(path)
        return self._place(mark) if mark is not None else self.value(path)

    def __contains__(self, path: object) -> bool:
        return path in self._values

    def __len__(self) -> int:
        return len(self._values)


class NeedsPlaces(Exception):
    """A quick reader (no places) met something to report, or to look at closely: the document
    is read again by the located reader, which says what and where."""


class LazySourceMap(SourceMap):
    """A source map made on first use, by ``make``: for a document read without places.

    Most documents are read, found fine and used without a single place being asked for; the
    places of the few that need one (a message about an answer) are found then, by reading the
    same text again with the located reader.
    """

    __slots__ = ("_made", "_make")

    def __init__(self, file: str, make: Callable[[], SourceMap]) -> None:
        super().__init__(file)
        self._make = make
        self._made: SourceMap | None = None

    def made(self) -> SourceMap:
        """The source map itself, made now if it has not been."""
        if self._made is None:
            self._made = self._make()
            self.digest = self._made.digest
        return self._made

    def value(self, path: DataPath) -> Place:
        """The place of the value at ``path``."""
        return self.made().value(path)

    def key(self, path: DataPath) -> Place:
        """The place of the mapping key that names ``path`` (else the value's place)."""
        return self.made().key(path)

    def __contains__(self, path: object) -> bool:
        return path in self.made()

    def __len__(self) -> int:
        return len(self.made())
