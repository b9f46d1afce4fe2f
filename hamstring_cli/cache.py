"""A cache of checked questionnaires in the user's cache folder, so that a run skips the YAML.

Reading the bundled questionnaire with ``yaml.compose`` (for the places of every key), parsing
it and running every check is the largest part of a scripted run after the interpreter's own
start-up. The first load of a file goes through the YAML reader, the parser and the checks as
usual (:func:`hamstring_cli.loader.parse_questionnaire`); once it has passed every check, a
*snapshot of the checked model* (:func:`snapshot`) is stored as JSON, never pickle, under a
name made of the SHA-256 of the file's bytes, this package's version and a stamp of every
module that reads, checks or defines what is stored (:data:`_CODE`). A record is written
``{"Tag": [field, ...]}``; a tuple, a read-only mapping, a frozenset and a place (line and
column; its file is the questionnaire's) have tags of their own. Later loads of the same bytes
rebuild the model from that JSON and import neither PyYAML nor the loader or the checks.

What is trusted, and why. An entry starts with a line naming the SHA-256 of the rest, checked
on every read; only a regular file is read (never a link, a FIFO or a device), at most
:data:`MAX_ENTRY` bytes, and it must name the SHA-256 of the file it was made from. An entry
that passes these and decodes to the model's records with the right shapes is taken as the
checked model it claims to be, without running the checks again. The digest guards against
corruption and partial writes, not against a person: the folder is private (0700) and written
only by this user, and someone who can rewrite an entry and its digest there can as well edit
the questionnaire file or the installed package. The shape check guards against anything that
is not a model: each tag is looked up in a fixed registry of the model's record classes
(:data:`RECORDS`; data never names code), each record must have its class's number of fields,
and each field the type its annotation declares (the items of tuples and mappings too), so
that whatever an entry holds, the run gets records of the kinds the code expects. Any doubt (a
changed digest, a malformed or oversized entry, an unknown tag, a wrong field count or type)
prints a warning on standard error and falls back to the full load, which gives the same
answer: a cache can cost speed, never change a result.

``HAMSTRING_NO_CACHE=1`` turns the cache off; ``XDG_CACHE_HOME`` moves it. The folder is made
private (0700) whatever the umask.
"""

from __future__ import annotations

import functools
import itertools
import json
import operator
import os
import stat
import sys
from collections.abc import Callable, Mapping
from types import MappingProxyType, NoneType, UnionType
from typing import TYPE_CHECKING, ForwardRef, Literal, Union, get_args, get_origin

from hamstring_cli import __version__, model
from hamstring_cli.digest import sha256
from hamstring_cli.errors import Place, UserError, escape
from hamstring_cli.files import QUESTIONNAIRE_LIMIT, read_input_file
from hamstring_cli.model import Questionnaire
from hamstring_cli.resources import questionnaire_file

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "CACHE_FORMAT",
    "QUESTIONNAIRE_FIELDS",
    "RECORDS",
    "cache_dir",
    "load_questionnaire",
    "snapshot",
]

#: Bump when the layout of a cache entry changes.
CACHE_FORMAT = 4
#: Entries kept; the oldest beyond this are removed when a new one is written.
KEEP = 16
#: The largest entry read (the bundled questionnaire's is about 60 KB).
MAX_ENTRY = 8 * 1024 * 1024
#: The modules that read and check a questionnaire, and those whose records an entry holds.
_CODE = (
    "safe_yaml.py",
    "format_fields.py",
    "sourcemap.py",
    "format_spec.py",
    "field_reader.py",
    "condition_reader.py",
    "record_reader.py",
    "loader.py",
    "checks.py",
    "model.py",
    "errors.py",
    "question_types.py",
    "cache.py",
)


def cache_dir() -> str:
    """``$XDG_CACHE_HOME/hamstring/questionnaires`` (``~/.cache`` when it is not set).

    A relative ``XDG_CACHE_HOME`` is ignored, as the XDG spec asks: it would put the cache in
    whatever folder the command runs in.
    """
    # Plain strings, not pathlib: a scripted run never imports pathlib (about 4 ms with
    # urllib.parse and ipaddress).
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hamstring", "questionnaires")


