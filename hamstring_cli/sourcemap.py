"""Where each key and value of a document stands: the source map, keyed by data path.

Layer 0, standard library only. The YAML reader (:mod:`hamstring_cli.safe_yaml`) fills it while
it builds plain data; the format parser and the answer-file reader read places from it. It
lives apart from the reader so that code which reads places (a cached questionnaire, the
parser) needs no YAML.
"""

from __future__ import annotations

from typing import Protocol, TypeAlias

from hamstring_cli.errors import Place

Key: TypeAlias = str | int | float | bool | None
#: A path into the data: mapping keys and sequence indexes, ``("questions", 3, "next")``.
DataPath: TypeAlias = tuple[Key, ...]


class _Mark(Protocol):
    line: int
    column: int


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
