"""A cache entry is held to the format as a file is: doubt means a full load and a warning."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from helpers import BUNDLED

from hamstring_cli import cache
from hamstring_cli.scoring import score


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("HAMSTRING_NO_CACHE", raising=False)
    return tmp_path / "cache" / "hamstring" / "questionnaires"


def the_entry(folder: Path) -> Path:
    (entry,) = folder.glob("*.json")
    return entry


def levels_of(q: object) -> list[str]:
    return [rule.level for c in q.outcomes.conditions for rule in c.triage]  # type: ignore[attr-defined]


def test_the_folder_is_private_whatever_the_umask(folder: Path) -> None:
    old = os.umask(0o022)
    try:
        cache.load_questionnaire(BUNDLED)
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.parent.stat().st_mode) == 0o700


def test_an_edited_entry_changes_nothing_and_warns(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = cache.load_questionnaire(BUNDLED)
    entry = the_entry(folder)
    head, body = entry.read_bytes().split(b"\n", 1)
    edited = body.replace(b'"level":"emergency"', b'"level":"routine"').replace(
        b'"level":"urgent"', b'"level":"routine"'
    )
    assert edited != body
    entry.write_bytes(head + b"\n" + edited)
    again = cache.load_questionnaire(BUNDLED)
    assert levels_of(again) == levels_of(fresh)
    assert "urgent" in levels_of(again)
    assert "digest" in capsys.readouterr().err


def test_an_entry_with_a_matching_digest_is_still_validated(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = cache.load_questionnaire(BUNDLED)
    entry = the_entry(folder)
    head, body = entry.read_bytes().split(b"\n", 1)
    data = json.loads(body)
    data["outcomes"]["levels"]["urgent"] = {"label": 12}
    data["questions"][0]["type"] = "nonsense"
    payload = json.dumps(data).encode()
    header = json.loads(head)
    header["digest"] = hashlib.sha256(payload).hexdigest()
    entry.write_bytes(json.dumps(header).encode() + b"\n" + payload)
    again = cache.load_questionnaire(BUNDLED)
    answers = {"onset": "sudden"}
    assert score(again, answers).to_dict() == score(fresh, answers).to_dict()
    assert "the format refuses it" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json\n{}",
        b'{"format": 3}\n[[[[',
        b'{"format": 3, "digest": "0"}\n{}',
        b"[" * 100_000,
        b'{"format": 3}\n' + b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_malformed_entries_fall_back(
    folder: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    cache.load_questionnaire(BUNDLED)
    the_entry(folder).write_bytes(content)
    assert cache.load_questionnaire(BUNDLED).id == "proximal-hamstring"
    assert "warning" in capsys.readouterr().err


def test_a_fifo_and_a_link_to_dev_zero_fall_back(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache.load_questionnaire(BUNDLED)
    entry = the_entry(folder)
    entry.unlink()
    os.mkfifo(entry)
    assert cache.load_questionnaire(BUNDLED).id == "proximal-hamstring"
    assert "not a regular file" in capsys.readouterr().err
    entry.unlink()
    entry.symlink_to("/dev/zero")
    assert cache.load_questionnaire(BUNDLED).id == "proximal-hamstring"
    assert "warning" in capsys.readouterr().err


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
