"""Output faults and the environment, as a user meets them: the installed command in a process
of its own, its standard output a pipe closed by its reader, ``/dev/full`` or a closed
descriptor; ``COLUMNS=0``; an ASCII locale; a FIFO where a session file should be.

Every command that writes to standard output is run through both routes: the fast lane (the
plain spellings of ``triage`` and ``batch``) and the typer command line (everything else, and
``--help``). A closed pipe ends quietly, as ``head`` expects; a full disk or a closed standard
output is one line on standard error; the status is 1 either way, never a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

#: Slow (a fresh interpreter for each run): the everyday loop is pytest -m "not slow".
pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "docs" / "examples"
RUPTURE = EXAMPLES / "acute-rupture.yaml"
TENDON = EXAMPLES / "tendinopathy.yaml"

#: Each command that writes to standard output, with enough output to fill a pipe's buffer
#: when it matters (a batch of many records).
COMMANDS: dict[str, Sequence[str]] = {
    "triage text": ["triage", "--answers", str(RUPTURE), "--format", "text"],
    "triage json": ["triage", "--answers", str(RUPTURE), "--format", "json"],
    "triage markdown (typer)": ["triage", f"--answers={RUPTURE}", "-fmarkdown"],
    "batch": ["batch", *[str(RUPTURE), str(TENDON)] * 100],
    "batch csv (typer)": ["batch", "-fcsv", *[str(RUPTURE)] * 50],
    "explain": ["explain", "--answers", str(RUPTURE)],
    "export": ["export", "--format", "fhir"],
    "graph": ["graph"],
    "graph dot": ["graph", "--format", "dot"],
    "schema": ["schema"],
    "list": ["list"],
    "practice --list": ["practice", "--list"],
    "practice grading": [
        "practice",
        "--case",
        "red-flag-foot-drop",
        "--guess",
        "acute_rupture",
        "--level",
        "urgent",
    ],
    "--help": ["--help"],
    "triage --help": ["triage", "--help"],
    "--version": ["--version"],
}


@pytest.fixture(autouse=True)
def private_places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("NO_COLOR", "1")


def run(
    args: Sequence[str],
    *,
    stdout: int | None = subprocess.PIPE,
    env: dict[str, str] | None = None,
    pass_fds: Sequence[int] = (),
    preexec: object = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    """The command as a user runs it, in a fresh interpreter (``python -m hamstring_cli``)."""
    return subprocess.run(
        [sys.executable, "-m", "hamstring_cli", *args],
        cwd=HERE,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        pass_fds=pass_fds,
        preexec_fn=preexec,  # type: ignore[arg-type]
        check=False,
        timeout=timeout,
    )


def clean(done: subprocess.CompletedProcess[bytes]) -> str:
    err = done.stderr.decode("utf-8", errors="replace")
    assert "Traceback" not in err, err
    assert "Exception ignored" not in err, err
    return err


@pytest.mark.parametrize("args", COMMANDS.values(), ids=list(COMMANDS))
def test_a_closed_pipe_ends_quietly(args: Sequence[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before a byte is written, as after 'head -1'
    try:
        done = run(args, stdout=write)
    finally:
        os.close(write)
    err = clean(done)
    assert done.returncode == 1
    assert "cannot write" not in err


@pytest.mark.parametrize("args", COMMANDS.values(), ids=list(COMMANDS))
def test_a_full_disk_is_one_line_and_exit_1(args: Sequence[str]) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with open("/dev/full", "wb") as full:
        done = run(args, stdout=full.fileno())
    err = clean(done)
    assert done.returncode == 1
    assert err.splitlines()[-1] == (
        "hamstring: cannot write to standard output: No space left on device"
    )


def _close_stdout() -> None:
    os.close(1)


@pytest.mark.parametrize("args", COMMANDS.values(), ids=list(COMMANDS))
def test_a_closed_standard_output_is_one_line_and_exit_1(args: Sequence[str]) -> None:
    done = run(args, stdout=None, preexec=_close_stdout)
    err = clean(done)
    assert done.returncode == 1
    assert err.splitlines()[-1] == "hamstring: cannot write to standard output: it is closed"


def test_a_closed_standard_output_does_not_stop_a_report_written_to_a_file(
    tmp_path: Path,
) -> None:
    report = tmp_path / "report.md"
    done = run(
        ["triage", "--answers", str(RUPTURE), "--format", "markdown", "-o", str(report)],
        stdout=None,
        preexec=_close_stdout,
    )
    clean(done)
    assert done.returncode == 0
    assert report.read_text(encoding="utf-8").startswith("# ")


def test_a_batch_into_head_gives_its_first_record_and_ends_quietly() -> None:
    read, write = os.pipe()
    head = subprocess.Popen(["head", "-1"], stdin=read, stdout=subprocess.PIPE)
    os.close(read)
    try:
        # 200 records, some 500 kB: far more than a pipe holds once head has gone.
        done = run(COMMANDS["batch"], stdout=write)
    finally:
        os.close(write)
    first, _ = head.communicate(timeout=30)
    clean(done)
    assert done.returncode == 1
    assert first.startswith(b'{"source": ') and first.count(b"\n") == 1


@pytest.mark.parametrize("closed", ["stdin", "stderr"])
def test_a_closed_standard_input_or_error_is_no_traceback(closed: str) -> None:
    fd = 0 if closed == "stdin" else 2

    def close() -> None:
        os.close(fd)

    done = subprocess.run(
        [sys.executable, "-m", "hamstring_cli", "triage", "--answers", "-", "--format", "json"],
        cwd=HERE,
        stdin=subprocess.DEVNULL if closed == "stderr" else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if closed == "stdin" else None,
        preexec_fn=close,
        check=False,
        timeout=60,
    )
    assert done.returncode == 1
    if closed == "stdin":
        assert clean(done).startswith("<stdin>: error E007")  # read as empty, never a crash
    assert done.stdout == b""


# -- class 3: COLUMNS=0 --------------------------------------------------------------------------


@pytest.mark.parametrize("columns", ["0", "00"])
def test_columns_0_is_ignored_not_an_empty_report(columns: str) -> None:
    done = run(
        ["triage", "--answers", str(RUPTURE), "--format", "text"],
        env={"COLUMNS": columns, "LINES": "0"},
    )
    clean(done)
    assert done.returncode == 0
    text = done.stdout.decode("utf-8")
    assert "Acute proximal hamstring rupture" in " ".join(text.split())
    # Not a column a word: the width of a terminal with no size given (80).
    assert max(len(line) for line in text.splitlines()) > 60


# -- class 9: PYTHONIOENCODING=ascii -------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        COMMANDS["triage text"],
        COMMANDS["graph"],
        COMMANDS["explain"],
        COMMANDS["practice grading"],
        ["triage", "--answers", str(RUPTURE), "--format", "markdown"],
    ],
    ids=["triage", "graph", "explain", "practice", "markdown"],
)
@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_stdout_that_cannot_encode_the_bullets_falls_back_to_ascii(
    args: Sequence[str], encoding: str
) -> None:
    done = run(args, env={"PYTHONIOENCODING": encoding})
    clean(done)
    assert done.returncode == 0
    if "markdown" in args:
        # A report file's format: UTF-8 whatever the locale, as JSON is.
        done.stdout.decode("utf-8")
        return
    text = done.stdout.decode(encoding)
    assert text.strip()
    assert "??" not in text


# -- class 10: a FIFO as the session file ---------------------------------------------------------


@pytest.mark.parametrize("option", ["--session", "--resume"])
def test_a_fifo_as_the_session_file_is_refused_at_once(tmp_path: Path, option: str) -> None:
    fifo = tmp_path / "session.yaml"
    os.mkfifo(fifo)
    done = run(["triage", "--plain", option, str(fifo)], timeout=30)
    err = clean(done)
    assert done.returncode == 1
    assert "FIFO" in err


# -- class 16: a relative XDG_CACHE_HOME -----------------------------------------------------------


def test_a_relative_xdg_cache_home_makes_no_cache_in_the_working_folder(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    home = tmp_path / "home"
    done = subprocess.run(
        [sys.executable, "-m", "hamstring_cli", "triage", "-a", str(RUPTURE), "-f", "json"],
        cwd=work,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env={
            **os.environ,
            "XDG_CACHE_HOME": "relative-cache",
            "HOME": str(home),
        },
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert list(work.iterdir()) == []
    assert (home / ".cache" / "hamstring" / "questionnaires").is_dir()
