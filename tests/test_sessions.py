"""Session files: private, atomic, readable back as answer files, never over another file."""

from __future__ import annotations

import datetime as dt
import os
import shlex
import stat
import textwrap
from pathlib import Path

import pytest

from hamstring_cli.answers import read_answers
from hamstring_cli.cache import load_questionnaire
from hamstring_cli.errors import AnswerError
from hamstring_cli.model import Answer, Questionnaire
from hamstring_cli.resources import resolve_questionnaire
from hamstring_cli.sessions import (
    MARK,
    IntakeStopped,
    SessionFile,
    SessionFileError,
    dump_answers,
    is_session_file,
    new_session_path,
    read_shown,
    resume_command,
    sessions_dir,
)

NOW = dt.datetime(2025, 3, 14, 9, 30, 12)

MINI = """\
format: 1
id: mini
version: 1.0.0
title: A small intake
disclaimer: Not a diagnosis.
references:
  - {id: R1, citation: Source one.}
questions:
  - id: flags
    type: multi
    prompt: Any warning signs?
    options:
      - {value: numb, label: Saddle numbness}
      - {value: fever, label: Fever}
  - id: onset
    type: choice
    prompt: How did the pain start?
    options:
      - {value: sudden, label: Suddenly, next: pop}
      - {value: "no", label: "Not at all", next: pop}
      - {value: "it's \\"odd\\"", label: Oddly, next: pop}
  - id: pop
    type: integer
    prompt: How many pops?
    min: 0
    max: 9
outcomes:
  levels:
    emergency: {label: Emergency, timeframe: now, advice: Go now.}
    urgent: {label: Urgent, timeframe: within days, advice: Within days.}
    soon: {label: Soon, timeframe: within two weeks, advice: Soon.}
    routine: {label: Routine, timeframe: no time pressure, advice: Usual care.}
  conditions:
    - id: c1
      label: Condition one
      triage:
        - {level: routine, advice: Usual care., source: R1}
"""