def enabled() -> bool:
    """Whether the cache is in use (``HAMSTRING_NO_CACHE`` unset, empty or ``0``)."""
    return os.environ.get("HAMSTRING_NO_CACHE", "") in ("", "0")


def _code_stamp() -> str:
    # An editable install changes code without changing the version: the size and time of the
    # files that read and check a questionnaire, and of those that define its records, are part
    # of the key, so an edit is never answered from an entry that older code wrote.
    here = os.path.dirname(os.path.realpath(__file__))
    stamps = []
    for name in _CODE:
        try:
            info = os.stat(os.path.join(here, name))
        except OSError:
            continue
        stamps.append(f"{name}:{info.st_size}:{info.st_mtime_ns}")
    return ";".join(stamps)


def entry_path(raw: bytes) -> str:
    """Where the cache entry of a file with these bytes lives."""
    key = sha256()
    key.update(f"{CACHE_FORMAT}|{__version__}|{_code_stamp()}|".encode())
    key.update(raw)
    return os.path.join(cache_dir(), f"{key.hexdigest()}.json")


def load_questionnaire(
    name_or_path: str | os.PathLike[str] | None = None, *, located: bool = False
) -> Questionnaire:
    """Load and check a questionnaire: the one way every command and test loads one.

    Rebuilt from the cache's snapshot of the checked model when the cache holds the file's
    bytes, else read, parsed and checked (:func:`hamstring_cli.loader.parse_questionnaire`) and
    then stored.

    Args:
        name_or_path: a file, or the id of a bundled questionnaire (``None``: the default),
            as :func:`hamstring_cli.resources.questionnaire_file` reads it.
        located: read the file itself, never the cache, so that every part of the model keeps
            its ``file:line:column`` and the loader's warnings (what ``hamstring check``
            reports). A questionnaire from the cache keeps the places of its records.

    Raises:
        QuestionnaireError: the name is neither a file nor a bundled id, or every error found
            in the file (its ``diagnostics`` hold the warnings too), each with
            ``file:line:column``. The warnings of a questionnaire that loads are dropped
            (:func:`hamstring_cli.loader.load_report` keeps them).
    """
    path = questionnaire_file(name_or_path)
    name = path
    try:
        # Only a regular file, of bounded size: never a device or a FIFO.
        raw = read_input_file(
            path, limit=QUESTIONNAIRE_LIMIT, what="a questionnaire", error=UserError, name=name
        )
    except UserError:
        # The loader reads it again and reports why it cannot, with its own diagnostics.
        raw = None
    use_cache = raw is not None and enabled() and not located
    if use_cache:
        assert raw is not None
        entry = entry_path(raw)
        cached = _from_cache(entry, name, sha256(raw).hexdigest()[:12])
        if cached is not None:
            return cached
    # PyYAML is imported only when a file must be read: an intake whose questionnaire is
    # cached reaches its first prompt without it.
    from hamstring_cli.loader import parse_questionnaire
    from hamstring_cli.safe_yaml import read_document

    if raw is None or not use_cache:
        data, source_map = read_document(path)
        return parse_questionnaire(data, source_map)
    data, source_map = read_document(text=raw, name=name)
    questionnaire = parse_questionnaire(data, source_map)
    _store(entry, questionnaire)
    return questionnaire


class _Doubt(Exception):
    """Why a cache entry is not used."""


