"""A cache of checked questionnaires in the user's cache folder, so that a run skips the YAML.

Reading the bundled questionnaire with ``yaml.compose`` (for the places of every key)
is the largest part of a scripted run after the interpreter's own start-up. The first load of a
file goes through the YAML reader as usual; once it has loaded and passed every check, its
*data* (the plain lists, mappings, text and numbers the reader made) is stored as JSON, never
pickle, under a name made of the SHA-256 of the file's bytes and of this package's version and
code. Later loads of the same bytes read that JSON and hand it to the same parser and checks
as a fresh load (:func:`hamstring_cli.loader.parse_questionnaire`): an entry is held to the one
declaration of the format exactly as the file is, so it can never describe anything a file
could not.

An entry is trusted no further than that. It starts with a line naming the SHA-256 of the rest,
checked on every read; only a regular file is read (never a link, a FIFO or a device), at most
:data:`MAX_ENTRY` bytes. Any doubt (a changed digest, a malformed or oversized entry, data the
parser refuses) prints a warning on standard error and falls back to the full load, which
gives the same answer: a cache can cost speed, never change a result. Cached questionnaires
carry no line numbers (nothing at run time reads them).

A process that reads the same entry again (a library caller, a test run) is answered from
memory: the questionnaire that entry's bytes gave, kept by the entry's digest (at most
:data:`KEEP`). The entry is still read and its digest still checked on every load, so an entry
changed on disk is parsed and checked afresh: memory saves the parsing, never a check of what
the disk holds.

``HAMSTRING_NO_CACHE=1`` turns the cache off; ``XDG_CACHE_HOME`` moves it. The folder is made
private (0700) whatever the umask.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from typing import TYPE_CHECKING

from hamstring_cli import __version__
from hamstring_cli.digest import sha256
from hamstring_cli.errors import UserError, escape
from hamstring_cli.files import QUESTIONNAIRE_LIMIT, read_input_file
from hamstring_cli.model import Questionnaire
from hamstring_cli.resources import questionnaire_file

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["CACHE_FORMAT", "cache_dir", "load_questionnaire"]

#: Bump when the layout of a cache entry changes.
CACHE_FORMAT = 3
#: Entries kept; the oldest beyond this are removed when a new one is written.
KEEP = 16
#: The largest entry read (the bundled questionnaire's is about 60 KB).
MAX_ENTRY = 8 * 1024 * 1024
_CODE = (
    "safe_yaml.py",
    "format_fields.py",
    "format_spec.py",
    "field_reader.py",
    "condition_reader.py",
    "record_reader.py",
    "loader.py",
    "checks.py",
    "model.py",
    "cache.py",
)


#: The questionnaires this process parsed from an entry: by the entry, the name the file was
#: given by, and the digest of the entry's body (the order of use, at most ``KEEP``).
_PARSED: dict[tuple[str, str, str], Questionnaire] = {}


def _remember(key: tuple[str, str, str], questionnaire: Questionnaire) -> Questionnaire:
    _PARSED.pop(key, None)
    _PARSED[key] = questionnaire
    while len(_PARSED) > KEEP:
        del _PARSED[next(iter(_PARSED))]
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
    digest = _store(entry, data, source_map.digest)
    if digest is not None:
        _remember((entry, name, digest), questionnaire)
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
    """The questionnaire of a cache entry, parsed and checked as a file is; ``None`` if none.

    ``content_hash`` is the hash of the file's bytes, as the YAML reader gives it: the entry
    must name the same one.
    """
    from hamstring_cli.errors import QuestionnaireError

    try:
        raw = _read_entry(entry)
        if raw is None:
            return None
        head, _, body = raw.partition(b"\n")
        header = json.loads(head)
        if not isinstance(header, dict) or header.get("format") != CACHE_FORMAT:
            raise _Doubt("it was written in another layout")
        digest = sha256(body).hexdigest()
        if header.get("digest") != digest:
            raise _Doubt("its content does not match its digest")
        if header.get("content_hash") != content_hash:
            raise _Doubt("it was written for other content")
        known = _PARSED.get((entry, name, digest))
        if known is not None:
            return _remember((entry, name, digest), known)
        data = json.loads(body, parse_constant=_refuse_constant)
        from hamstring_cli.loader import parse_questionnaire
        from hamstring_cli.sourcemap import SourceMap

        parsed = parse_questionnaire(data, SourceMap(name, content_hash))
        return _remember((entry, name, digest), parsed)
    except _Doubt as doubt:
        reason = str(doubt)
    except QuestionnaireError as error:
        first = error.diagnostics[0].message if error.diagnostics else "it is not valid"
        reason = f"the format refuses it: {first}"
    except (ValueError, RecursionError, MemoryError, OSError) as error:
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


def _store(file: str, data: object, content_hash: str) -> str | None:
    """Write the entry; return the digest of its body (None when it could not be written)."""
    from pathlib import Path  # only when an entry is written, after a full load

    from hamstring_cli.files import OutputError, write_private

    entry = Path(file)
    try:
        body = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        payload = body.encode("utf-8")
        digest = sha256(payload).hexdigest()
        header = json.dumps(
            {
                "format": CACHE_FORMAT,
                "digest": digest,
                "content_hash": content_hash,
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
        return None
    return digest


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)
