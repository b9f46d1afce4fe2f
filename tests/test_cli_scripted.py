"""Scripted runs: answers in, a report out, and the exit status says how it went."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import write
from test_answers import TINY
from typer.testing import CliRunner

from hamstring_cli.cli import app
from hamstring_cli.errors import AnswerError

runner = CliRunner()

RUPTURE = textwrap.dedent(
    """\
    flags: []
    onset: sudden
    pop: "yes"
    age: 34
    """
)


pytestmark = pytest.mark.usefixtures("private_cache")


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write(tmp_path, TINY, "tiny.yaml")


def answers(tmp_path: Path, text: str = RUPTURE, name: str = "answers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def triage(*args: str | Path, input: str | None = None) -> object:
    return runner.invoke(app, ["triage", *map(str, args)], input=input)


def command(*args: str | Path, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """The whole command, its error funnel included, as a script would run it."""
    return subprocess.run(
        [sys.executable, "-m", "hamstring_cli", *map(str, args)],
        input=input if input is not None else b"",
        capture_output=True,
        env={**os.environ},
        check=False,
        timeout=60,
    )


def test_json_on_stdout_is_the_result_and_nothing_else(tmp_path: Path, tiny: Path) -> None:
    result = runner.invoke(
        app, ["triage", "-q", str(tiny), "--answers", str(answers(tmp_path)), "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1
    assert data["answers"] == {"flags": [], "onset": "sudden", "pop": "yes", "age": 34}
    assert data["leading"] == "rupture"
    assert data["triage"]["level"] == "urgent"
    assert result.stderr == ""


def test_answers_off_the_path_are_warned_about_with_their_place(tmp_path: Path, tiny: Path) -> None:
    path = answers(tmp_path, RUPTURE + "weeks: 3\n")
    result = triage("-q", tiny, "--answers", path, "-f", "json")
    assert result.exit_code == 0
    assert "weeks" not in json.loads(result.stdout)["answers"]
    assert re.search(rf"{re.escape(str(path))}:5:1: warning W206\b.*'weeks'", result.stderr)


def test_a_bad_answer_file_prints_nothing_on_stdout(tmp_path: Path, tiny: Path) -> None:
    path = answers(tmp_path, "flags: []\nonset: sudenn\nage: abc\n")
    result = triage("-q", tiny, "--answers", path, "-f", "json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert isinstance(result.exception, AnswerError)
    assert [d.code for d in result.exception.diagnostics] == ["E202", "E203"]


def test_the_command_names_file_line_column_and_exits_1(tmp_path: Path, tiny: Path) -> None:
    path = answers(tmp_path, "flags: []\nonset: sudenn\n")
    done = command("triage", "-q", tiny, "--answers", path, "-f", "json")
    assert done.returncode == 1
    assert done.stdout == b""
    err = done.stderr.decode()
    assert f"{path}:2:8: error E202" in err
    assert "sudden" in err  # what is allowed, and the near miss
    assert "Traceback" not in err


def test_partial_answers_without_a_terminal_name_the_first_missing_question(
    tmp_path: Path, tiny: Path
) -> None:
    path = answers(tmp_path, "flags: []\nonset: sudden\n")
    done = command("triage", "-q", tiny, "--answers", path, "-f", "json")
    assert done.returncode == 1
    assert done.stdout == b""
    err = done.stderr.decode()
    assert "'pop'" in err
    assert "yes, no" in err  # its allowed values
    assert "'age'" not in err  # only the first missing one


def test_answers_from_standard_input(tiny: Path) -> None:
    result = triage("-q", tiny, "--answers", "-", "-f", "json", input=RUPTURE)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["leading"] == "rupture"


def test_an_empty_standard_input_is_an_error_not_a_hang(tiny: Path) -> None:
    done = command("triage", "-q", tiny, "--answers", "-", "-f", "json", input=b"")
    assert done.returncode == 1
    assert b"E007" in done.stderr
    assert done.stdout == b""


def test_a_saved_result_replays_to_the_same_result(tmp_path: Path, tiny: Path) -> None:
    first = triage("-q", tiny, "--answers", answers(tmp_path, RUPTURE + "weeks: 3\n"), "-f", "json")
    saved = tmp_path / "result.json"
    saved.write_text(first.stdout, encoding="utf-8")
    again = triage("-q", tiny, "--answers", saved, "-f", "json")
    assert again.exit_code == 0
    assert again.stdout == first.stdout
    assert again.stderr == ""  # the result holds only answers on the path


def test_the_bundled_questionnaire_replays_a_saved_result(tmp_path: Path) -> None:
    contract = textwrap.dedent(
        """\
        red_flags: []
        anticoagulants: "no"
        age: 34
        onset: sudden
        mechanism: overstretch
        pop: "yes"
        could_continue: "no"
        days_since_injury: 3
        bruising: extensive
        walking: limp
        pain_site: sit_bone
        sitting_pain: immediate
        numbness: none
        back_pain: "no"
        prior_hamstring_injury: "no"
        examined: "no"
        """
    )
    first = triage("--answers", answers(tmp_path, contract), "-f", "json")
    assert first.exit_code == 0, first.output
    saved = tmp_path / "result.json"
    saved.write_text(first.stdout, encoding="utf-8")
    again = triage("--answers", saved, "-f", "json")
    assert again.stdout == first.stdout


@pytest.mark.parametrize(
    ("level", "status"), [("emergency", 0), ("urgent", 3), ("soon", 3), ("routine", 3)]
)
def test_fail_on_exits_3_when_the_level_is_reached(
    tmp_path: Path, tiny: Path, level: str, status: int
) -> None:
    result = triage("-q", tiny, "--answers", answers(tmp_path), "-f", "json", "--fail-on", level)
    assert result.exit_code == status
    assert json.loads(result.stdout)["triage"]["level"] == "urgent"  # the report still prints


def test_fail_on_with_the_installed_command(tmp_path: Path, tiny: Path) -> None:
    done = command("triage", "-q", tiny, "-a", answers(tmp_path), "-f", "json", "--fail-on", "soon")
    assert done.returncode == 3


def test_output_writes_a_private_file_and_confirms_on_stderr(tmp_path: Path, tiny: Path) -> None:
    target = tmp_path / "report.md"
    result = triage("-q", tiny, "-a", answers(tmp_path), "-f", "markdown", "-o", target)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert str(target) in result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "Rupture" in target.read_text("utf-8")


def test_output_refuses_an_existing_file_unless_forced(tmp_path: Path, tiny: Path) -> None:
    target = tmp_path / "result.json"
    target.write_text("keep")
    done = command("triage", "-q", tiny, "-a", answers(tmp_path), "-f", "json", "-o", target)
    assert done.returncode == 1
    assert b"--force" in done.stderr
    assert target.read_text() == "keep"
    forced = triage("-q", tiny, "-a", answers(tmp_path), "-f", "json", "-o", target, "--force")
    assert forced.exit_code == 0
    assert json.loads(target.read_text())["leading"] == "rupture"


def test_markdown_on_stdout(tmp_path: Path, tiny: Path) -> None:
    result = triage("-q", tiny, "-a", answers(tmp_path), "-f", "markdown")
    assert result.exit_code == 0
    assert result.stdout.startswith("# Tiny")
    assert "34 years" in result.stdout  # answers in words


def test_text_when_piped_is_plain(tmp_path: Path, tiny: Path) -> None:
    result = triage("-q", tiny, "-a", answers(tmp_path), "-f", "text")
    assert result.exit_code == 0
    assert "URGENT" in result.stdout
    assert "\x1b[" not in result.stdout
    assert not re.search(r"[\u2500-\u257f]", result.stdout)


def test_a_bad_option_value_is_a_usage_error(tmp_path: Path, tiny: Path) -> None:
    result = triage("-q", tiny, "-a", answers(tmp_path), "-f", "yaml")
    assert result.exit_code == 2
    assert result.stdout == ""


@pytest.mark.pty
def test_answers_from_a_terminal_on_stdin_are_refused_not_waited_for(
    tmp_path: Path, tiny: Path
) -> None:
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "hamstring_cli", "triage", "-q", str(tiny), "--answers", "-", "-f", "json"],
        env={**os.environ, "TERM": "dumb"},
        timeout=30,
    )
    child.expect("E002")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
