"""A long batch in worker processes: the same records, in the same order, as one process.

A batch of :data:`~hamstring_cli.workers.PARALLEL_AFTER` inputs or more is scored by worker
processes, one a core. What a user gets must not change with that: every format's output,
every message on standard error and the exit status are those of ``--jobs 1``; the records keep
the input order; an error record stays one record; Ctrl-C and a closed pipe end the run as they
do in one process, with no worker left behind and no output file half written.

The workers fork only when the process runs no other thread, and a test runner's worker has
threads, so each test here runs the command (or a small script) in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml
from helpers import REPO

from hamstring_cli.workers import PARALLEL_AFTER

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("private_cache")]

HERE = Path(__file__).resolve().parent
CASES = sorted((REPO / "tests" / "cases").glob("*.yaml"))


def run(*args: str | Path, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """The command in a fresh interpreter, run from the tests' folder."""
    return subprocess.run(
        [sys.executable, "-m", "hamstring_cli", *map(str, args)],
        cwd=HERE,
        input=stdin,
        capture_output=True,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
        timeout=300,
    )


@pytest.fixture(scope="module")
def long_batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of 260 answer files: the case library's answers, some broken on purpose.

    Every seventh file is missing an answer the path needs, every thirteenth has an answer its
    path does not ask for (a warning), and one is not YAML at all.
    """
    folder = tmp_path_factory.mktemp("long")
    answers = [
        yaml.safe_load(path.read_text("utf-8"))["answers"]
        for path in CASES
        if "ottawa" not in path.name
    ]
    for number in range(260):
        given = dict(answers[number % len(answers)])
        if number % 7 == 3:
            given.pop("age", None)
        if number % 13 == 5:
            # An answer to a question the path does not ask: a warning, not an error.
            off_path = (
                "days_since_injury" if given.get("onset") == "gradual" else "weeks_since_onset"
            )
            given.setdefault(off_path, 3)
        text = yaml.safe_dump(given) if number != 101 else "onset: [sudden\n"
        (folder / f"case-{number:03d}.yaml").write_text(text, "utf-8")
    return folder


def same(output: bytes) -> bytes:
    """The output with what differs from run to run made the same: a FHIR Bundle's times and
    ``urn:uuid`` names (each new for every Bundle, wherever it is made)."""
    output = re.sub(rb"urn:uuid:[0-9a-f-]{36}", b"urn:uuid:*", output)
    return re.sub(
        rb'"(timestamp|authored|effectiveDateTime|occurrenceDateTime|authoredOn)":"[^"]*"',
        rb'"\1":"*"',
        output,
    )


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "fhir"])
def test_workers_write_what_one_process_writes(long_batch: Path, fmt: str) -> None:
    one = run("batch", long_batch, "-f", fmt, "--jobs", "1")
    many = run("batch", long_batch, "-f", fmt, "--jobs", "2")
    default = run("batch", long_batch, "-f", fmt)
    assert one.returncode == many.returncode == default.returncode == 1  # some inputs fail
    assert b"Traceback" not in one.stderr + many.stderr + default.stderr
    assert same(many.stdout) == same(one.stdout) and same(default.stdout) == same(one.stdout)
    assert many.stderr == one.stderr and default.stderr == one.stderr
    assert one.stderr.endswith(b"failed\n")


def test_records_keep_the_input_order_and_errors_stay_records(long_batch: Path) -> None:
    done = run("batch", long_batch, "--jobs", "2")
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [Path(r["source"]).name for r in records] == [f"case-{n:03d}.yaml" for n in range(260)]
    failed = [n for n, r in enumerate(records) if "error" in r]
    assert failed == sorted({n for n in range(260) if n % 7 == 3} | {101})
    warned = {line.split(b":")[0] for line in done.stderr.splitlines() if b"warning" in line}
    assert len(warned) >= 10


def test_a_file_written_by_workers_is_the_same_and_private(
    long_batch: Path, tmp_path: Path
) -> None:
    one, many = tmp_path / "one.jsonl", tmp_path / "many.jsonl"
    run("batch", long_batch, "-j", "1", "-o", one)
    done = run("batch", long_batch, "-j", "2", "-o", many)
    assert done.returncode == 1
    assert many.read_bytes() == one.read_bytes()
    assert many.stat().st_mode & 0o777 == 0o600


def test_work_is_spread_over_processes_and_comes_back_in_order() -> None:
    script = textwrap.dedent(
        """
        import os, sys
        from hamstring_cli.workers import PARALLEL_AFTER, in_order

        SHORT = PARALLEL_AFTER - 1

        def work(n):
            return n * n, os.getpid()

        got = list(in_order(range(1000), work, jobs=2))
        assert [value for value, _ in got] == [n * n for n in range(1000)], "order"
        workers = {pid for _, pid in got}
        assert os.getpid() not in workers and len(workers) == 2, workers
        # A short batch, with the default, stays in this process.
        short = list(in_order(range(SHORT), work))
        assert {pid for _, pid in short} == {os.getpid()}, "short"
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=HERE, capture_output=True, check=False, timeout=120
    )
    assert done.stdout == b"ok\n", done.stderr.decode()


