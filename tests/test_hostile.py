"""Hostile and odd input: every class of input that once gave a traceback, a lie or a loss.

Each test names its class. The command runs in a fresh interpreter where what a user sees
(standard error, the exit status, files on disk) is what is asserted.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import write
from test_answers import TINY

from hamstring_cli import interactive, sessions
from hamstring_cli.cache import load_questionnaire
from hamstring_cli.errors import AnswerError, escape, shorten
from hamstring_cli.files import OutputError
from hamstring_cli.intake.asks import NO_REPORT, REVIEW, SAVE, SHOW_SUMMARY
from hamstring_cli.interactive import intake
from hamstring_cli.model import Questionnaire
from hamstring_cli.sessions import IntakeStopped, SessionFile, SessionFileError, lock_path

#: Slow (hostile files, devices, FIFOs and concurrent processes, each in a fresh interpreter):
#: the everyday loop is pytest -m "not slow".
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("private_cache", "state")]

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "docs" / "examples"
RUPTURE = EXAMPLES / "acute-rupture.yaml"
GOOD = 'flags: []\nonset: sudden\npop: "yes"\nage: 34\n'
GOOD_JSON = json.dumps({"flags": [], "onset": "sudden", "pop": "yes", "age": 34})


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write(tmp_path, TINY, "tiny.yaml")


def run(
    *args: str | Path, stdin: bytes | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """The command as a user runs it, in a fresh interpreter; stdin is empty unless given.

    It runs in the tests' folder, so that ``-m`` imports the package these tests import (the
    installed one, or the checkout's), never the checkout's because it is the working folder.
    """
    return subprocess.run(
        [sys.executable, "-m", "hamstring_cli", *map(str, args)],
        cwd=HERE,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
        timeout=timeout,
    )


def clean_failure(done: subprocess.CompletedProcess[bytes]) -> str:
    """Assert a refusal as the funnel makes it: status 1, no traceback, nothing on stdout."""
    err = done.stderr.decode("utf-8")
    assert done.returncode == 1, err
    assert "Traceback" not in err
    assert done.stdout == b""
    return err


# -- 3. huge integers -----------------------------------------------------------------------


def test_huge_numbers_are_echoed_by_their_length() -> None:
    assert shorten(10**4300) == "a 4,301-digit number"
    assert shorten(-(10**40)) == "a 41-digit number"
    assert shorten(123) == "123"
    assert shorten("age " + "9" * 5000) == "age a 5,000-digit number"


@pytest.mark.parametrize("quote", ['"', ""])
def test_a_huge_number_is_a_located_error_never_a_traceback(tmp_path: Path, quote: str) -> None:
    answers = tmp_path / "big.yaml"
    answers.write_text(f"age: {quote}1{'0' * 5000}{quote}\n")
    err = clean_failure(run("triage", "-a", answers, "-f", "json"))
    assert f"{answers}:1:6: error" in err
    assert "5,001-digit number" in err
    assert len(err) < 1000
    if quote:
        # Text of digits is a number: far beyond the range, it is a range error.
        assert "E204" in err and "out of range" in err


def test_a_huge_number_in_a_batch_is_one_error_record(tmp_path: Path, tiny: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.yaml").write_text(GOOD)
    (folder / "b.yaml").write_text(f'flags: []\nonset: sudden\npop: "yes"\nage: "{"7" * 6000}"\n')
    (folder / "c.yaml").write_text(GOOD)
    done = run("batch", folder, "-q", tiny)
    assert done.returncode == 1
    assert b"Traceback" not in done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [Path(r["source"]).name for r in records] == ["a.yaml", "b.yaml", "c.yaml"]
    assert records[1]["error"]["code"] == "E204"
    assert "6,000-digit number" in records[1]["error"]["message"]
    assert "leading" in records[0] and "leading" in records[2]


# -- 4. special files as input ------------------------------------------------------------


def test_a_device_is_refused_as_an_answer_file_and_as_a_questionnaire() -> None:
    err = clean_failure(run("triage", "--answers", "/dev/zero", timeout=30))
    assert "/dev/zero: error E002" in err and "character device" in err
    err = clean_failure(run("triage", "-q", "/dev/zero", "-a", RUPTURE, timeout=30))
    assert "/dev/zero: error E002" in err


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "answers.yaml"
    os.mkfifo(fifo)
    err = clean_failure(run("triage", "--answers", fifo, timeout=30))
    assert f"{fifo}: error E002" in err and "FIFO" in err


def test_files_past_the_size_limit_are_refused_saying_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(11 * 1024 * 1024)  # sparse: nothing is written
    err = clean_failure(run("triage", "--answers", big))
    assert "larger than 10 MB" in err
    err = clean_failure(run("triage", "--answers", "-", stdin=b"#" * (11 * 1024 * 1024)))
    assert "<stdin>: error E002" in err and "larger than 10 MB" in err
    with big.open("wb") as handle:
        handle.truncate(51 * 1024 * 1024)
    err = clean_failure(run("triage", "-q", big, "-a", RUPTURE))
    assert "larger than 50 MB" in err


# -- 5. batch: names, folders, streaming, standard input -----------------------------------


def test_a_file_name_that_is_not_utf8_is_a_record_with_surrogate_escapes(
    tmp_path: Path, tiny: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    odd = os.fsencode(folder) + b"/odd\xff\x1b.yaml"
    with open(odd, "w") as handle:
        handle.write(GOOD)
    done = run("batch", folder, "-q", tiny)
    assert done.returncode == 0, done.stderr
    (record,) = [json.loads(line) for line in done.stdout.splitlines()]
    # The record names the file exactly: its name's bytes come back from the escapes.
    assert os.fsencode(record["source"]) == odd
    assert b"\\udcff" in done.stdout
    csv_done = run("batch", folder, "-q", tiny, "-f", "csv")
    assert csv_done.returncode == 0
    assert b"odd\\udcff\\x1b.yaml" in csv_done.stdout


def test_an_unreadable_folder_is_an_error_record_and_the_rest_runs(
    tmp_path: Path, tiny: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from hamstring_cli.batch import run_batch

    locked = tmp_path / "locked"
    locked.mkdir()
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    real_iterdir = Path.iterdir

    def iterdir(self: Path):  # type: ignore[no-untyped-def]
        if self == locked:
            raise PermissionError(13, "Permission denied")
        return real_iterdir(self)

    # Run as root, chmod 000 would not stop the listing: refuse it as a kernel would.
    monkeypatch.setattr(Path, "iterdir", iterdir)
    total, failed = run_batch(load_questionnaire(tiny), [locked, good])
    assert (total, failed) == (2, 1)
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert out[0]["error"]["code"] == "E002" and "Permission denied" in out[0]["error"]["message"]
    assert out[1]["source"] == str(good) and "leading" in out[1]


def test_batch_dash_streams_json_lines_from_standard_input(tiny: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "hamstring_cli", "batch", "-", "-q", str(tiny)],
        cwd=HERE,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as child:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write((GOOD_JSON + "\n").encode())
        child.stdin.flush()
        # The first record arrives while standard input is still open: nothing is held back.
        first = json.loads(child.stdout.readline())
        assert first["source"] == "<stdin>:1" and "leading" in first
        child.stdin.write(b"\n" + b'{"age": \n')
        child.stdin.close()
        rest = [json.loads(line) for line in child.stdout.read().splitlines()]
    assert child.returncode == 1
    (second,) = rest
    # Line 3: the blank line 2 counts; the unfinished mapping is placed on its own line.
    assert second["source"] == "<stdin>:3"
    assert second["error"]["line"] == 3 and second["error"]["file"] == "<stdin>"


def test_batch_output_to_a_file_is_whole_or_absent(tmp_path: Path, tiny: Path) -> None:
    lines = tmp_path / "in.jsonl"
    lines.write_text((GOOD_JSON + "\n") * 300)
    target = tmp_path / "out.jsonl"
    done = run("batch", lines, "-q", tiny, "-o", target)
    assert done.returncode == 0, done.stderr
    assert len(target.read_text().splitlines()) == 300
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# -- 8. shared session files ----------------------------------------------------------------


def test_a_second_intake_on_a_session_file_is_refused_naming_the_holder(
    mini: Questionnaire, tmp_path: Path
) -> None:
    path = tmp_path / "s.yaml"
    first = SessionFile.open(mini, path)
    try:
        with pytest.raises(SessionFileError) as caught:
            SessionFile.open(mini, path)
        assert str(path) in str(caught.value)
        assert f"process {os.getpid()}" in str(caught.value)
    finally:
        first.close()
    assert not lock_path(path).exists()
    SessionFile.open(mini, path).close()


def test_two_intakes_on_one_session_file_in_two_processes(tmp_path: Path) -> None:
    session = tmp_path / "s.yaml"
    with subprocess.Popen(
        [sys.executable, "-m", "hamstring_cli", "triage", "--plain", "--session", str(session)],
        cwd=HERE,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1"},
    ) as first:
        assert first.stdin is not None
        # The lock file appears once the first intake holds its session file.
        deadline = time.monotonic() + 30
        while not lock_path(session).exists():
            assert first.poll() is None, "the first intake ended early"
            assert time.monotonic() < deadline, "the first intake never took its lock"
            time.sleep(0.05)
        second = run("triage", "--plain", "--session", session, timeout=30)
        first.stdin.close()
    err = clean_failure(second)
    assert str(session) in err and f"process {first.pid}" in err


def test_a_new_intake_refuses_a_saved_session_and_points_to_resume(
    mini: Questionnaire, tmp_path: Path
) -> None:
    path = tmp_path / "s.yaml"
    SessionFile(path, mini).save({"flags": ("numbness",)}, {})
    with pytest.raises(SessionFileError) as caught:
        SessionFile.open(mini, path)
    assert f"--resume {path}" in str(caught.value)


# -- 9. disk full mid-intake -------------------------------------------------------------------


def test_a_full_disk_mid_intake_says_what_was_saved_and_where(
    mini: Questionnaire, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = sessions.write_private
    calls = []

    def fill_up(path: Path, data: bytes, *, force: bool = False) -> None:
        calls.append(path)
        if len(calls) > 1:
            raise OutputError(f"cannot write {path}: No space left on device")
        real(path, data, force=force)

    monkeypatch.setattr(sessions, "write_private", fill_up)
    steps = [("flags", []), ("onset", "sudden"), ("pop", KeyboardInterrupt)]

    def prompt(ask: object, *args: object, **kwargs: object) -> object:
        key, raw = steps.pop(0)
        assert getattr(ask, "key", None) == key
        if raw is KeyboardInterrupt:
            raise KeyboardInterrupt
        return raw

    monkeypatch.setattr(interactive, "prompt", prompt)
    session = tmp_path / "s.yaml"
    with pytest.raises(IntakeStopped) as caught:
        intake(mini, {}, session_file=session)
    words = str(caught.value)
    assert "No space left on device" in words
    assert "2 answers were given" in words
    assert "the last save holds the first 1 answer" in words and str(session) in words
    assert 'onset: "sudden"' in words  # the answer the file does not hold
    assert "nothing was answered" not in words
    assert session.exists() and not lock_path(session).exists()


def test_a_finished_intake_lets_its_lock_go(
    mini: Questionnaire, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = [
        ("flags", []),
        ("onset", "gradual"),
        ("weeks", "4"),
        ("age", "40"),
        (REVIEW, SHOW_SUMMARY),
        (SAVE, NO_REPORT),
    ]

    def prompt(ask: object, *args: object, **kwargs: object) -> object:
        key, raw = steps.pop(0)
        assert getattr(ask, "key", None) == key
        return raw

    monkeypatch.setattr(interactive, "prompt", prompt)
    session = tmp_path / "s.yaml"
    intake(mini, {}, session_file=session)
    assert not session.exists() and not lock_path(session).exists()


# -- 10. --output and special files ----------------------------------------------------------


def test_output_writes_through_devices_and_fifos(tmp_path: Path) -> None:
    done = run("triage", "-a", RUPTURE, "-f", "json", "-o", os.devnull, "--force")
    assert done.returncode == 0, done.stderr
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    done = run("triage", "-a", RUPTURE, "-f", "json", "-o", fifo)
    reader.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(got[0])["leading"] == "acute_rupture"


def test_output_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    done = run("triage", "-a", RUPTURE, "-f", "json", "-o", link, "--force")
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["leading"] == "acute_rupture"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_output_dash_is_standard_output() -> None:
    done = run("triage", "-a", RUPTURE, "-f", "json", "-o", "-")
    assert done.returncode == 0
    assert json.loads(done.stdout)["leading"] == "acute_rupture"
    assert not (HERE / "-").exists()


def test_leftovers_of_a_killed_run_are_removed_but_not_a_live_writer_s(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    dead = tmp_path / ".report.json.abcd1234.tmp"
    dead.write_text("half")
    live = tmp_path / ".report.json.live5678.tmp"
    live.write_text("being written")
    other = tmp_path / ".other.json.abcd1234.tmp"
    other.write_text("another target's")
    with live.open("rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        done = run("triage", "-a", RUPTURE, "-f", "json", "-o", target)
    assert done.returncode == 0, done.stderr
    assert not dead.exists()
    assert live.exists() and other.exists()


# -- 11. control characters -------------------------------------------------------------------


def test_control_characters_never_reach_the_terminal(tmp_path: Path) -> None:
    answers = tmp_path / "evil\n.yaml"
    answers.write_text(
        '"\\e]0;owned\\a\\e[2J": 1\n'
        'age: "12\\r/etc/passwd:1:1: error E000: forged\\nx"\n'
        'sex: "\\u202eevil"\n'
    )
    err = clean_failure(run("triage", "-a", answers))
    assert "\x1b" not in err and "\r" not in err and "\x07" not in err and "\u202e" not in err
    lines = err.splitlines()
    # Every line is a message of its own, at the file as named (its newline escaped).
    assert all(line.startswith(escape(str(answers)) + ":") for line in lines), lines
    assert "\\x1b]0;owned\\x07" in err and "\\r/etc/passwd" in err


def test_escape_writes_controls_as_escapes_and_leaves_text_alone() -> None:
    assert escape("a\x1b[2Jb\n\t\x7f\x9b") == "a\\x1b[2Jb\\n\\t\\x7f\\x9b"
    assert escape("ordinary text, café") == "ordinary text, café"
    assert escape("name\udcff") == "name\\udcff"


# -- 12. places and files in messages -------------------------------------------------------


def test_json_lines_places_name_the_line_itself(tmp_path: Path, tiny: Path) -> None:
    lines = tmp_path / "x.jsonl"
    lines.write_text(GOOD_JSON + '\n{"age": \n' + GOOD_JSON + "\n")
    done = run("batch", lines, "-q", tiny)
    records = [json.loads(line) for line in done.stdout.splitlines()]
    error = records[1]["error"]
    assert records[1]["source"] == f"{lines}:2"
    assert error["line"] == 2
    assert "from line 3" not in error["message"]
    assert f"{lines}:2:" in done.stderr.decode()
    assert "leading" in records[2]


def test_an_empty_answer_file_says_so_and_names_it(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("{}\n")
    err = clean_failure(run("triage", "--answers", empty))
    assert err.startswith(f"{empty}: error E207: the file holds no answers")
    assert "give them with --answers" not in err


def test_a_missing_answer_names_the_answer_file(tmp_path: Path) -> None:
    partial = tmp_path / "partial.yaml"
    partial.write_text("red_flags: []\n")
    err = clean_failure(run("triage", "--answers", partial))
    assert err.startswith(f"{partial}: error E207: no answer for")


def test_an_answer_error_read_in_process_is_escaped(tmp_path: Path, tiny: Path) -> None:
    from hamstring_cli.answers import read_answers

    path = tmp_path / "a.yaml"
    path.write_text('age: "\\e[31m"\n')
    with pytest.raises(AnswerError) as caught:
        read_answers(path, load_questionnaire(tiny))
    (found,) = caught.value.diagnostics
    assert "\x1b" not in found.message and "\\x1b[31m" in found.message


# -- Also: check with no arguments --------------------------------------------------------------


def test_check_with_no_files_checks_every_bundled_questionnaire_and_case() -> None:
    from hamstring_cli.cases import bundled_cases
    from hamstring_cli.resources import bundled_dir, bundled_questionnaires

    done = run("check")
    assert done.returncode == 0, done.stderr
    err = done.stderr.decode()
    for path in (*bundled_questionnaires(), *bundled_cases(bundled_dir())):
        assert f"{path}: ok" in err
