"""A cache entry is trusted as the checked model it claims to be only when its digest matches and
it decodes to the model's records with the right shapes; any doubt means a full load and a
warning."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def rewrite(entry: Path, edit: Callable[[Any], object], *, digest: bool) -> None:
    """Edit an entry's snapshot, with its digest recomputed (``digest``) or left as it was."""
    head, body = entry.read_bytes().split(b"\n", 1)
    data = json.loads(body)
    data = edit(data) or data
    payload = json.dumps(data).encode()
    header = json.loads(head)
    if digest:
        header["digest"] = hashlib.sha256(payload).hexdigest()
    entry.write_bytes(json.dumps(header).encode() + b"\n" + payload)


def first_question(data: list[Any]) -> list[Any]:
    """The fields of the snapshot's first question (``{"Question": [...]}``)."""
    fields: list[Any] = data[3]["t"][0]["Question"]
    return fields


def test_an_edited_entry_changes_nothing_and_warns(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = cache.load_questionnaire(BUNDLED)
    entry = the_entry(folder)
    head, body = entry.read_bytes().split(b"\n", 1)
    edited = body.replace(b'"emergency"', b'"routine"').replace(b'"urgent"', b'"routine"')
    assert edited != body
    entry.write_bytes(head + b"\n" + edited)
    again = cache.load_questionnaire(BUNDLED)
    assert levels_of(again) == levels_of(fresh)
    assert "urgent" in levels_of(again)
    assert "does not match its digest" in capsys.readouterr().err


def test_an_entry_with_a_matching_digest_is_trusted_as_the_checked_model(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The folder is private: whoever can rewrite an entry and its digest can as well edit the
    # questionnaire or the package. A well-formed model is taken as it is, unchecked.
    cache.load_questionnaire(BUNDLED)
    rewrite(
        the_entry(folder), lambda data: first_question(data).__setitem__(2, "Edited?"), digest=True
    )
    assert cache.load_questionnaire(BUNDLED).questions[0].prompt == "Edited?"
    assert capsys.readouterr().err == ""


def swap_tag(data: list[Any]) -> None:
    question = data[3]["t"][0]
    question["Exec"] = question.pop("Question")


def drop_a_field(data: list[Any]) -> None:
    first_question(data).pop()


def number_for_an_id(data: list[Any]) -> None:
    first_question(data)[0] = 12


def list_for_a_tuple(data: list[Any]) -> None:
    first_question(data)[5] = first_question(data)[5]["t"]


def condition_for_an_option(data: list[Any]) -> None:
    options = first_question(data)[5]["t"]
    options[0] = {"Equals": ["onset", "sudden", None]}


def text_for_the_questions(data: list[Any]) -> None:
    data[3] = "questions"


def untagged_mapping(data: list[Any]) -> None:
    data[4] = {"conditions": [], "scores": []}


def a_place_of_text(data: list[Any]) -> None:
    first_question(data)[-1] = {"@": ["1", 2]}


def too_few_fields_at_the_top(data: list[Any]) -> list[Any]:
    return data[:-1]


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (swap_tag, "'Exec', which is not a record of the model"),
        (drop_a_field, "a Question of 11 fields, not 12"),
        (number_for_an_id, "a Question whose id is of the wrong type"),
        (list_for_a_tuple, "a Question whose options is of the wrong type"),
        (condition_for_an_option, "a Question whose options is of the wrong type"),
        (text_for_the_questions, "questionnaire's questions is of the wrong type"),
        (untagged_mapping, "a mapping that is not a tagged record"),
        (a_place_of_text, "a malformed place"),
        (too_few_fields_at_the_top, "not a snapshot of a questionnaire"),
    ],
)
def test_an_entry_that_is_not_a_model_falls_back_even_with_a_matching_digest(
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    edit: Callable[[Any], object],
    reason: str,
) -> None:
    fresh = cache.load_questionnaire(BUNDLED)
    rewrite(the_entry(folder), edit, digest=True)
    again = cache.load_questionnaire(BUNDLED)
    assert again.questions == fresh.questions
    answers = {"red_flags": (), "onset": "sudden"}
    assert score(again, answers).to_dict() == score(fresh, answers).to_dict()
    err = capsys.readouterr().err
    assert "warning: ignoring the cached copy" in err
    assert reason in err


def test_a_tampered_entry_with_its_old_digest_falls_back(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = cache.load_questionnaire(BUNDLED)
    rewrite(
        the_entry(folder), lambda data: first_question(data).__setitem__(2, "Edited?"), digest=False
    )
    assert cache.load_questionnaire(BUNDLED).questions[0].prompt == fresh.questions[0].prompt
    assert "does not match its digest" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json\n{}",
        b'{"format": 4}\n[[[[',
        b'{"format": 4, "digest": "0"}\n{}',
        b"[" * 100_000,
        b'{"format": 4}\n' + b"[" * 100_000 + b"]" * 100_000,
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


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"t":' * 50_000 + b"1" + b"}" * 50_000, b'[{"f":[[1]]}]'],
    ids=["deep lists", "deep tuples", "an unhashable item"],
)
def test_a_hostile_body_with_a_matching_digest_falls_back(
    folder: Path, capsys: pytest.CaptureFixture[str], body: bytes
) -> None:
    fresh = cache.load_questionnaire(BUNDLED)
    entry = the_entry(folder)
    header = json.loads(entry.read_bytes().split(b"\n", 1)[0])
    header["digest"] = hashlib.sha256(body).hexdigest()
    entry.write_bytes(json.dumps(header).encode() + b"\n" + body)
    assert cache.load_questionnaire(BUNDLED).questions == fresh.questions
    assert "warning: ignoring the cached copy" in capsys.readouterr().err
