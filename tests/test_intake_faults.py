"""Faults around an intake: hostile typed lines, a full disk, signals.

Each test names its class. What a user sees (standard error, the exit status, the session file
on disk) is what is asserted.
"""

from __future__ import annotations

import errno
import io
import os
import re
import shlex
import shutil
import signal
import termios
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hamstring_cli import files, interactive, sessions
from hamstring_cli.answers import read_answers
from hamstring_cli.cli import app
from hamstring_cli.interactive import intake
from hamstring_cli.model import Questionnaire
from hamstring_cli.sessions import IntakeStopped, SessionFile, lock_path

#: Session files go to a folder of the test's own (conftest.py has ``state``, and ``mini``).
pytestmark = pytest.mark.usefixtures("state")


def no_space(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


# -- a refused line in --plain is echoed escaped and cut short ---------------------------------


def test_plain_echoes_a_refused_line_escaped_and_short(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = "\x1b]0;PWNED\x07\x1b[2J" + "x" * 2_000_000
    typed = f"{huge}\n0\n1\n{huge}\n1\n34\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))
    answers = intake(mini, {}, plain=True)
    assert answers["age"] == 34
    shown = capsys.readouterr().err
    assert "\x1b" not in shown and "\x07" not in shown, "no control character reaches the screen"
    assert "\\x1b]0;PWNED" in shown, "it is written as its escape"
    # Twice refused, twice echoed as the piped line and twice in the refusal: each short.
    assert len(shown) < 20_000
    assert shown.count("(2,000,014 characters)") == 4
    assert "is not one of the numbers shown" in shown


# -- a full disk during a --plain intake -------------------------------------------------------


def test_a_full_disk_under_the_lock_file_still_locks(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, tmp_path: Path
) -> None:
    monkeypatch.setattr(sessions.os, "pwrite", no_space)
    store = SessionFile.open(mini, tmp_path / "s.yaml")
    try:
        assert lock_path(store.path).exists()
        with pytest.raises(sessions.SessionFileError, match="in use by another intake"):
            SessionFile.open(mini, tmp_path / "s.yaml")
    finally:
        store.close()


def test_a_full_disk_in_a_plain_intake_says_what_was_saved_and_where(
    monkeypatch: pytest.MonkeyPatch, mini_path: Path, state: Path
) -> None:
    # Nothing can be written: not the lock file's process id, not the session file.
    monkeypatch.setattr(sessions.os, "pwrite", no_space)
    monkeypatch.setattr(files.os, "fsync", no_space)
    result = CliRunner().invoke(app, ["triage", "--plain", "-q", str(mini_path)], input="0\n1\n1\n")
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, OSError), "no traceback"
    err = result.stderr
    assert "cannot save the session" in err and "No space left on device" in err
    assert "3 answers were given, but the session file could not be written" in err
    assert "nothing was saved" in err
    # The answers are given back, as lines of an answer file.
    assert 'onset: "sudden"' in err and 'pop: "yes"' in err
    assert sorted(state.glob("*.yaml")) == []


def test_a_disk_that_fills_mid_intake_keeps_the_last_save(
    monkeypatch: pytest.MonkeyPatch, mini_path: Path, mini: Questionnaire, state: Path
) -> None:
    real = files.os.fsync
    calls: list[int] = []

    def fills(fd: int) -> None:
        calls.append(fd)
        if len(calls) > 1:
            no_space()
        real(fd)

    monkeypatch.setenv("HAMSTRING_NO_CACHE", "1")
    monkeypatch.setattr(files.os, "fsync", fills)
    result = CliRunner().invoke(app, ["triage", "--plain", "-q", str(mini_path)], input="0\n1\n1\n")
    assert result.exit_code == 1, result.output
    err = result.stderr
    (saved,) = state.glob("*.yaml")
    assert "the last save holds the first 1 answer, in" in err and str(saved) in err
    assert f"--resume {saved}" in err
    assert dict(read_answers(saved, mini)) == {"flags": ()}


def test_intake_stopped_by_a_full_disk_is_an_intake_stop(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire
) -> None:
    monkeypatch.setattr(sessions.os, "pwrite", no_space)
    monkeypatch.setattr(files.os, "fsync", no_space)
    monkeypatch.setattr("sys.stdin", io.StringIO("0\n"))
    monkeypatch.setattr(interactive, "_stdin_is_terminal", lambda: False)
    with pytest.raises(IntakeStopped) as caught:
        intake(mini, {}, plain=True)
    assert caught.value.failure == "No space left on device"


# -- SIGTERM or SIGHUP during a full-screen intake ---------------------------------------------


def _spawn(tmp_path: Path, *args: str, rows: int = 24) -> Any:
    pexpect = pytest.importorskip("pexpect")
    command = shutil.which("hamstring")
    if command is None:
        pytest.skip("the 'hamstring' command is not on PATH")
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    for name in ("COLUMNS", "LINES", "PAGER", "LESS"):
        env.pop(name, None)
    return pexpect.spawn(
        command, list(args), env=env, cwd=str(tmp_path), encoding="utf-8",
        timeout=20, dimensions=(rows, 80),
    )  # fmt: skip


def _cooked(child: Any) -> bool:
    """Whether the terminal reads lines and echoes them again (not left raw)."""
    modes = termios.tcgetattr(child.child_fd)
    return bool(modes[3] & termios.ICANON) and bool(modes[3] & termios.ECHO)


@pytest.mark.pty
@pytest.mark.parametrize(
    ("name", "words", "status"),
    [("SIGTERM", "terminated (SIGTERM)", 143), ("SIGHUP", "hung up (SIGHUP)", 129)],
)
def test_a_signal_at_a_prompt_restores_the_terminal_and_says_how_to_resume(
    tmp_path: Path, mini_path: Path, state: Path, name: str, words: str, status: int
) -> None:
    pexpect = pytest.importorskip("pexpect")
    child = _spawn(tmp_path, "triage", "-q", str(mini_path))
    child.expect("None of these")
    child.send("\x1b[A \r")  # up to "None of these", tick it, answer
    child.expect("How did the pain start")
    child.expect("Enter to answer")
    assert not _cooked(child), "a prompt reads keys one by one"
    child.kill(getattr(signal, name))
    child.expect(f"hamstring: {re.escape(words)} at 'How did the pain start\\?'; 1 answer is")
    child.expect("resume with:")
    child.expect(r"\s*(hamstring triage [^\r\n]+)\r?\n")
    command = shlex.split(child.match.group(1))
    child.expect(pexpect.EOF)
    assert _cooked(child), "the terminal is given back as it was found"
    child.close()
    assert child.exitstatus == status
    (saved,) = state.glob("*.yaml")
    assert command[-2:] == ["--resume", str(saved)]
    assert "Traceback" not in child.before

    resumed = _spawn(tmp_path, *command[1:])
    resumed.expect("How did the pain start")
    resumed.close(force=True)


@pytest.mark.pty
def test_a_signal_while_the_review_is_paged_gives_the_terminal_back(
    tmp_path: Path, mini_path: Path, state: Path
) -> None:
    pexpect = pytest.importorskip("pexpect")
    child = _spawn(tmp_path, "triage", "-q", str(mini_path), rows=8)
    child.expect("None of these")
    child.send("\x1b[A \r")
    for prompt, keys in (("How did the pain start", "1\r"), ("Was there a pop", "1\r")):
        child.expect(prompt)
        child.send(keys)
    child.expect("How old is the patient")
    child.send("34\r")
    # Eight rows do not hold the review: less shows it.
    child.expect("q closes it")
    child.kill(signal.SIGTERM)
    child.expect("terminated \\(SIGTERM\\)")
    child.expect(pexpect.EOF)
    assert _cooked(child)
    child.close()
    assert child.exitstatus == 143
    assert len(list(state.glob("*.yaml"))) == 1


@pytest.mark.pty
@pytest.mark.parametrize("plain", [False, True])
def test_a_terminal_that_hangs_up_keeps_the_answers_without_a_traceback(
    tmp_path: Path, mini_path: Path, state: Path, plain: bool
) -> None:
    pexpect = pytest.importorskip("pexpect")
    command = shutil.which("hamstring")
    if command is None:
        pytest.skip("the 'hamstring' command is not on PATH")
    err = tmp_path / "err.txt"
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    args = [command, "triage", "-q", str(mini_path), *(["--plain"] if plain else [])]
    # Standard error goes to a file, to read what is said after the terminal has gone.
    child = pexpect.spawn(
        "sh", ["-c", f"exec {shlex.join(args)} 2>{shlex.quote(str(err))}"],
        env=env, encoding="utf-8", timeout=20, dimensions=(24, 80),
    )  # fmt: skip
    child.expect("None of these")
    if plain:
        child.expect("> ")
        child.sendline("0")
    else:
        child.send("\x1b[A \r")
    child.expect("How did the pain start")
    child.expect("> " if plain else "Enter to answer")
    os.close(child.child_fd)  # the terminal goes: the kernel hangs the intake up
    child.closed = True
    deadline = time.monotonic() + 20
    while True:
        pid, status = os.waitpid(child.pid, os.WNOHANG)
        if pid:
            break
        assert time.monotonic() < deadline, "the intake did not end"
        time.sleep(0.05)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 129
    said = err.read_text()
    (saved,) = state.glob("*.yaml")
    assert "hung up (SIGHUP) at 'How did the pain start?'" in said
    assert f"--resume {saved}" in said
    if plain:
        # Full screen, prompt_toolkit may meet the dead terminal (EIO) before the signal is
        # handled, and its event loop reports that on standard error: a race that only shows
        # when standard error is not the terminal that went away.
        assert "Traceback" not in said and "exception" not in said


def test_a_session_file_that_cannot_be_removed_is_said_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, tmp_path: Path
) -> None:
    path = tmp_path / "s.yaml"
    store = SessionFile(path, mini)
    store.save({"flags": ()}, {})

    def refuse(self: Path, missing_ok: bool = False) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(Path, "unlink", refuse)
    with pytest.raises(sessions.SessionFileError, match="cannot remove the session file"):
        store.remove()
    monkeypatch.undo()
    assert path.exists()
