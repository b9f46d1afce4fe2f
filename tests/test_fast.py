"""The fast lane reads scripted ``triage`` arguments without typer, and must agree with typer.

Every argument list below runs twice in a fresh interpreter: through the console entry point
(which takes the fast lane when it can) and through the typer command line alone. What they
print and how they exit must be the same, so the two routes cannot drift apart.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hamstring_cli.fast import BATCH, TRIAGE, parse

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
RUPTURE = str(EXAMPLES / "acute-rupture.yaml")
TENDON = str(EXAMPLES / "tendinopathy.yaml")

ENTRY = "import sys; from hamstring_cli.__main__ import main; sys.argv[0] = 'hamstring'; main()"
TYPER_ONLY = "import sys; from hamstring_cli.cli import run; sys.argv[0] = 'hamstring'; run()"


def run(code: str, args: list[str], tmp_path: Path) -> tuple[int, str, str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    return done.returncode, done.stdout, done.stderr


# Slow: each case runs two fresh interpreters (the fast lane and typer).
@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["triage", "--answers", RUPTURE, "--format", "json"],
        ["triage", f"--answers={TENDON}", "--format=markdown"],
        ["triage", "-a", TENDON, "-f", "text"],
        ["triage", "-a", RUPTURE, "--fail-on", "urgent", "-f", "json"],
        ["triage", "-a", TENDON, "--fail-on", "urgent", "-f", "json"],
        ["triage", "-a", RUPTURE, "-q", "proximal-hamstring", "-f", "json"],
        ["triage", "-a", RUPTURE, "-q", "no-such-questionnaire"],
        ["triage", "-a", "/no/such/answers.yaml"],
        ["triage", "-a", RUPTURE, "--format", "xml"],
        ["triage", "-a", RUPTURE, "--fail-on", "someday"],
        ["triage", "-a", RUPTURE, "--answers", TENDON],
        ["triage", "-a"],
        ["triage", "--unknown"],
        ["triage"],
        [],
        ["batch", RUPTURE, TENDON],
        ["batch", str(EXAMPLES), "--format", "csv"],
        ["batch", "-f", "jsonl", RUPTURE, "/no/such/answers.yaml"],
        ["batch", "--format=xml", RUPTURE],
        ["batch"],
        ["batch", "-q", "no-such-questionnaire", RUPTURE],
        ["batch", "-", "-f", "csv"],
        ["batch", RUPTURE, "-", "-o", "-"],
        ["triage", "-a", RUPTURE, "-f", "json", "-o", "-"],
    ],
)
def test_the_fast_lane_and_typer_agree(args: list[str], tmp_path: Path) -> None:
    fast = run(ENTRY, args, tmp_path)
    typer_only = run(TYPER_ONLY, args, tmp_path)
    assert fast == typer_only


@pytest.mark.slow
def test_output_files_are_written_the_same_way(tmp_path: Path) -> None:
    for code, name in ((ENTRY, "fast.md"), (TYPER_ONLY, "typer.md")):
        status, out, _ = run(
            code, ["triage", "-a", TENDON, "-f", "markdown", "-o", str(tmp_path / name)], tmp_path
        )
        assert (status, out) == (0, "")
    assert (tmp_path / "fast.md").read_text() == (tmp_path / "typer.md").read_text()
    assert (tmp_path / "fast.md").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["-h"],
        ["-a", "x", "-a", "y"],
        ["--format", "xml"],
        ["--answers"],
        ["--answers", "--format"],
        ["-fjson"],
        ["--", "-a", "x"],
        ["extra"],
        ["-a=x"],
    ],
)
def test_anything_unusual_is_left_to_typer(args: list[str]) -> None:
    assert parse(TRIAGE, args) is None


def test_the_plain_spellings_are_read() -> None:
    assert parse(TRIAGE, ["-a", "-", "--format=json", "--force", "--fail-on", "soon"]) == {
        "answers": "-",
        "fmt": "json",
        "force": True,
        "fail_on": "soon",
        "questionnaire": "proximal-hamstring",
    }


def test_a_lone_dash_is_the_batch_input_standard_input() -> None:
    assert parse(BATCH, ["-", "-o", "-"]) == {
        "inputs": [Path("-")],
        "output": Path("-"),
        "questionnaire": "proximal-hamstring",
    }


#: Ctrl-C while the command's modules are still loading: the fast lane raises it as it
#: imports what a triage or a batch needs, before any funnel of its own runs.
EARLY_CTRL_C = """
import sys
from hamstring_cli import fast

def interrupted(argv):
    raise KeyboardInterrupt

fast.run_fast = interrupted
sys.argv[0] = 'hamstring'
from hamstring_cli.__main__ import main
main()
"""


@pytest.mark.parametrize("command", ["triage", "batch"])
def test_ctrl_c_while_the_command_loads_ends_as_an_interrupt(command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", EARLY_CTRL_C, command, "--format", "json"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert done.returncode == 130
    assert done.stderr == "\nhamstring: interrupted\n"
