"""A cache of checked questionnaires in the user's cache folder, so that a run skips the YAML.

Layer 2. Reading the bundled questionnaire with ``yaml.compose`` (for the places of every key),
building its model and checking it is the largest part of a scripted run after the
interpreter's own start-up. The first load of a file goes through the loader as usual; once it
has loaded and passed every check, its model is stored as JSON (never pickle: a cache file is
data, not code) under a name made of the SHA-256 of the file's bytes and of this package's
version and code. Later loads of the same bytes rebuild the model from that JSON: each record
is named, and only the model's own record types (an allowlist) can be named, so the file can
describe data and nothing else. The checks are not run again: the entry exists only because
the same bytes passed them under the same code. Cached questionnaires carry no line numbers
(nothing at run time reads them); any problem with an entry falls back to the full load,
which reports with places.

``HAMSTRING_NO_CACHE=1`` turns the cache off; ``XDG_CACHE_HOME`` moves it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from hamstring_cli import __version__, model
from hamstring_cli.errors import UserError
from hamstring_cli.files import QUESTIONNAIRE_LIMIT, read_input_file
from hamstring_cli.model import Questionnaire

#: Bump when the layout of a cache entry changes.
CACHE_FORMAT = 2
#: Entries kept; the oldest beyond this are removed when a new one is written.
KEEP = 16
_CODE = ("loader.py", "checks.py", "model.py", "cache.py")


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/hamstring/questionnaires`` (``~/.cache`` when it is not set)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hamstring" / "questionnaires"


def enabled() -> bool:
    """Whether the cache is in use (``HAMSTRING_NO_CACHE`` unset, empty or ``0``)."""
    return os.environ.get("HAMSTRING_NO_CACHE", "") in ("", "0")


def _code_stamp() -> str:
    # An editable install changes code without changing the version: the size and time of the
    # files that read and check a questionnaire are part of the key, so an edit is never
    # answered from an entry that older code wrote.
    here = Path(__file__).resolve().parent
    stamps = []
    for name in _CODE:
        try:
            info = (here / name).stat()
        except OSError:
            continue
        stamps.append(f"{name}:{info.st_size}:{info.st_mtime_ns}")
    return ";".join(stamps)


def entry_path(raw: bytes) -> Path:
    """Where the cache entry of a file with these bytes lives."""
    key = hashlib.sha256()
    key.update(f"{CACHE_FORMAT}|{__version__}|{_code_stamp()}|".encode())
    key.update(raw)
    return cache_dir() / f"{key.hexdigest()}.json"


def load_questionnaire_cached(path: str | os.PathLike[str]) -> Questionnaire:
    """Load and check a questionnaire file as the loader does, from the cache when possible.

    Raises:
        QuestionnaireError: as :func:`hamstring_cli.loader.load_questionnaire`.
    """
    name = os.fspath(path)
    try:
        # Only a regular file, of bounded size: never a device or a FIFO.
        raw = read_input_file(
            path, limit=QUESTIONNAIRE_LIMIT, what="a questionnaire", error=UserError, name=name
        )
    except UserError:
        # The loader reads it again and reports why it cannot, with its own diagnostics.
        raw = None
    use_cache = raw is not None and enabled()
    if use_cache:
        assert raw is not None
        entry = entry_path(raw)
        cached = _from_cache(entry, name)
        if cached is not None:
            return cached
    # The loader (and PyYAML with it) is imported only when a file must be read: an intake
    # whose questionnaire is cached reaches its first prompt without them.
    from hamstring_cli.loader import parse_questionnaire, read_document

    if raw is None or not use_cache:
        data, source_map = read_document(path)
        return parse_questionnaire(data, source_map)
    data, source_map = read_document(text=raw, name=name)
    questionnaire = parse_questionnaire(data, source_map)
    _store(entry, questionnaire)
    return questionnaire


def _from_cache(entry: Path, name: str) -> Questionnaire | None:
    try:
        stored = json.loads(entry.read_bytes())
        if stored.get("format") != CACHE_FORMAT:
            return None
        fields = decode(stored["questionnaire"])
        if not isinstance(fields, dict):
            return None
        fields["source"] = name
        return Questionnaire(**fields)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        # Missing, unreadable, corrupt or stale: the full load decides, with places.
        return None


#: The record types a cache entry may name: the model's own, nothing else.
_RECORDS: Mapping[str, type[tuple[object, ...]]] = MappingProxyType(
    {
        cls.__name__: cls
        for cls in vars(model).values()
        if isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")
    }
)
#: Questionnaire fields kept in an entry (places and derived tables are left out).
_KEPT = (
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
    "content_hash",
)


def encode(value: object) -> object:
    """A model value as JSON data: records named by type, places dropped, tuples as lists."""
    if isinstance(value, Questionnaire):
        return {"fields": {key: encode(getattr(value, key)) for key in _KEPT}}
    if isinstance(value, tuple) and type(value).__name__ in _RECORDS:
        fields = {
            key: encode(item)
            for key, item in zip(value._fields, value, strict=True)  # type: ignore[attr-defined]
            if key != "at"
        }
        return {"record": type(value).__name__, "fields": fields}
    if isinstance(value, tuple):
        return [encode(item) for item in value]
    if isinstance(value, Mapping):
        return {"mapping": {str(k): encode(v) for k, v in value.items()}}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot cache a {type(value).__name__}")


def decode(data: object) -> object:
    """The model value that :func:`encode` wrote (``TypeError`` for anything else)."""
    if isinstance(data, list):
        return tuple(decode(item) for item in data)
    if isinstance(data, dict):
        if "record" in data:
            cls = _RECORDS[data["record"]]
            return cls(**{key: decode(item) for key, item in data["fields"].items()})
        if "mapping" in data:
            return MappingProxyType({k: decode(v) for k, v in data["mapping"].items()})
        return {key: decode(item) for key, item in data["fields"].items()}
    if data is None or isinstance(data, (str, int, float, bool)):
        return data
    raise TypeError(f"unexpected {type(data).__name__} in a cache entry")


def _store(entry: Path, questionnaire: Questionnaire) -> None:
    from hamstring_cli.report import OutputError, write_private

    try:
        text = json.dumps({"format": CACHE_FORMAT, "questionnaire": encode(questionnaire)})
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_private(entry, text.encode("utf-8"), force=True)
        _prune(entry.parent)
    except (OSError, OutputError, TypeError):
        # A cache that cannot be written (a read-only home, a full disk) only costs speed.
        return


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)
