"""A cache of checked questionnaires in the user's cache folder, so that a run skips the YAML.

Reading the bundled questionnaire with ``yaml.compose`` (for the places of every key), then
parsing and checking it, is the largest part of a scripted run after the interpreter's own
start-up. The first load of a file goes through the YAML reader, the parser and every check as
usual; once it has passed them, a *snapshot* of the checked model is stored, under a name made
of the SHA-256 of the file's bytes, of this package's version and code, of the interpreter and
of the key below. The snapshot is data only: each model record as a list of its class's place
in a fixed table of :mod:`hamstring_cli.model`'s records and its field values; tuples, mappings,
text, numbers, booleans and ``None`` as themselves, written with :mod:`marshal` (never pickle:
nothing in an entry names a class, a function or code, and reading one runs none). Later loads
of the same bytes rebuild those records and skip the parser and the checks.

An entry is believed only because it is authenticated. It starts with a line holding its
HMAC-SHA256 (of the layout, the entry's name, the file's content hash and the snapshot) under a
key of 32 random bytes private to the user, kept outside the cache folder
(``$XDG_STATE_HOME/hamstring/cache-key``, mode 0600 in a 0700 folder, made on the first store
and never replaced). An entry that verifies was written by this very code, after the checks
passed, for these very bytes (the code's stamp and the key's digest are in the entry's name, and
the name is under the MAC). Whoever can write the cache folder but not read that key cannot make
an entry that is believed; the user's own account, which can read the key, could, as it could
change the installed code itself. The MAC is checked on every read (in constant time); only a
regular file is read (never a link, a FIFO or a device), at most :data:`MAX_ENTRY` bytes. Any
doubt (a MAC that does not verify, a malformed or oversized entry, a snapshot that does not
rebuild) prints a warning on standard error and falls back to the full load, which gives the
same answer. A key that cannot be read or made, or that is not a private regular file of 32
bytes, means the cache is not used at all. Cached questionnaires carry no line numbers (every
place is the file's name alone: nothing at run time reads them).

A process that reads the same entry again (a library caller, a test run) is answered from
memory: the questionnaire that entry's bytes gave, kept by the entry's MAC (at most
:data:`KEEP`). The entry is still read and its MAC still checked on every load.

``HAMSTRING_NO_CACHE=1`` turns the cache off; ``XDG_CACHE_HOME`` moves it, ``XDG_STATE_HOME``
its key. The folder is made
private (0700) whatever the umask.
"""

from __future__ import annotations

import json
import marshal
import os
import stat
import sys
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from hamstring_cli import __version__, model
from hamstring_cli.digest import hmac_sha256, same_digest, sha256
from hamstring_cli.errors import Place, UserError, escape
from hamstring_cli.files import QUESTIONNAIRE_LIMIT, read_input_file
from hamstring_cli.model import Questionnaire
from hamstring_cli.resources import questionnaire_file

if TYPE_CHECKING:
    from pathlib import Path

_K = TypeVar("_K", bound=tuple[str, ...])

__all__ = ["CACHE_FORMAT", "cache_dir", "key_path", "load_questionnaire"]

#: Bump when the layout of a cache entry changes.
CACHE_FORMAT = 5
#: How an entry's file name ends.
SUFFIX = ".snapshot"
#: The size of the key that authenticates entries.
KEY_SIZE = 32
#: Entries kept; the oldest beyond this are removed when a new one is written.
KEEP = 16
#: The largest entry read (the bundled questionnaire's is about 60 KB).
MAX_ENTRY = 8 * 1024 * 1024
#: The modules whose code reads, checks or defines the model, by their file under the package:
#: every module of layers 0 and 1 (``hamstring_cli/layers.py``: a loader or a checker can import
#: nothing above them), and this one. An edit of any of them names every entry afresh
#: (``tests/test_cache_trust.py`` keeps the list whole).
_CODE = (
    "__init__.py",
    "answer_set.py",
    "checks.py",
    "compiled.py",
    "condition_reader.py",
    "digest.py",
    "engine.py",
    "errors.py",
    "exits.py",
    "fhir/__init__.py",
    "fhir/bundle.py",
    "fhir/enable.py",
    "fhir/questionnaire.py",
    "field_reader.py",
    "files.py",
    "format_doc.py",
    "format_fields.py",
    "format_spec.py",
    "graph.py",
    "json_doc.py",
    "layers.py",
    "loader.py",
    "model.py",
    "paths.py",
    "question_types.py",
    "record_reader.py",
    "resources.py",
    "safe_yaml.py",
    "schema.py",
    "scoring.py",
    "sourcemap.py",
    "workers.py",
    "cache.py",
)