def _read_entry(entry: str) -> bytes | None:
    """The bytes of a regular-file entry (``None`` when there is none; ``_Doubt`` when odd)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(entry, flags)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise _Doubt(f"cannot open it ({error.strerror or error})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _Doubt("it is not a regular file")
        if info.st_size > MAX_ENTRY:
            raise _Doubt(f"it is larger than {MAX_ENTRY // (1024 * 1024)} MB")
        with os.fdopen(fd, "rb", closefd=False) as stream:
            raw = stream.read(MAX_ENTRY + 1)
        if len(raw) > MAX_ENTRY:
            raise _Doubt(f"it is larger than {MAX_ENTRY // (1024 * 1024)} MB")
        return raw
    finally:
        os.close(fd)


def _refuse_constant(name: str) -> object:
    raise _Doubt(f"it holds {name}, which is not JSON")


def _from_cache(entry: str, name: str, content_hash: str) -> Questionnaire | None:
    """The checked questionnaire a cache entry holds; ``None`` when there is no entry.

    ``content_hash`` is the hash of the file's bytes, as the YAML reader gives it: the entry
    must name the same one.
    """
    try:
        raw = _read_entry(entry)
        if raw is None:
            return None
        head, _, body = raw.partition(b"\n")
        header = json.loads(head)
        if not isinstance(header, dict) or header.get("format") != CACHE_FORMAT:
            raise _Doubt("it was written in another layout")
        if header.get("digest") != sha256(body).hexdigest():
            raise _Doubt("its content does not match its digest")
        if header.get("content_hash") != content_hash:
            raise _Doubt("it was written for other content")
        return _restore(body, name, content_hash)
    except _Doubt as doubt:
        reason = str(doubt)
    except (ValueError, TypeError, RecursionError, MemoryError, OSError) as error:
        reason = f"it is malformed ({type(error).__name__})"
    _warn(f"ignoring the cached copy of {name} ({reason}); reading the file again")
    return None


def _warn(message: str) -> None:
    try:
        sys.stderr.write(f"hamstring: warning: {escape(message)}\n")
    except (OSError, ValueError):  # a closed standard error cannot stop the run
        return


def _private_folder(folder: Path) -> None:
    """Make the cache folder (and its ``hamstring`` parent) and keep them 0700."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for level in (folder.parent, folder):
        os.chmod(level, 0o700)


def _store(file: str, questionnaire: Questionnaire) -> None:
    from pathlib import Path  # only when an entry is written, after a full load

    from hamstring_cli.files import OutputError, write_private

    entry = Path(file)
    try:
        body = json.dumps(
            snapshot(questionnaire), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        )
        payload = body.encode("utf-8")
        header = json.dumps(
            {
                "format": CACHE_FORMAT,
                "digest": sha256(payload).hexdigest(),
                "content_hash": questionnaire.content_hash,
            },
            allow_nan=False,
        )
        _private_folder(entry.parent)
        # An entry that is not a regular file (a FIFO, a link planted in the folder) is
        # removed, never written through: the cache only ever holds files it wrote itself.
        if entry.is_symlink() or (entry.exists() and not entry.is_file()):
            entry.unlink()
        write_private(entry, header.encode("utf-8") + b"\n" + payload, force=True)
        _prune(entry.parent)
    except (OSError, OutputError, TypeError, ValueError):
        # A cache that cannot be written (a read-only home, a full disk) only costs speed.
        return


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# The snapshot: the checked model as tagged JSON

#: The records a snapshot may hold, by class name: every record class the model module names
#: and :class:`~hamstring_cli.errors.Place`. An entry names only these, never any other code.
RECORDS: Mapping[str, type[tuple[object, ...]]] = MappingProxyType(
    {
        cls.__name__: cls
        for cls in (getattr(model, name) for name in model.__all__)
        if isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")
    }
)
#: The arguments of :class:`~hamstring_cli.model.Questionnaire` a snapshot holds, in order; its
#: ``source`` and ``content_hash`` are those of the file being loaded.
QUESTIONNAIRE_FIELDS = (
    "id",
    "version",
    "title",
    "questions",
    "outcomes",
    "description",
    "disclaimer",
    "references",
    "start",
    "required",
    "start_at",
    "required_at",
    "next_at",
    "disclaimer_summary",
    "rules",
)
# The tags of what is not a record: a place (its file is the questionnaire's own), a tuple, a
# read-only mapping (a list of ``[key, value]`` pairs) and a frozenset.
_PLACE, _TUPLE, _MAPPING, _FROZENSET = "@", "t", "m", "f"
_JSON = (str, int, float, bool, NoneType)
_LINE = (int, NoneType)  # a place's line and column