@pytest.mark.parametrize(
    ("failure", "said"),
    [
        ("os._exit(3)", "stopped before its work was done (exit status 3)"),
        ("os.kill(os.getpid(), 9)", "stopped before its work was done (killed by signal 9)"),
        ("raise ValueError('no')", "a worker process failed: ValueError: no"),
    ],
)
def test_a_worker_that_fails_is_an_error_never_a_hang(failure: str, said: str) -> None:
    script = textwrap.dedent(
        f"""
        import os, sys
        from hamstring_cli.workers import WorkerError, in_order

        def work(n):
            if n == 700:
                {failure}
            return n

        try:
            list(in_order(range(1000), work, jobs=2))
        except WorkerError as error:
            print(error)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=HERE, capture_output=True, check=False, timeout=60
    )
    assert done.stdout.decode().strip().endswith(said), done.stderr.decode()
    assert done.returncode == 0


def test_a_process_with_a_thread_scores_in_itself() -> None:
    # Forking beside a running thread can deadlock the child: the batch stays in this process.
    script = textwrap.dedent(
        """
        import os, threading
        from hamstring_cli.workers import in_order

        stop = threading.Event()
        threading.Thread(target=stop.wait).start()
        try:
            pids = {pid for pid in in_order(range(500), lambda n: os.getpid(), jobs=2)}
        finally:
            stop.set()
        assert pids == {os.getpid()}, pids
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=HERE, capture_output=True, check=False, timeout=120
    )
    assert done.stdout == b"ok\n", done.stderr.decode()


def test_ctrl_c_stops_the_workers_and_writes_no_file(tmp_path: Path) -> None:
    line = json.dumps(yaml.safe_load(CASES[0].read_text("utf-8"))["answers"]) + "\n"
    many = tmp_path / "many.jsonl"
    many.write_text(line * 50_000, "utf-8")  # far longer than the wait below
    target = tmp_path / "out" / "out.jsonl"
    target.parent.mkdir()
    with subprocess.Popen(
        [sys.executable, "-m", "hamstring_cli", "batch", str(many), "-o", str(target)],
        cwd=HERE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    ) as child:
        assert child.stderr is not None
        time.sleep(2)
        os.killpg(child.pid, signal.SIGINT)  # what Ctrl-C sends: the whole process group
        status = child.wait(timeout=60)
        err = child.stderr.read()
    assert status == 130, err
    assert b"Traceback" not in err
    assert list(target.parent.iterdir()) == []  # no output, and no temporary file left
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):
        os.killpg(child.pid, 0)  # no worker outlives the batch


def test_a_stream_on_standard_input_is_scored_a_line_at_a_time() -> None:
    # However many lines come, each record is written once its line is read: a pipe's writer
    # may wait for it before writing the next line.
    line = json.dumps(yaml.safe_load(CASES[0].read_text("utf-8"))["answers"]) + "\n"
    with subprocess.Popen(
        [sys.executable, "-m", "hamstring_cli", "batch", "-", "--jobs", "2"],
        cwd=HERE,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as child:
        assert child.stdin is not None and child.stdout is not None
        for number in range(1, PARALLEL_AFTER + 20):
            child.stdin.write(line.encode())
            child.stdin.flush()
            record = json.loads(child.stdout.readline())
            assert record["source"] == f"<stdin>:{number}"
        child.stdin.close()
        assert child.stdout.read() == b""
    assert child.returncode == 0


def test_a_closed_pipe_ends_a_long_batch_quietly(long_batch: Path) -> None:
    done = subprocess.run(
        f"{sys.executable} -m hamstring_cli batch {long_batch} | head -1",
        shell=True,
        cwd=HERE,
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0
    assert len(done.stdout.splitlines()) == 1
    assert b"Traceback" not in done.stderr and b"Broken pipe" not in done.stderr


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_jobs_takes_a_whole_number_of_at_least_one(long_batch: Path, value: str) -> None:
    done = run("batch", long_batch, "--jobs", value)
    assert done.returncode == 2
    assert b"--jobs" in done.stderr and b"Traceback" not in done.stderr
    assert done.stdout == b""