@pytest.fixture
def mini(tmp_path: Path) -> Questionnaire:
    path = tmp_path / "mini.yaml"
    path.write_text(MINI, encoding="utf-8")
    return load_questionnaire(path)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_folder_follows_xdg_state_home(tmp_path: Path) -> None:
    assert sessions_dir({"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "hamstring" / "sessions"
    # A relative XDG value is invalid (the XDG spec): the default is used instead.
    default = Path.home() / ".local" / "state" / "hamstring" / "sessions"
    assert sessions_dir({"XDG_STATE_HOME": "relative/dir"}) == default
    assert sessions_dir({}) == default


def test_new_names_are_timestamped_and_never_reused(tmp_path: Path) -> None:
    first = new_session_path(tmp_path, NOW)
    assert first.name == "intake-20250314-093012.yaml"
    first.write_text("x")
    assert new_session_path(tmp_path, NOW).name == "intake-20250314-093012-2.yaml"


def test_a_saved_session_reads_back_as_the_same_answers(
    mini: Questionnaire, tmp_path: Path
) -> None:
    path = tmp_path / "s.yaml"
    store = SessionFile(path, mini)
    answers: dict[str, Answer] = {"flags": ("numb", "fever"), "onset": 'it\'s "odd"', "pop": 3}
    store.save(answers, {})
    assert dict(read_answers(path, mini)) == answers
    # "no" is quoted: unquoted YAML 1.1 would read it as false.
    store.save({"flags": (), "onset": "no"}, {})
    assert dict(read_answers(path, mini)) == {"flags": (), "onset": "no"}


def test_held_answers_are_kept_after_the_path(mini: Questionnaire, tmp_path: Path) -> None:
    text = dump_answers(mini, {"flags": ()}, {"pop": 2}, path=tmp_path / "s.yaml", now=NOW)
    assert (
        text.index("flags: []")
        < text.index("# Answers off the current path")
        < text.index("pop: 2")
    )


def test_the_header_says_how_to_resume(mini: Questionnaire, tmp_path: Path) -> None:
    path = tmp_path / "my session.yaml"
    text = dump_answers(mini, {}, {}, path=path, now=NOW)
    assert text.startswith(f"{MARK}: mini 1.0.0, saved 2025-03-14T09:30:12\n")
    assert f"--resume {shlex.quote(str(path))}" in text
    assert text.rstrip().endswith("{}")


def test_files_and_folders_are_private(
    mini: Questionnaire, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    # A umask of 0 would leave files and folders open to all: the modes must not rely on it.
    old = os.umask(0)
    try:
        store = SessionFile.open(mini)
        store.save({"flags": ()}, {})
    finally:
        os.umask(old)
    assert mode(store.path) == 0o600
    for folder in (tmp_path / "state", tmp_path / "state" / "hamstring", store.path.parent):
        assert mode(folder) == 0o700, folder


def test_saving_is_atomic_and_leaves_no_temporary_file(mini: Questionnaire, tmp_path: Path) -> None:
    folder = tmp_path / "sessions"
    folder.mkdir()
    store = SessionFile(folder / "s.yaml", mini)
    assert store.save({"flags": ()}, {})
    assert not store.save({"flags": ()}, {}), "an unchanged session is not rewritten"
    assert store.save({"flags": ("numb",)}, {})
    assert [p.name for p in folder.iterdir()] == ["s.yaml"]


def test_an_unwritable_place_is_a_session_file_error(mini: Questionnaire, tmp_path: Path) -> None:
    store = SessionFile(tmp_path / "missing" / "s.yaml", mini)
    with pytest.raises(SessionFileError, match="cannot save the session"):
        store.save({"flags": ()}, {})


def test_another_file_is_never_overwritten_or_removed(mini: Questionnaire, tmp_path: Path) -> None:
    answers = tmp_path / "case.yaml"
    answers.write_text("flags: []\n")
    with pytest.raises(SessionFileError, match="not a hamstring session file"):
        SessionFile.open(mini, answers)
    SessionFile(answers, mini).remove()
    assert answers.read_text() == "flags: []\n"


def test_an_existing_session_file_is_reused_and_removed(
    mini: Questionnaire, tmp_path: Path
) -> None:
    path = tmp_path / "s.yaml"
    SessionFile(path, mini).save({"flags": ()}, {})
    assert is_session_file(path)
    store = SessionFile.open(mini, path, resuming=True)
    store.remove()
    store.close()
    assert not path.exists()


def test_a_new_intake_never_starts_over_a_saved_one(mini: Questionnaire, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    SessionFile(path, mini).save({"flags": ("numbness",)}, {})
    before = path.read_bytes()
    with pytest.raises(SessionFileError) as caught:
        SessionFile.open(mini, path)
    assert "--resume" in str(caught.value)
    assert path.read_bytes() == before
    # Refused, it holds no lock: resuming it works.
    SessionFile.open(mini, path, resuming=True).close()


def test_a_changed_questionnaire_is_refused_with_places(
    mini: Questionnaire, tmp_path: Path
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            {MARK}: mini 0.9.0, saved 2025-03-14T09:30:12
            flags: ["numbness"]
            onset: "sudden"
            """
        )
    )
    with pytest.raises(AnswerError) as caught:
        read_answers(path, mini)
    (problem,) = caught.value.errors
    assert problem.code == "E202"
    assert problem.place is not None and (problem.place.line, problem.place.column) == (2, 9)


def test_the_resume_command_names_a_questionnaire_only_when_needed(
    mini: Questionnaire, tmp_path: Path
) -> None:
    session = tmp_path / "s.yaml"
    bundled = load_questionnaire(resolve_questionnaire("proximal-hamstring"))
    assert resume_command(session, bundled) == f"hamstring triage --resume {session}"
    assert resume_command(session, mini) == (
        f"hamstring triage --questionnaire {tmp_path / 'mini.yaml'} --resume {session}"
    )


def test_the_stop_message_names_the_file_and_the_commands(tmp_path: Path) -> None:
    saved = tmp_path / "s.yaml"
    stop = IntakeStopped(
        interrupted=False,
        saved=saved,
        resume="hamstring triage --resume X",
        answered=1,
        pending="age",
    )
    words = str(stop)
    assert "the input ended at 'age'; 1 answer is saved in" in words
    assert f"\n  {saved}\n" in words
    assert "hamstring triage --resume X" in words
    assert f"hamstring triage --answers {saved}" in words
    nothing = IntakeStopped(interrupted=True, saved=None, resume=None, answered=0)
    assert "nothing to resume" in str(nothing)


@pytest.mark.parametrize(
    "line",
    [
        "# shown: not json",
        "# shown: [1, 2]",
        '# shown: {"no_such_flag": {"flags": ["numb"]}}',
        '# shown: {"cauda_equina": {"no_such_question": 1}}',
        '# shown: {"cauda_equina": {"flags": ["not_an_option"]}}',
        '# shown: {"cauda_equina": {"age": 1e400}}',
        '# shown: {"cauda_equina": "numb"}',
    ],
)
def test_a_shown_line_that_this_questionnaire_could_not_have_written_is_left_out(
    mini_path: Path, line: str
) -> None:
    # The intake questionnaire of the helpers, which has the cauda_equina flag.
    intake_mini = load_questionnaire(mini_path)
    assert read_shown(f"flags: []\n{line}\n", intake_mini) == {}


def test_the_shown_flags_read_back_as_written(mini_path: Path, tmp_path: Path) -> None:
    intake_mini = load_questionnaire(mini_path)
    alerted: dict[str, dict[str, Answer]] = {"cauda_equina": {"flags": ("numb",), "age": 34}}
    text = dump_answers(
        intake_mini, {"flags": ("numb",)}, {}, path=tmp_path / "s.yaml", alerted=alerted
    )
    assert read_shown(text, intake_mini) == alerted