#: How a field is checked: the classes it may be, or a test for a container whose items are
#: checked too.
_Check = tuple[type, ...] | Callable[[object], bool]


def _encode(value: object, source: str) -> object:
    """A model value as JSON data; ``TypeError`` for anything a snapshot cannot hold."""
    kind = type(value)
    if kind in _JSON:  # exactly these: a subclass (an enum, say) would come back as its base
        return value
    if kind is Place:
        assert isinstance(value, Place)
        if value.file != source:  # a place in another file is never stored
            raise TypeError(f"a place in {value.file!r}")
        return {_PLACE: [value.line, value.column]}
    if isinstance(value, tuple) and RECORDS.get(kind.__name__) is kind:
        return {kind.__name__: [_encode(field, source) for field in value]}
    if kind is tuple or kind is frozenset:
        assert isinstance(value, tuple | frozenset)
        return {_TUPLE if kind is tuple else _FROZENSET: [_encode(v, source) for v in value]}
    if isinstance(value, MappingProxyType):
        return {_MAPPING: [[_encode(k, source), _encode(v, source)] for k, v in value.items()]}
    raise TypeError(f"a {kind.__name__} is not part of a snapshot")


def snapshot(questionnaire: Questionnaire) -> list[object]:
    """The checked model as JSON data (``TypeError`` for anything a snapshot cannot hold)."""
    source = questionnaire.source
    return [_encode(getattr(questionnaire, name), source) for name in QUESTIONNAIRE_FIELDS]


def _restore(body: bytes | str, source: str, content_hash: str) -> Questionnaire:
    """The questionnaire of a snapshot's JSON, once every tag, field count and type is checked.

    Raises:
        _Doubt: an unknown tag, a record with the wrong number of fields, a value of the wrong
            type (``ValueError``, ``TypeError`` or ``RecursionError`` for what is not JSON).
    """
    data = json.loads(body, parse_constant=_refuse_constant, object_hook=_hook(source))
    if not isinstance(data, list) or len(data) != len(QUESTIONNAIRE_FIELDS):
        raise _Doubt("it is not a snapshot of a questionnaire")
    for name, check, value in zip(QUESTIONNAIRE_FIELDS, _top_checks(), data, strict=True):
        if not _fits(check, value):
            raise _Doubt(f"its questionnaire's {name} is of the wrong type")
    arguments = dict(zip(QUESTIONNAIRE_FIELDS, data, strict=True))
    return Questionnaire(**arguments, source=source, content_hash=content_hash)


def _hook(source: str) -> Callable[[dict[str, object]], object]:
    """Turn each JSON object of a snapshot into what its tag names, as the reader meets it."""
    builders = _builders()
    make = tuple.__new__

    def hook(tagged: dict[str, object]) -> object:
        if len(tagged) != 1:
            raise _Doubt("it holds a mapping that is not a tagged record")
        ((tag, fields),) = tagged.items()
        if type(fields) is not list:
            raise _Doubt(f"its {tag!r} holds no list of fields")
        build = builders.get(tag)
        if build is not None:
            return build(fields)
        if tag == _PLACE:
            if len(fields) != 2 or not (type(fields[0]) in _LINE and type(fields[1]) in _LINE):
                raise _Doubt("it holds a malformed place")
            return make(Place, (source, *fields))
        if tag == _TUPLE:
            return tuple(fields)
        if tag == _MAPPING:
            if not all(type(pair) is list and len(pair) == 2 for pair in fields):
                raise _Doubt("it holds a malformed mapping")
            return MappingProxyType(dict(fields))
        if tag == _FROZENSET:
            return frozenset(fields)
        raise _Doubt(f"it names {tag!r}, which is not a record of the model")

    return hook


@functools.cache
def _builders() -> Mapping[str, Callable[[list[object]], object]]:
    return {name: _builder(cls) for name, cls in RECORDS.items()}


@functools.cache
def _top_checks() -> list[_Check]:
    annotations = Questionnaire.__init__.__annotations__
    return [_check(annotations[name]) for name in QUESTIONNAIRE_FIELDS]


