"""Read YAML (and JSON) safely into plain data with a source map.

The only module that imports PyYAML. A document is *composed* (parsed into a node
tree, never constructed by PyYAML as a whole), then turned into plain Python data here, tag by
tag: only the standard scalar, sequence and mapping tags are accepted, so a tag such as
``!!python/object`` is refused before anything could construct it. The line and column of every
key and value go into a :class:`~hamstring_cli.sourcemap.SourceMap` beside the data, never
into it. What the data *means* (a questionnaire) is :mod:`hamstring_cli.loader`'s business.

Scalars are read as YAML 1.2 (and JSON) read them, not as YAML 1.1 does:

- only ``true``/``false`` are booleans: ``yes``/``no``/``on``/``off`` stay text, because ``no``
  is a value the contract's answer files use; timestamps stay text;
- a whole number is decimal digits with an optional sign, so ``050`` is 50 (never octal);
  the YAML 1.1 forms ``0x1F``, ``0o17``, ``0b101``, ``1_000`` and ``1:30`` (base 60) are
  errors that say what is allowed, never a silently different number;
- other numbers are ``1.5``, ``-2.0``, ``1e3``; ``.inf`` and ``.nan`` are refused: nothing in a
  questionnaire or an answer file is infinite or not a number.
"""

from __future__ import annotations

import math
import os
import re
from typing import cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from hamstring_cli.digest import sha256
from hamstring_cli.errors import (
    Code,
    Diagnostic,
    Place,
    QuestionnaireError,
    UserError,
    diagnostic,
)
from hamstring_cli.files import MAX_DEPTH, MAX_VALUES, QUESTIONNAIRE_LIMIT, read_input_file
from hamstring_cli.model import short_text
from hamstring_cli.sourcemap import DataPath, Key, LazySourceMap, NeedsPlaces, SourceMap

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

__all__ = ["MAX_VALUES", "DataPath", "Key", "SourceMap", "read_data", "read_document"]


_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + t for t in ("str", "int", "float", "bool", "null"))
_SEQ, _MAP, _TIMESTAMP, _MERGE = (_TAG + t for t in ("seq", "map", "timestamp", "merge"))
#: The tag this reader gives the YAML 1.1 number forms it refuses (``0x1F``, ``1_000``, ``1:30``).
_OLD_NUMBER = "tag:hamstring,2026:yaml-1.1-number"

#: What a number may look like, for messages.
NUMBER_WORDS = (
    "a whole number in decimal digits with an optional sign (50, -3, 050 is 50), "
    "or a decimal number (1.5, 2e3); quote it to make it text"
)

_DIGITS = list("-+0123456789")
_WHOLE = re.compile(r"^[-+]?[0-9]+$")
_DECIMAL = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_OCTAL_1_2 = re.compile(r"^[-+]?0o[0-7_]+$")


