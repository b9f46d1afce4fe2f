"""A cache entry is believed only when its MAC, made under the user's private key, verifies;
any doubt means a full load and a warning, never a traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import marshal
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType

import pytest
from helpers import BUNDLED, mini_intake_path

from hamstring_cli import cache
from hamstring_cli.answers import read_answers
from hamstring_cli.model import Compare, TriageRule
from hamstring_cli.resources import bundled_questionnaires
from hamstring_cli.scoring import score


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("HAMSTRING_NO_CACHE", raising=False)
    return tmp_path / "cache" / "hamstring" / "questionnaires"


def key_file(folder: Path) -> Path:
    return folder.parent.parent.parent / "state" / "hamstring" / "cache-key"


def sign(entry: Path, header: dict[str, object], body: bytes, key: bytes) -> None:
    """Write an entry whose MAC is made under ``key`` with the stdlib ``hmac``."""
    label = f"hamstring-cache|{cache.CACHE_FORMAT}|{entry.name}|{header['content_hash']}\n"
    header = dict(header, mac=hmac.new(key, label.encode() + body, hashlib.sha256).hexdigest())
    entry.write_bytes(json.dumps(header).encode() + b"\n" + body)


def the_entry(folder: Path) -> Path:
    (entry,) = folder.glob(f"*{cache.SUFFIX}")
    return entry


def edited(body: bytes, change: Callable[[object], object]) -> bytes:
    """A snapshot with ``change`` made to every record in it (the records rebuilt bottom up)."""

    def walk(value: object) -> object:
        if isinstance(value, tuple) and hasattr(value, "_fields"):
            return change(type(value)(*map(walk, value)))
        if isinstance(value, tuple):
            return tuple(map(walk, value))
        if isinstance(value, MappingProxyType):
            return MappingProxyType({k: walk(v) for k, v in value.items()})
        return value

    q = cache.restore(body, "x", "0")
    for name in ("questions", "outcomes"):
        object.__setattr__(q, name, walk(getattr(q, name)))
    return cache.snapshot(q)


def everything_routine(record: object) -> object:
    if isinstance(record, TriageRule) and record.level in ("emergency", "urgent"):
        return record._replace(level="routine")
    return record


def load_under_umask(mask: int) -> None:
    """Load the bundled questionnaire (making the cache's and the key's folders) under ``mask``."""
    old = os.umask(mask)
    try:
        cache.load_questionnaire(BUNDLED)
    finally:
        os.umask(old)


def levels_of(q: object) -> list[str]:
    return [rule.level for c in q.outcomes.conditions for rule in c.triage]  # type: ignore[attr-defined]


def test_the_folder_is_private_whatever_the_umask(folder: Path) -> None:
    load_under_umask(0o022)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.parent.stat().st_mode) == 0o700


def test_an_edited_entry_changes_nothing_and_warns(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = cache.load_questionnaire(BUNDLED)
    entry = the_entry(folder)
    head, body = entry.read_bytes().split(b"\n", 1)
    changed = edited(body, everything_routine)
    assert "urgent" not in levels_of(cache.restore(changed, "x", "0"))
    entry.write_bytes(head + b"\n" + changed)
    again = cache.load_questionnaire(BUNDLED)
    assert levels_of(again) == levels_of(fresh)
    assert "urgent" in levels_of(again)
    assert "MAC does not verify" in capsys.readouterr().err


@pytest.mark.parametrize(
    "path", [*bundled_questionnaires(), "MINI"], ids=lambda p: getattr(p, "stem", str(p))
)
def test_the_snapshot_rebuilds_what_the_file_gives(
    folder: Path, tmp_path: Path, path: Path | str
) -> None:
    if path == "MINI":
        path = mini_intake_path(tmp_path)
    fresh = cache.load_questionnaire(path, located=True)
    cache.load_questionnaire(path)
    body = the_entry(folder).read_bytes().split(b"\n", 1)[1]
    rebuilt = cache.restore(body, fresh.source, fresh.content_hash)
    # Records compare without their places; the places are the file's name alone.
    for name in cache.QUESTIONNAIRE_FIELDS:
        if not name.endswith("_at"):
            assert getattr(rebuilt, name) == getattr(fresh, name), name
    assert rebuilt.questions[0].at == (fresh.source, None, None)
    assert (rebuilt.start_at is None) == (fresh.start_at is None)
    assert list(rebuilt.next_at) == list(fresh.next_at)
    assert len(rebuilt.required_at) == len(fresh.required_at)
    # And it is what a later run is given.
    again = cache.load_questionnaire(path)
    assert again.questions == fresh.questions and again.outcomes == fresh.outcomes


def test_a_signed_snapshot_with_a_question_that_is_not_one_falls_back(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = cache.load_questionnaire(BUNDLED)
    entry = the_entry(folder)
    head, body = entry.read_bytes().split(b"\n", 1)
    fields = marshal.loads(body)
    fields["questions"] = ("a", *fields["questions"][1:])
    sign(entry, json.loads(head), marshal.dumps(fields), key_file(folder).read_bytes())
    again = cache.load_questionnaire(BUNDLED)
    assert levels_of(again) == levels_of(fresh)
    err = capsys.readouterr().err
    assert "it does not rebuild" in err and "Traceback" not in err


def test_every_record_with_a_place_compares_without_it() -> None:
    # Where a rule is written does not change what it means: a cached questionnaire (places
    # without lines) equals the file loaded with every place, record for record.
    placed = [kind for kind in cache.RECORDS if "at" in kind._fields]
    assert len(placed) > 20
    for kind in placed:
        assert kind.__eq__ is not tuple.__eq__, f"{kind.__name__} compares its place"


@pytest.mark.parametrize(
    "body",
    [
        marshal.dumps({"id": "x"}),
        marshal.dumps([1, 2, 3]),
        marshal.dumps(compile("1", "x", "eval")),
        marshal.dumps({name: [10_000] for name in cache.QUESTIONNAIRE_FIELDS}),
        marshal.dumps({name: [-7] for name in cache.QUESTIONNAIRE_FIELDS}),
        marshal.dumps({name: [-1.0] for name in cache.QUESTIONNAIRE_FIELDS}),
        marshal.dumps({name: [[0]] for name in cache.QUESTIONNAIRE_FIELDS}),
        marshal.dumps({name: [0, "only one field"] for name in cache.QUESTIONNAIRE_FIELDS}),
        marshal.dumps(dict.fromkeys(cache.QUESTIONNAIRE_FIELDS, frozenset())),
        b"\xff" * 64,
    ],
    ids=[
        "fields",
        "list",
        "code",
        "tag",
        "negative tag",
        "float tag",
        "list tag",
        "short record",
        "frozenset",
        "garbage",
    ],
)
def test_a_signed_snapshot_that_does_not_rebuild_falls_back(
    folder: Path, body: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = cache.load_questionnaire(BUNDLED)
    entry = the_entry(folder)
    # Signed under the user's own key: what rebuilds is believed, what does not is not used.
    sign(
        entry,
        json.loads(entry.read_bytes().split(b"\n", 1)[0]),
        body,
        key_file(folder).read_bytes(),
    )
    again = cache.load_questionnaire(BUNDLED)
    assert levels_of(again) == levels_of(fresh)
    err = capsys.readouterr().err
    assert "ignoring the cached copy" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json\n{}",
        b'{"format": 4}\n[[[[',
        b'{"format": %d}\n[[[[' % cache.CACHE_FORMAT,
        b'{"format": %d, "mac": "0"}\n{}' % cache.CACHE_FORMAT,
        b'{"format": %d, "mac": 7}\n{}' % cache.CACHE_FORMAT,
        b'{"format": %d, "mac": "\\udc80"}\n{}' % cache.CACHE_FORMAT,
        b"[" * 100_000,
        b'{"format": %d}\n' % cache.CACHE_FORMAT + b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_malformed_entries_fall_back(
    folder: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    cache.load_questionnaire(BUNDLED)
    the_entry(folder).write_bytes(content)
    assert cache.load_questionnaire(BUNDLED).id == "proximal-hamstring"
    assert "warning" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["fifo", "link to /dev/zero", "empty folder"])
def test_a_fifo_and_a_link_to_dev_zero_fall_back(
    folder: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # And an empty folder: whatever stands where the entry goes warns, and is replaced by it.
    cache.load_questionnaire(BUNDLED)
    entry = the_entry(folder)
    entry.unlink()
    if kind == "fifo":
        os.mkfifo(entry)
    elif kind == "empty folder":
        entry.mkdir()
    else:
        entry.symlink_to("/dev/zero")
    assert cache.load_questionnaire(BUNDLED).id == "proximal-hamstring"
    assert "warning: ignoring the cached copy" in capsys.readouterr().err
    assert entry.is_file() and not entry.is_symlink()
    cache.load_questionnaire(BUNDLED)
    assert capsys.readouterr().err == ""


def test_an_entry_naming_other_content_falls_back(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = cache.load_questionnaire(BUNDLED)
    entry = the_entry(folder)
    head, body = entry.read_bytes().split(b"\n", 1)
    header = json.loads(head)
    header["content_hash"] = "0" * 12
    entry.write_bytes(json.dumps(header).encode() + b"\n" + body)
    again = cache.load_questionnaire(BUNDLED)
    assert again.content_hash == fresh.content_hash != "0" * 12
    assert "other content" in capsys.readouterr().err


# -- the key: entries are believed only under the user's private key -----------------------------

OTTAWA_ANSWERS = """\
red_flags: []
age: 30
days_since_injury: 1
bear_weight_immediately: "yes"
bear_weight_now: "yes"
pain_malleolar_zone: "yes"
tender_lateral_malleolus: "yes"
tender_medial_malleolus: "no"
pain_midfoot_zone: "no"
"""


def ten_times_every_bound(record: object) -> object:
    """Every ``lt`` bound of every rule made ten times larger (a forged rule change)."""
    if isinstance(record, Compare) and record.op == "lt":
        return record._replace(value=record.value * 10)
    return record


def hamstring(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        **(env or {}),
    }
    environ.pop("HAMSTRING_NO_CACHE", None)
    return subprocess.run(
        [sys.executable, "-m", "hamstring_cli", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=tmp_path,
        check=False,
    )


def test_a_forged_entry_with_a_recomputed_digest_is_refused(folder: Path, tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(OTTAWA_ANSWERS, encoding="utf-8")
    args = ("triage", "-q", "ottawa-ankle", "-a", str(answers), "--format", "json")
    fresh = hamstring(tmp_path, *args, env={"HAMSTRING_NO_CACHE": "1"})
    first = hamstring(tmp_path, *args)
    assert first.returncode == fresh.returncode == 0
    assert first.stdout == fresh.stdout and first.stderr == ""
    entry = the_entry(folder)
    head, body = entry.read_bytes().split(b"\n", 1)
    forged = edited(body, ten_times_every_bound)
    # The forgery matters: believed, it takes this patient out of the rules' scope.
    believed = cache.restore(forged, "x", "0")
    assert not score(believed, read_answers(answers, believed)).to_dict()["scope"]["applies"]
    # As an outside review forged it: the old plain digest recomputed, under a key guessed anew.
    header = json.loads(head)
    header["digest"] = hashlib.sha256(forged).hexdigest()
    sign(entry, header, forged, os.urandom(32))
    again = hamstring(tmp_path, *args)
    assert again.returncode == 0
    assert again.stdout == fresh.stdout
    assert json.loads(again.stdout)["scope"]["applies"] is True
    assert "warning: ignoring the cached copy" in again.stderr
    assert "MAC does not verify" in again.stderr
    assert "Traceback" not in again.stderr


def test_the_key_is_private_and_outside_the_cache(folder: Path) -> None:
    load_under_umask(0o022)
    key = key_file(folder)
    assert Path(cache.key_path()) == key
    assert not key.is_relative_to(folder.parent.parent)
    assert stat.S_ISREG(key.lstat().st_mode)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert len(key.read_bytes()) == cache.KEY_SIZE
    before = key.read_bytes()
    the_entry(folder).unlink()
    cache.load_questionnaire(BUNDLED)
    assert key.read_bytes() == before  # never replaced


def test_a_relative_state_home_is_ignored(
    folder: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", "state")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.key_path() == str(
        tmp_path / "home" / ".local" / "state" / "hamstring" / "cache-key"
    )


def test_an_entry_made_under_another_key_is_not_used(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = cache.load_questionnaire(BUNDLED)
    old = the_entry(folder)
    key = key_file(folder)
    key.write_bytes(os.urandom(cache.KEY_SIZE))
    again = cache.load_questionnaire(BUNDLED)
    assert levels_of(again) == levels_of(fresh)
    # Entries are named under their key: another key's entry is not found (another
    # XDG_STATE_HOME is no forgery), and an entry is written under this key.
    assert capsys.readouterr().err == ""
    (new,) = [entry for entry in folder.glob(f"*{cache.SUFFIX}") if entry != old]
    # The old key's entry put under this key's name claims to be this key's: its MAC fails.
    new.write_bytes(old.read_bytes())
    third = cache.load_questionnaire(BUNDLED)
    assert levels_of(third) == levels_of(fresh)
    assert "MAC does not verify" in capsys.readouterr().err
    # The entry written again under the key is believed, silently.
    cache.load_questionnaire(BUNDLED)
    assert capsys.readouterr().err == ""


def test_an_entry_moved_to_another_name_does_not_verify(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Other code (another version or layout) names the same file's entry otherwise: an entry
    # moved between names names the right content, and only its MAC tells the move.
    fresh = cache.load_questionnaire(BUNDLED)
    entry = the_entry(folder)
    moved = entry.with_name("0" * 64 + cache.SUFFIX)
    entry.rename(moved)
    monkeypatch.setattr(cache, "entry_path", lambda content, key: str(moved))
    again = cache.load_questionnaire(BUNDLED)
    assert levels_of(again) == levels_of(fresh)
    assert "MAC does not verify" in capsys.readouterr().err


def odd_key(kind: str, key: Path, tmp_path: Path) -> None:
    key.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if key.exists() or key.is_symlink():
        key.unlink()
    if kind == "fifo":
        os.mkfifo(key, 0o600)
    elif kind == "symlink":
        target = tmp_path / "elsewhere"
        target.write_bytes(os.urandom(cache.KEY_SIZE))
        target.chmod(0o600)
        key.symlink_to(target)
    elif kind == "short":
        key.write_bytes(b"0" * 16)
        key.chmod(0o600)
    elif kind == "long":
        key.write_bytes(os.urandom(cache.KEY_SIZE + 1))
        key.chmod(0o600)
    elif kind == "readable by others":
        key.write_bytes(os.urandom(cache.KEY_SIZE))
        key.chmod(0o644)
    elif kind == "folder":
        key.mkdir()
    elif kind == "unreadable":
        key.write_bytes(os.urandom(cache.KEY_SIZE))
        key.chmod(0o000)


@pytest.mark.parametrize(
    "kind", ["fifo", "symlink", "short", "long", "readable by others", "folder", "unreadable"]
)
def test_an_odd_key_means_no_cache_and_no_traceback(
    folder: Path, tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if kind == "unreadable" and os.geteuid() == 0:
        pytest.skip("root reads a file of mode 000")
    fresh = cache.load_questionnaire(BUNDLED)
    capsys.readouterr()
    entry = the_entry(folder)
    written = entry.read_bytes()
    key = key_file(folder)
    odd_key(kind, key, tmp_path)
    # An entry that is right under the old key is not used, and none is written afresh.
    entry.write_bytes(b"not json\n{}")
    again = cache.load_questionnaire(BUNDLED)
    assert levels_of(again) == levels_of(fresh)
    err = capsys.readouterr().err
    assert "not using the cache: its key" in err and "Traceback" not in err
    assert entry.read_bytes() == b"not json\n{}"
    assert written != entry.read_bytes()
    # Through the command, too: a clean result, a warning, no traceback.
    done = hamstring(tmp_path, "triage", "--answers", "-", "--format", "json")
    assert "Traceback" not in done.stderr
    assert "not using the cache" in done.stderr


def test_a_key_that_cannot_be_made_means_a_full_load(
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    blocker = tmp_path / "state-is-a-file"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    first = cache.load_questionnaire(BUNDLED)
    again = cache.load_questionnaire(BUNDLED)
    assert levels_of(again) == levels_of(first)
    assert not folder.exists() or not list(folder.glob(f"*{cache.SUFFIX}"))
    assert capsys.readouterr().err == ""


def test_the_hmac_matches_the_standard_library() -> None:
    from hamstring_cli.digest import hmac_sha256, same_digest

    # RFC 4231 test cases 1, 2, 3, 6 and 7 (HMAC-SHA-256).
    vectors = [
        (
            b"\x0b" * 20,
            b"Hi There",
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        ),
        (
            b"Jefe",
            b"what do ya want for nothing?",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ),
        (
            b"\xaa" * 20,
            b"\xdd" * 50,
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
        ),
        (
            b"\xaa" * 131,
            b"Test Using Larger Than Block-Size Key - Hash Key First",
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        ),
        (
            b"\xaa" * 131,
            b"This is a test using a larger than block-size key and a larger than block-size data."
            b" The key needs to be hashed before being used by the HMAC algorithm.",
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
        ),
    ]
    for key, message, expected in vectors:
        assert hmac_sha256(key, message).hex() == expected
    for size in (0, 1, 31, 32, 63, 64, 65, 200):
        for length in (0, 1, 55, 56, 64, 1000):
            key, message = os.urandom(size), os.urandom(length)
            tag = hmac_sha256(key, message)
            assert tag == hmac.new(key, message, hashlib.sha256).digest()
            assert same_digest(tag, tag) and not same_digest(tag, bytes(32))


# -- the cache's folders -------------------------------------------------------------------------


def test_the_code_stamp_covers_every_module_that_reads_or_checks_a_questionnaire() -> None:
    from hamstring_cli.layers import MODULES, module_file

    below = {module_file(name) for name, (layer, _) in MODULES.items() if layer <= 1}
    assert set(cache._CODE) == below | {"cache.py"}


def test_a_cache_folder_that_is_a_link_is_never_written_through(
    folder: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o755)
    elsewhere.chmod(0o755)
    theirs = [elsewhere / f"photo{i}{cache.SUFFIX}" for i in range(cache.KEEP + 4)]
    for old in theirs:
        old.write_text("data")
        os.utime(old, (0, 0))
    folder.parent.mkdir(parents=True)
    folder.symlink_to(elsewhere)
    fresh = cache.load_questionnaire(BUNDLED)
    again = cache.load_questionnaire(BUNDLED)
    assert levels_of(again) == levels_of(fresh)
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o755
    assert sorted(elsewhere.iterdir()) == sorted(theirs), "nothing written, nothing removed"


def test_a_read_only_cache_folder_stays_read_only(folder: Path) -> None:
    folder.mkdir(parents=True, mode=0o700)
    folder.chmod(0o500)
    try:
        cache.load_questionnaire(BUNDLED)
        assert stat.S_IMODE(folder.stat().st_mode) == 0o500
    finally:
        folder.chmod(0o700)


def test_the_folders_made_for_the_cache_and_the_key_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "new" / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "new" / "state"))
    load_under_umask(0)
    made = [p for p in (tmp_path / "new").rglob("*") if p.is_dir()] + [tmp_path / "new"]
    assert len(made) >= 6
    for path in made:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path


def test_a_file_where_the_cache_folder_goes_means_no_cache_and_no_warning(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder.parent.mkdir(parents=True)
    folder.write_text("not a folder")
    for _ in range(2):
        assert cache.load_questionnaire(BUNDLED).id == "proximal-hamstring"
    assert capsys.readouterr().err == ""