def _builder(cls: type[tuple[object, ...]]) -> Callable[[list[object]], object]:
    """Make a record of this class from its fields, once their number and types are checked."""
    names: tuple[str, ...] = getattr(cls, "_fields")  # noqa: B009 - a record's field names
    checks = [_check(cls.__annotations__[field]) for field in names]
    simple = [(i, c) for i, c in enumerate(checks) if isinstance(c, tuple)]
    deep = [(i, c) for i, c in enumerate(checks) if not isinstance(c, tuple)]
    make = tuple.__new__

    def build(fields: list[object]) -> object:
        if len(fields) != len(names):
            raise _Doubt(f"it holds a {cls.__name__} of {len(fields)} fields, not {len(names)}")
        for i, kinds in simple:
            if not isinstance(fields[i], kinds):
                raise _Doubt(f"it holds a {cls.__name__} whose {names[i]} is of the wrong type")
        for i, test in deep:
            if not _fits(test, fields[i]):
                raise _Doubt(f"it holds a {cls.__name__} whose {names[i]} is of the wrong type")
        return make(cls, fields)

    return build


def _fits(check: _Check, value: object) -> bool:
    return isinstance(value, check) if isinstance(check, tuple) else check(value)


def _resolve(text: str) -> object:
    """A written annotation (``"tuple[Condition, ...]"``) as what it names, never by eval."""
    if "|" in text:
        parts = [_resolve(part.strip()) for part in text.split("|")]
        return functools.reduce(operator.or_, parts)
    if text.startswith("tuple[") and text.endswith(", ...]"):
        return tuple[_resolve(text[len("tuple[") : -len(", ...]")]), ...]  # type: ignore[misc]
    if text == "None":
        return None
    found = getattr(model, text, None)
    if found is None:
        raise TypeError(f"no check for the annotation {text!r}")
    return found


def _check(annotation: object) -> _Check:
    """How a field of this annotation is checked: its classes, and its items' where it has any."""
    if isinstance(annotation, ForwardRef):
        annotation = _resolve(annotation.__forward_arg__)
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is None or annotation is NoneType:
        return (NoneType,)
    if origin is Literal:
        return tuple({type(arg) for arg in args})
    if origin is Union or origin is UnionType:
        return _union([_check(arg) for arg in args])
    if origin is not None:
        return _container(origin, args)
    if annotation is float:  # a whole number is a number too (a weight of 2)
        return (int, float)
    if isinstance(annotation, type):
        return (annotation,)
    raise TypeError(f"no check for the annotation {annotation!r}")


def _union(checks: list[_Check]) -> _Check:
    kinds = [kind for c in checks if isinstance(c, tuple) for kind in c]
    tests = [c for c in checks if not isinstance(c, tuple)]
    if not tests:
        return tuple(kinds)
    plain = tuple(kinds)
    return lambda value: isinstance(value, plain) or any(test(value) for test in tests)


def _container(origin: object, args: tuple[object, ...]) -> _Check:
    """The check of a ``tuple[...]``, ``Mapping[...]`` or ``frozenset[...]``, items and all."""
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _check(args[0])
        if isinstance(item, tuple):  # the common case, without a call for each item
            kinds = item
            return lambda value: (
                isinstance(value, tuple) and all(map(isinstance, value, itertools.repeat(kinds)))
            )
        test = item
        return lambda value: isinstance(value, tuple) and all(map(test, value))
    if origin is tuple:
        items = [_check(arg) for arg in args]
        return lambda value: (
            isinstance(value, tuple)
            and len(value) == len(items)
            and all(_fits(c, v) for c, v in zip(items, value, strict=True))
        )
    if origin is frozenset:
        member = _check(args[0])
        return lambda value: isinstance(value, frozenset) and all(_fits(member, v) for v in value)
    if origin is Mapping and len(args) == 2:
        key, item = _check(args[0]), _check(args[1])
        return lambda value: (
            isinstance(value, MappingProxyType)
            and all(_fits(key, k) and _fits(item, v) for k, v in value.items())
        )
    raise TypeError(f"no check for the annotation {origin!r}{list(args)!r}")