class _Loader(_BaseLoader):
    """The safe loader with YAML 1.2 (JSON) booleans and numbers."""

    # The C parser asks these for every node. PyYAML's own resolver also tries path resolvers
    # (this loader has none) and builds a list per scalar; these do the same lookup in about a
    # third less time, which is most of reading a small answer file.
    def resolve(self, kind: type[Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if implicit[0]:
                for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regexp.match(value):
                        return str(tag)
            return _STR
        return _SEQ if kind is SequenceNode else _MAP

    def descend_resolver(self, current_node: Node | None, current_index: object) -> None:
        """No path resolvers: nothing to track."""

    def ascend_resolver(self) -> None:
        """No path resolvers: nothing to track."""


# PyYAML tries a first character's resolvers in order and takes the first match: the YAML 1.2
# forms come first; whatever else PyYAML's own YAML 1.1 resolvers read as a number (0x1F,
# 1_000, 1:30: their compiled patterns are reused), and 0o17, is tagged for refusal.
_Loader.yaml_implicit_resolvers = {
    first: [
        (_OLD_NUMBER if tag in (_INT, _FLOAT) else tag, regexp)
        for tag, regexp in resolvers
        if tag != _BOOL
    ]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
for _first in [*_DIGITS, "."]:
    _Loader.yaml_implicit_resolvers.setdefault(_first, [])[:0] = [
        *([(_INT, _WHOLE)] if _first != "." else []),
        (_FLOAT, _DECIMAL),
        *([(_FLOAT, _SPECIAL)] if _first in "-+." else []),
        *([(_OLD_NUMBER, _OCTAL_1_2)] if _first in "-+0" else []),
    ]
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
# _Loader.resolve looks resolvers up by the first character only: none may be for any first one.
assert None not in _Loader.yaml_implicit_resolvers


def _number(text: str) -> int | float:
    """A YAML 1.2 number (``ValueError`` for anything else, or an integer too long to read)."""
    if _WHOLE.match(text):
        return int(text, 10)  # ValueError beyond Python's limit on digits
    if _SPECIAL.match(text):
        return float(text.lower().replace(".", ""))
    if _DECIMAL.match(text):
        return float(text)
    raise ValueError(text)


class _Abort(Exception):
    """Stop building: the document is too large or too deep to go on safely."""


class _Builder:
    """Turns a composed node tree into plain data, recording places and collecting problems."""

    def __init__(self, source_map: SourceMap, problems: list[Diagnostic]) -> None:
        self.map = source_map
        self.problems = problems
        self.count = 0
        # Nodes being built right now: an alias to one of them is a recursive document.
        self.active: set[int] = set()

    def place(self, node: Node) -> Place:
        mark = node.start_mark
        return Place(self.map.file, mark.line + 1, mark.column + 1)

    def refuse_tag(self, node: Node) -> None:
        tag = node.tag.replace(_TAG, "!!", 1) if node.tag.startswith(_TAG) else node.tag
        self.problems.append(diagnostic(Code.UNSAFE_TAG, self.place(node), tag=tag))

    def build(self, node: Node, path: DataPath, depth: int) -> object:
        self.count += 1
        if self.count > MAX_VALUES:
            self.too_complex(node, f"more than {MAX_VALUES} values once aliases are expanded")
        self.map._values[path] = node.start_mark
        if isinstance(node, ScalarNode):
            if node.tag == _STR:  # the common case, first
                return node.value
            ok, value = self.scalar(node)
            return value if ok else None
        if depth >= MAX_DEPTH:
            self.too_complex(node, f"nested more than {MAX_DEPTH} levels deep")
        if id(node) in self.active:
            self.problems.append(
                diagnostic(
                    Code.TOO_COMPLEX,
                    self.place(node),
                    detail="an alias refers to a value that contains it",
                )
            )
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                if node.tag != _SEQ:
                    self.refuse_tag(node)
                    return None
                return [
                    self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)
                ]
            if isinstance(node, MappingNode):
                if node.tag != _MAP:
                    self.refuse_tag(node)
                    return None
                return self.mapping(node, path, depth)
        finally:
            self.active.discard(id(node))
        raise AssertionError(f"unexpected node {node!r}")  # pragma: no cover - composer nodes

    def too_complex(self, node: Node, detail: str) -> None:
        self.problems.append(diagnostic(Code.TOO_COMPLEX, self.place(node), detail=detail))
        raise _Abort

    def scalar(self, node: ScalarNode) -> tuple[bool, object]:
        tag = node.tag
        if tag in (_STR, _TIMESTAMP):
            return True, node.value
        if tag == _NULL:
            return True, None
        if tag == _BOOL:
            lowered = node.value.lower()
            if lowered in ("true", "false"):
                return True, lowered == "true"
            return self.unreadable(node, "a boolean (true or false)")
        if tag in (_INT, _FLOAT, _OLD_NUMBER):
            try:
                value = _number(node.value)
            except ValueError:
                digits = sum(c.isdigit() for c in node.value)
                if tag != _OLD_NUMBER and digits > 4000:
                    return self.unreadable(node, "a number of at most 4,000 digits")
                return self.unreadable(node, NUMBER_WORDS)
            if tag == _INT and isinstance(value, float):
                return self.unreadable(node, "a whole number ('!!int' was given)")
            if isinstance(value, float) and not math.isfinite(value):
                return self.unreadable(node, "a finite number (not .inf or .nan)")
            return True, float(value) if tag == _FLOAT and node.style is not None else value
        self.refuse_tag(node)
        return False, None

    def unreadable(self, node: ScalarNode, allowed: str) -> tuple[bool, object]:
        """Report a scalar this reader does not read as the number or boolean it looks like."""
        self.problems.append(
            diagnostic(
                Code.BAD_NUMBER,
                self.place(node),
                value=short_text(node.value),
                expected=allowed,
            )
        )
        return False, None

    def mapping(self, node: MappingNode, path: DataPath, depth: int) -> dict[Key, object]:
        result: dict[Key, object] = {}
        first: dict[Key, yaml.Mark] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            tag = key_node.tag
            if tag == _MERGE:
                merges.append(value_node)
                continue
            if not isinstance(key_node, ScalarNode):
                self.problems.append(
                    diagnostic(
                        Code.WRONG_TYPE,
                        self.place(key_node),
                        what="a mapping key",
                        expected="plain text",
                        actual="a list" if isinstance(key_node, SequenceNode) else "a mapping",
                    )
                )
                continue
            if tag == _STR:
                key: Key = key_node.value
            else:
                ok, raw_key = self.scalar(key_node)
                if not ok:
                    continue
                key = cast(Key, raw_key)
            if key in first:
                self.problems.append(
                    diagnostic(
                        Code.DUPLICATE_KEY,
                        self.place(key_node),
                        key=key,
                        first_line=first[key].line + 1,
                    )
                )
                continue
            first[key] = key_node.start_mark
            sub = (*path, key)
            self.map._keys[sub] = key_node.start_mark
            result[key] = self.build(value_node, sub, depth + 1)
        for source in merges:
            self.merge(result, source, path, depth)
        return result

    def merge(self, result: dict[Key, object], source: Node, path: DataPath, depth: int) -> None:
        """Apply a ``<<`` merge key: keys given explicitly win, then earlier merged mappings.

        A merged mapping may itself hold a merge key (a chain of anchors): its own keys come
        first, then what it merges, as if it had been written out in full.
        """
        if depth >= MAX_DEPTH:
            self.too_complex(source, f"merges nested more than {MAX_DEPTH} levels deep")
        sources = source.value if isinstance(source, SequenceNode) else [source]
        for item in sources:
            if not isinstance(item, MappingNode) or item.tag != _MAP:
                self.problems.append(
                    diagnostic(
                        Code.WRONG_TYPE,
                        self.place(item),
                        what="a merge ('<<')",
                        expected="a mapping or a list of mappings",
                        actual="a list" if isinstance(item, SequenceNode) else "a single value",
                    )
                )
                continue
            if id(item) in self.active:
                self.problems.append(
                    diagnostic(
                        Code.TOO_COMPLEX,
                        self.place(item),
                        detail="a merge ('<<') refers to a mapping that contains it",
                    )
                )
                continue
            self.active.add(id(item))
            try:
                nested: list[Node] = []
                for key_node, value_node in item.value:
                    if key_node.tag == _MERGE:
                        nested.append(value_node)
                        continue
                    ok, raw_key = (
                        self.scalar(key_node) if isinstance(key_node, ScalarNode) else (False, None)
                    )
                    key = cast(Key, raw_key)
                    if ok and key not in result:
                        sub = (*path, key)
                        self.map._keys[sub] = key_node.start_mark
                        result[key] = self.build(value_node, sub, depth + 1)
                for inner in nested:
                    self.merge(result, inner, path, depth + 1)
            finally:
                self.active.discard(id(item))


def _digest(raw: bytes) -> str:
    return sha256(raw).hexdigest()[:12]


def _line_column(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _decode(raw: bytes, name: str) -> tuple[str | None, list[Diagnostic]]:
    if b"\x00" in raw:
        return None, [diagnostic(Code.NOT_TEXT, Place(name))]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        return None, [diagnostic(Code.NOT_TEXT, Place(name, line))]


def _compose(text: str, name: str) -> tuple[Node | None, list[Diagnostic]]:
    """Compose the one document of ``text`` (``None`` for an empty stream)."""
    loader = _Loader(text)
    try:
        node = loader.get_node() if loader.check_node() else None
        if node is not None and loader.check_node():
            event = loader.peek_event()
            mark = event.start_mark if event is not None else None
            line = mark.line if mark is not None else 0
            # The C parser has already passed the '---' of the next document: find it.
            lines = text.splitlines()
            while 0 < line < len(lines) and not lines[line].startswith("---"):
                line -= 1
            return None, [diagnostic(Code.MULTIPLE_DOCUMENTS, Place(name, line + 1, 1))]
        return node, []
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = Place(name, mark.line + 1, mark.column + 1) if mark else Place(name)
        context = error.context or ""
        if context and error.context_mark and error.context_mark is not mark:
            # Where the unfinished thing began: often far above the place of the error.
            begun = error.context_mark
            context += f" (from line {begun.line + 1}, column {begun.column + 1})"
        detail = ": ".join(filter(None, [context, error.problem]))
        return None, [diagnostic(Code.YAML_SYNTAX, where, detail=detail)]
    except yaml.reader.ReaderError as error:
        line, column = _line_column(text, error.position)
        detail = f"character {error.character!r} is not allowed in YAML ({error.reason})"
        return None, [diagnostic(Code.YAML_SYNTAX, Place(name, line, column), detail=detail)]
    except yaml.YAMLError as error:  # pragma: no cover - every PyYAML error above has a place
        return None, [diagnostic(Code.YAML_SYNTAX, Place(name), detail=str(error))]
    except RecursionError:
        # The pure-Python composer recurses once per nesting level.
        return None, [diagnostic(Code.TOO_COMPLEX, Place(name), detail="nested too deep to read")]
    finally:
        loader.dispose()


def read_document(
    path: str | os.PathLike[str] | None = None,
    *,
    text: str | bytes | None = None,
    name: str | None = None,
    error: type[UserError] = QuestionnaireError,
    limit: int = QUESTIONNAIRE_LIMIT,
    what: str = "a questionnaire",
    json: bool | None = None,
) -> tuple[object, SourceMap]:
    """Read one YAML (or JSON) document safely into plain data and a source map.

    This is the located reader: every key and value gets its place, and every problem is
    reported at its place. :func:`read_data` reads the same documents to the same data
    faster, and calls this one only when a place is wanted.

    Give either ``path`` (a file) or ``text`` (the document itself, e.g. standard input read
    by the caller). The data holds only dicts, lists, str, int, float, bool and None; mapping
    keys keep their YAML order. Every problem found is collected, then all are raised at once
    as ``error`` (a :class:`UserError` subclass, so the answer-file layer passes
    ``error=AnswerError``): a missing (``E001``) or unreadable (``E002``) file, bytes that are
    not UTF-8 text (``E003``), a syntax error (``E004``, at the mark PyYAML reports), duplicate
    keys (``E005``, naming the first), tags other than the standard ones (``E006``, never
    constructed), numbers YAML 1.2 does not read or that are not finite (``E018``), a JSON
    syntax error in a ``.json`` file (``E019``, at the line and column JSON reports), an
    empty document (``E007``: nothing, only comments, or a lone ``---``),
    several documents (``E008``), and alias bombs or absurd nesting (``E009``).

    A JSON document (``json``, or by default a name ending in ``.json``) is read by the JSON
    parser of :mod:`hamstring_cli.json_doc` instead of as YAML: its syntax errors are JSON's
    (``E019``), and what JSON allows and YAML does not (a surrogate-pair escape, a long key,
    a raw U+0085) reads as JSON reads it.

    Args:
        path: the file to read.
        text: the document's content, instead of a file.
        name: how places name the document (default: ``path`` as given, or ``<text>``).
        error: the exception class to raise.
        limit: the most bytes read from ``path`` (a regular file; see :mod:`hamstring_cli.files`).
        what: what the file is, for the message that refuses it.
        json: read the document as JSON (default: when its name ends in ``.json``).

    Returns:
        The data and its :class:`SourceMap` (whose ``digest`` is the content hash).

    Raises:
        UserError: the ``error`` class given, carrying every diagnostic found.
    """
    if (path is None) == (text is None):
        raise TypeError("read_document needs exactly one of path and text")
    # Reading makes tens of thousands of objects (nodes, data, marks) and no reference
    # cycles: left on, the cycle collector scans them again and again as they are made,
    # and moves those still alive to its oldest generation, whose every later pass scans
    # them once more. Refcounting frees them all; the collector runs on after the read.
    import gc  # here: a run that reads no questionnaire does without it

    collecting = gc.isenabled()
    gc.disable()
    try:
        return _read_document(path, text, name, error, limit, what, json)
    finally:
        if collecting:
            gc.enable()


def _read_document(
    path: str | os.PathLike[str] | None,
    text: str | bytes | None,
    name: str | None,
    error: type[UserError],
    limit: int,
    what: str,
    json: bool | None,
) -> tuple[object, SourceMap]:
    if path is not None:
        name = name or os.fspath(path)
        # Only a regular file, of bounded size: never a device or a FIFO.
        raw = read_input_file(path, limit=limit, what=what, error=error, name=name)
    else:
        name = name or "<text>"
        raw = text.encode("utf-8") if isinstance(text, str) else cast(bytes, text)
    decoded, problems = _decode(raw, name)
    if decoded is None:
        raise error(problems)
    source_map = SourceMap(name, _digest(raw))
    if _is_json(name, json):
        # The JSON reader only for JSON: a run that reads YAML does without it.
        from hamstring_cli.json_doc import read_json

        data, problems = read_json(decoded, source_map)
        if problems:
            raise error(problems)
        return data, source_map
    node, problems = _compose(decoded, name)
    if problems:
        raise error(problems)
    if node is None or (isinstance(node, ScalarNode) and node.tag == _NULL and not node.value):
        raise error([diagnostic(Code.EMPTY, Place(name))])
    builder = _Builder(source_map, problems)
    try:
        data = builder.build(node, (), 0)
    except _Abort:
        data = None
    if problems:
        raise error(problems)
    return data, source_map


def _is_json(name: str, json: bool | None) -> bool:
    return name.lower().endswith(".json") if json is None else json


def read_data(
    raw: bytes, name: str, *, error: type[UserError], json: bool | None = None
) -> tuple[object, SourceMap]:
    """Read a document to the data :func:`read_document` gives, fast; its places on demand.

    A document with no problem (nearly every answer file) is read without places: YAML
    through the C parser straight into data (:class:`_Quick`), JSON by ``json``
    (:func:`hamstring_cli.json_doc.quick_data`). The source map returned is made only if a
    message asks it for a place: the same bytes are then read again by :func:`read_document`,
    so every place is exactly where the located reader puts it. A document with a problem,
    or with anything the quick readers leave to it (an alias, a merge key, a large or deeply
    nested text), is read by :func:`read_document` at once, which reports every problem.

    Args:
        raw: the document's bytes.
        name: how places name it.
        error: the exception class to raise.
        json: read it as JSON; False: as YAML; None: by its name (``.json``), and for a
            document with no name to go by (standard input) by its content: JSON when it
            starts as JSON and is JSON (a problem in it is then JSON's), else YAML.

    Raises:
        UserError: the ``error`` class given, as :func:`read_document` raises it.
    """
    decoded, problems = _decode(raw, name)
    if decoded is None:
        raise error(problems)
    if json is None and not name.lower().endswith(".json"):
        if decoded.lstrip(" \t\r\n")[:1] in ("{", "["):
            try:
                return read_data(raw, name, error=error, json=True)
            except UserError as refused:
                # JSON with a problem JSON names (a duplicate key, NaN) is reported as JSON;
                # text that is not JSON at all is YAML's to read (a flow mapping, say).
                if refused.diagnostics[0].code != Code.JSON_SYNTAX.code:
                    raise
        json = False
    as_json = _is_json(name, json)

    def located() -> tuple[object, SourceMap]:
        return read_document(text=raw, name=name, error=error, json=as_json)

    try:
        if as_json:
            from hamstring_cli.json_doc import quick_data

            data = quick_data(decoded)
        else:
            data = _quick_yaml(decoded, name)
    except NeedsPlaces:
        return located()
    return data, LazySourceMap(name, lambda: located()[1])


class _Refusing(list[Diagnostic]):
    """Problems of a quick read: the first one stops it (the located reader will say it)."""

    def append(self, _problem: Diagnostic) -> None:
        raise NeedsPlaces


class _Quick:
    """Turns a composed node tree into plain data as :class:`_Builder` does, without places.

    Whatever the builder would report, and whatever it must look at closely (an alias of a
    list or mapping, which it expands and checks for loops; a merge key), raises
    :class:`~hamstring_cli.sourcemap.NeedsPlaces` instead. Scalars are read by the builder's
    own :meth:`_Builder.scalar`, so a number or a boolean reads the same in both.
    """

    def __init__(self) -> None:
        self.count = 0
        self.seen: set[int] = set()
        self.scalars = _Builder(SourceMap(""), _Refusing())

    def build(self, node: Node, depth: int) -> object:
        self.count += 1
        if self.count > MAX_VALUES:
            raise NeedsPlaces
        if isinstance(node, ScalarNode):
            if node.tag == _STR:
                return node.value
            return self.scalars.scalar(node)[1]
        if depth >= MAX_DEPTH or id(node) in self.seen:
            raise NeedsPlaces
        self.seen.add(id(node))
        if isinstance(node, SequenceNode) and node.tag == _SEQ:
            return [self.build(item, depth + 1) for item in node.value]
        if isinstance(node, MappingNode) and node.tag == _MAP:
            result: dict[Key, object] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE:
                    raise NeedsPlaces
                key = key_node.value if key_node.tag == _STR else self.scalars.scalar(key_node)[1]
                if key in result:
                    raise NeedsPlaces
                result[cast(Key, key)] = self.build(value_node, depth + 1)
            return result
        raise NeedsPlaces


def _quick_yaml(text: str, name: str) -> object:
    node, problems = _compose(text, name)
    if problems or node is None or (isinstance(node, ScalarNode) and node.tag == _NULL):
        raise NeedsPlaces
    return _Quick().build(node, 0)
