"""A cache of questionnaire data in the user's cache folder, so that a run skips the YAML parse.

Layer 2. Reading the bundled questionnaire with ``yaml.compose`` (for the places of every key)
is the largest part of a scripted run after the interpreter's own start-up. The first load of
a file goes through the loader as usual; once it has loaded and passed every check, its plain
data is stored as JSON (never pickle: a cache file is data, not code) under a name made of the
SHA-256 of the file's bytes and of this package's version and code. Later loads of the same
bytes read the JSON and build the questionnaire from it with the loader's own parser, and its
checks still run, so the cache changes only how fast a questionnaire loads, never whether it
loads. Cached questionnaires carry no line numbers (nothing at run time reads them); any
problem at all falls back to the full load, which reports with places.

``HAMSTRING_NO_CACHE=1`` turns the cache off; ``XDG_CACHE_HOME`` moves it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from hamstring_cli import __version__
from hamstring_cli.errors import QuestionnaireError
from hamstring_cli.loader import SourceMap, parse_questionnaire, read_document
from hamstring_cli.model import Questionnaire

#: Bump when the layout of a cache entry changes.
CACHE_FORMAT = 1
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
        raw = Path(path).read_bytes()
    except OSError:
        # The loader reads it again and reports why it cannot, with its own diagnostics.
        raw = None
    if raw is None or not enabled():
        data, source_map = read_document(path)
        return parse_questionnaire(data, source_map)
    entry = entry_path(raw)
    cached = _from_cache(entry, name)
    if cached is not None:
        return cached
    data, source_map = read_document(text=raw, name=name)
    questionnaire = parse_questionnaire(data, source_map)
    _store(entry, data, source_map.digest)
    return questionnaire


def _from_cache(entry: Path, name: str) -> Questionnaire | None:
    try:
        stored = json.loads(entry.read_bytes())
        data, digest = stored["data"], stored["digest"]
        if stored.get("format") != CACHE_FORMAT or not isinstance(digest, str):
            return None
        return parse_questionnaire(data, SourceMap(name, digest))
    except (OSError, ValueError, KeyError, TypeError, QuestionnaireError):
        # Missing, unreadable, corrupt or stale: the full load decides, with places.
        return None


def _json_safe(value: object) -> bool:
    # JSON keys are text: a document with other keys would not come back the same.
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_safe(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_json_safe(v) for v in value)
    return value is None or isinstance(value, (str, int, float, bool))


def _store(entry: Path, data: object, digest: str) -> None:
    if not _json_safe(data):
        return
    from hamstring_cli.report import OutputError, write_private

    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        text = json.dumps({"format": CACHE_FORMAT, "digest": digest, "data": data})
        write_private(entry, text.encode("utf-8"), force=True)
        _prune(entry.parent)
    except (OSError, OutputError):
        # A cache that cannot be written (a read-only home, a full disk) only costs speed.
        return


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)