#: The questionnaires this process rebuilt from an entry: by the entry, the name the file was
#: given by, and the entry's MAC (the order of use, at most ``KEEP``).
_PARSED: dict[tuple[str, str, str], Questionnaire] = {}
#: The questionnaires this process read, parsed and checked in full (with their places): by the
#: SHA-256 of the file's bytes and the name it was given by (at most ``KEEP``). A file read
#: again with the same bytes is the same questionnaire; the cache entry, when there is one, is
#: still read and its MAC checked first.
_LOADED: dict[tuple[str, str], Questionnaire] = {}


def _remember(
    memory: dict[_K, Questionnaire], key: _K, questionnaire: Questionnaire
) -> Questionnaire:
    memory.pop(key, None)
    memory[key] = questionnaire
    while len(memory) > KEEP:
        del memory[next(iter(memory))]
    return questionnaire


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


def key_path() -> str:
    """``$XDG_STATE_HOME/hamstring/cache-key`` (``~/.local/state`` when it is not set or is
    relative): the key that authenticates cache entries, outside the cache folder."""
    base = os.environ.get("XDG_STATE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "hamstring", "cache-key")


def enabled() -> bool:
    """Whether the cache is in use (``HAMSTRING_NO_CACHE`` unset, empty or ``0``)."""
    return os.environ.get("HAMSTRING_NO_CACHE", "") in ("", "0")


def _code_stamp() -> str:
    # An editable install changes code without changing the version: the size and time of the
    # files that read and check a questionnaire are part of the key, so an edit is never
    # answered from an entry that older code wrote.
    here = os.path.dirname(os.path.realpath(__file__))
    stamps = []
    for name in _CODE:
        try:
            info = os.stat(os.path.join(here, name))
        except OSError:
            continue
        stamps.append(f"{name}:{info.st_size}:{info.st_mtime_ns}")
    return ";".join(stamps)


def entry_path(content: str, key: bytes) -> str:
    """Where the cache entry of a file lives, under this cache key (``content``: the SHA-256 of
    the file's bytes, in hex).

    The key's own digest is part of the name, so an entry made under another key (another
    ``XDG_STATE_HOME``) is simply not found, not taken for a forgery: only an entry that
    claims this key's name and fails its MAC is warned about.
    """
    name = sha256()
    stamp = f"{CACHE_FORMAT}|{__version__}|{sys.implementation.cache_tag}|{_code_stamp()}|"
    name.update(stamp.encode())
    name.update(sha256(key).digest())
    name.update(content.encode("ascii"))
    return os.path.join(cache_dir(), f"{name.hexdigest()}{SUFFIX}")


def load_questionnaire(
    name_or_path: str | os.PathLike[str] | None = None, *, located: bool = False
) -> Questionnaire:
    """Load and check a questionnaire: the one way every command and test loads one.

    Read from the cache when it holds the file's bytes, else read, parsed and checked
    (:func:`hamstring_cli.loader.parse_questionnaire`) and then stored.

    Args:
        name_or_path: a file, or the id of a bundled questionnaire (``None``: the default),
            as :func:`hamstring_cli.resources.questionnaire_file` reads it.
        located: read the file itself, never the cache, so that every part of the model keeps
            its ``file:line:column`` (what ``hamstring check`` reports its warnings by). A
            questionnaire from the cache carries no line numbers.

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
    # The file's bytes and name, for what this process already loaded in full from them.
    loaded = (sha256(raw).hexdigest(), name) if raw is not None else None
    key: bytes | None = None
    if use_cache:
        try:
            key = _read_key()
        except _Doubt as doubt:
            _warn(f"not using the cache: its key {key_path()} {doubt}")
            use_cache = False
    if use_cache and key is not None:
        assert raw is not None and loaded is not None
        cached = _from_cache(entry_path(loaded[0], key), name, loaded[0][:12], key)
        if cached is not None:
            return cached
    questionnaire = _LOADED.get(loaded) if loaded is not None else None
    if questionnaire is None:
        questionnaire = _load_file(path, raw)
        if loaded is not None:
            _remember(_LOADED, loaded, questionnaire)
    if not use_cache:
        return questionnaire
    assert loaded is not None
    if key is None:
        # The first store makes the key; with none that can be made, nothing is stored.
        key = _make_key()
        if key is None:
            return questionnaire
    entry = entry_path(loaded[0], key)
    mac = _store(entry, questionnaire, questionnaire.content_hash, key)
    if mac is not None:
        _remember(_PARSED, (entry, name, mac), questionnaire)
    return questionnaire


def _load_file(path: str, raw: bytes | None) -> Questionnaire:
    """Read, parse and check the file (its bytes ``raw`` when already read)."""
    # PyYAML is imported only when a file must be read: an intake whose questionnaire is
    # cached reaches its first prompt without it.
    from hamstring_cli.loader import parse_questionnaire
    from hamstring_cli.safe_yaml import read_document

    if raw is None:
        data, source_map = read_document(path)
    else:
        data, source_map = read_document(text=raw, name=path)
    return parse_questionnaire(data, source_map)


class _Doubt(Exception):
    """Why a cache entry is not used."""


def _read_key() -> bytes | None:
    """The cache's key (``None`` when there is none yet; ``_Doubt`` when it is not to be trusted).

    Only a regular file of :data:`KEY_SIZE` bytes, owned by this user and private to them, is
    a key: never a link, a FIFO or a device.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(key_path(), flags)
    except (FileNotFoundError, NotADirectoryError):
        return None  # none yet, or none can be made there (the store will fail quietly)
    except OSError as error:
        if os.path.islink(key_path()):
            raise _Doubt("is a symbolic link") from None
        raise _Doubt(f"cannot be read ({error.strerror or error})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _Doubt("is not a regular file")
        if info.st_size != KEY_SIZE:
            raise _Doubt(f"is not {KEY_SIZE} bytes long")
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise _Doubt("belongs to another user")
        if stat.S_IMODE(info.st_mode) & 0o077:
            raise _Doubt("is not private to you (mode 0600)")
        key = os.read(fd, KEY_SIZE + 1)
    except OSError as error:
        raise _Doubt(f"cannot be read ({error.strerror or error})") from None
    finally:
        os.close(fd)
    if len(key) != KEY_SIZE:
        raise _Doubt(f"is not {KEY_SIZE} bytes long")
    return key


def _make_key() -> bytes | None:
    """The cache's key, made if there is none: ``None`` when it cannot be read or made.

    A new key is written to a private temporary file, then linked into place, which fails
    when a key is already there: a key is never replaced, and two runs that race agree on
    the one that was linked first.
    """
    try:
        key = _read_key()
    except _Doubt:
        return None
    if key is not None:
        return key
    import contextlib  # only when a key is made

    path = key_path()
    folder = os.path.dirname(path)
    temp = f"{path}.{os.getpid()}.{os.urandom(6).hex()}.tmp"
    try:
        from hamstring_cli.files import keep_private, make_private_dirs

        make_private_dirs(folder)
        keep_private(folder)  # never through a link: the key is made in a folder of its own
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            os.fchmod(fd, 0o600)
            if os.write(fd, os.urandom(KEY_SIZE)) != KEY_SIZE:
                return None
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(FileExistsError):  # another run made it first: theirs is it
            os.link(temp, path, follow_symlinks=False)
        return _read_key()
    except (OSError, _Doubt):
        return None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def _mac(key: bytes, entry: str, content_hash: str, body: bytes) -> str:
    """The MAC of an entry: its layout, its name and the file's content hash go in with its
    body, so an entry moved to another name or relabelled does not verify."""
    label = f"hamstring-cache|{CACHE_FORMAT}|{os.path.basename(entry)}|{content_hash}\n"
    return hmac_sha256(key, label.encode("utf-8") + body).hex()


def _read_entry(entry: str) -> bytes | None:
    """The bytes of a regular-file entry (``None`` when there is none; ``_Doubt`` when odd)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(entry, flags)
    except (FileNotFoundError, NotADirectoryError):
        return None  # none, or none can be there (a file stands where the folder goes)
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


def _from_cache(entry: str, name: str, content_hash: str, key: bytes) -> Questionnaire | None:
    """The questionnaire of a cache entry, rebuilt from its snapshot; ``None`` if there is none.

    ``content_hash`` is the hash of the file's bytes, as the YAML reader gives it: the entry
    must name the same one, and its MAC under ``key`` must verify.
    """
    try:
        raw = _read_entry(entry)
        if raw is None:
            return None
        head, _, body = raw.partition(b"\n")
        header = json.loads(head)
        if not isinstance(header, dict) or header.get("format") != CACHE_FORMAT:
            raise _Doubt("it was written in another layout")
        if header.get("content_hash") != content_hash:
            raise _Doubt("it was written for other content")
        mac = _mac(key, entry, content_hash, body)
        given = header.get("mac")
        if not isinstance(given, str) or not same_digest(
            mac.encode("ascii"), given.encode("utf-8", "surrogatepass")
        ):
            raise _Doubt("its MAC does not verify: it was changed, or made under another key")
        known = _PARSED.get((entry, name, mac))
        if known is not None:
            return _remember(_PARSED, (entry, name, mac), known)
        return _remember(_PARSED, (entry, name, mac), restore(body, name, content_hash))
    except _Doubt as doubt:
        reason = str(doubt)
    except (ValueError, TypeError, IndexError, EOFError, RecursionError, MemoryError) as error:
        reason = f"it is malformed ({type(error).__name__})"
    except OSError as error:
        reason = f"it cannot be read ({error.strerror or type(error).__name__})"
    _warn(f"ignoring the cached copy of {name} ({reason}); reading the file again")
    return None


# -- the snapshot -------------------------------------------------------------------------------

#: The model's record classes, in the order :mod:`hamstring_cli.model` defines them: a record is
#: stored as its class's place in this table (the table is part of the code stamped into every
#: entry's name, so a reader always has the writer's table).
RECORDS: tuple[type[Any], ...] = tuple(
    kind
    for kind in vars(model).values()
    if isinstance(kind, type)
    and issubclass(kind, tuple)
    and kind.__module__ == model.__name__
    and hasattr(kind, "_fields")
)
_TAGS: dict[type, int] = {kind: tag for tag, kind in enumerate(RECORDS)}
_SIZES: tuple[int, ...] = tuple(len(kind._fields) for kind in RECORDS)
#: A place (the file's name alone, in a cached questionnaire).
_PLACE = -1
_PLAIN = (str, int, float, bool, type(None))
#: The questionnaire's own fields a snapshot holds (``source`` and ``content_hash`` come from
#: the file being loaded).
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


def _encode(value: object) -> object:
    kind = type(value)
    if kind is Place:
        return [_PLACE]
    tag = _TAGS.get(kind)
    if tag is not None:
        assert isinstance(value, tuple)
        return [tag, *map(_encode, value)]
    if isinstance(value, tuple) and kind is tuple:
        return tuple(map(_encode, value))
    if isinstance(value, (dict, MappingProxyType)) and kind in (dict, MappingProxyType):
        return {k: _encode(v) for k, v in value.items()}
    if kind in _PLAIN:
        return value
    raise TypeError(f"a {kind.__name__} is not part of a snapshot")


def snapshot(questionnaire: Questionnaire) -> bytes:
    """The bytes of a checked questionnaire's snapshot (its places reduced to none)."""
    fields = {name: _encode(getattr(questionnaire, name)) for name in QUESTIONNAIRE_FIELDS}
    return marshal.dumps(fields)


def restore(body: bytes, name: str, content_hash: str) -> Questionnaire:
    """The questionnaire a snapshot holds, its ``source`` ``name`` (raises on any doubt)."""
    fields = marshal.loads(body)  # noqa: S302  data only, and only after its MAC verified
    if type(fields) is not dict or tuple(fields) != QUESTIONNAIRE_FIELDS:
        raise _Doubt("it does not hold a questionnaire")
    place = Place(name)
    records = RECORDS
    sizes = _SIZES
    make = tuple.__new__

    def decode(value: object) -> object:
        kind = type(value)
        if kind is str or value is None or kind is int or kind is bool or kind is float:
            return value
        if type(value) is list:
            tag = value[0]
            if type(tag) is not int or tag < _PLACE:
                raise _Doubt("it holds an unknown record")
            if tag == _PLACE:
                return place
            fields = iter(value)
            next(fields)
            record = make(records[tag], map(decode, fields))
            if len(record) != sizes[tag]:
                raise _Doubt("it holds a record of the wrong size")
            return record
        if type(value) is tuple:
            return tuple(map(decode, value))
        if type(value) is dict:
            return MappingProxyType({k: decode(v) for k, v in value.items()})
        raise _Doubt(f"it holds a {kind.__name__}")

    try:
        built = {key: decode(value) for key, value in fields.items()}
        return Questionnaire(**built, source=name, content_hash=content_hash)  # type: ignore[arg-type]
    except _Doubt:
        raise
    except Exception as error:  # whatever a snapshot that does not rebuild raises
        raise _Doubt(f"it does not rebuild ({type(error).__name__})") from None


def _warn(message: str) -> None:
    try:
        sys.stderr.write(f"hamstring: warning: {escape(message)}\n")
    except (OSError, ValueError):  # a closed standard error cannot stop the run
        return


def _private_folder(folder: Path) -> None:
    """Make the cache folder (and every missing folder above it) 0700, and keep it and its
    ``hamstring`` parent private; either being a link or not a folder is an ``OSError``."""
    from hamstring_cli.files import keep_private, make_private_dirs

    make_private_dirs(folder)
    for level in (folder.parent, folder):
        keep_private(level)


def _store(file: str, questionnaire: Questionnaire, content_hash: str, key: bytes) -> str | None:
    """Write the entry, its MAC made under ``key``; return the MAC (None when not written)."""
    from pathlib import Path  # only when an entry is written, after a full load

    from hamstring_cli.files import OutputError, write_private

    entry = Path(file)
    try:
        payload = snapshot(questionnaire)
        mac = _mac(key, file, content_hash, payload)
        header = json.dumps(
            {
                "format": CACHE_FORMAT,
                "mac": mac,
                "content_hash": content_hash,
            },
            allow_nan=False,
        )
        _private_folder(entry.parent)
        # An entry that is not a regular file (a FIFO, a link planted in the folder, an empty
        # folder) is removed, never written through: the cache only holds files it wrote.
        if entry.is_dir() and not entry.is_symlink():
            entry.rmdir()
        elif entry.is_symlink() or (entry.exists() and not entry.is_file()):
            entry.unlink()
        write_private(entry, header.encode("utf-8") + b"\n" + payload, force=True)
        _prune(entry.parent)
    except (OSError, OutputError, TypeError, ValueError):
        # A cache that cannot be written (a read-only home, a full disk) only costs speed.
        return None
    return mac


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)
