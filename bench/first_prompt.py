"""Time to the first prompt of an intake, against a bare questionary select, side by side.

In an 80x24 pseudo-terminal (pexpect), times from spawning ``hamstring triage`` to its first
question on screen, and from spawning a bare script that shows one questionary select to that
select on screen. The runs are interleaved so that drift in load hits both alike; prints the
medians and the ratio. The goal is a ratio within 1.4: the intake may load its questionnaire and
draw its headings, but should not make the clinician wait noticeably longer than any prompt.

    python bench/first_prompt.py [--runs 20]

Uses the current interpreter's environment (install the project first: ``pip install -e .``).
Session files go to a temporary folder and every child is killed once its prompt is shown.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pexpect

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bundled, command, environment

GOAL = 1.4

BARE = (
    "import questionary\n"
    "questionary.select('Pick one of these', choices=['one', 'two', 'three']).unsafe_ask()\n"
)


def first_prompt(args: Sequence[str], expected: str, env: Mapping[str, str]) -> float:
    """Seconds from spawning ``args`` until ``expected`` is on its screen."""
    start = time.perf_counter()
    child = pexpect.spawn(
        args[0], list(args[1:]), env=dict(env), encoding="utf-8", timeout=30, dimensions=(24, 80)
    )
    try:
        child.expect(expected)
        return time.perf_counter() - start
    except pexpect.ExceptionPexpect as error:
        sys.exit(f"bench: {' '.join(args)} showed no {expected!r}:\n{child.before}\n{error}")
    finally:
        child.terminate(force=True)


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each command")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first")
    options = parser.parse_args()

    start_prompt = re.escape(bundled().question(bundled().start).prompt[:30])
    with tempfile.TemporaryDirectory() as folder:
        env = {**environment(), "XDG_STATE_HOME": folder, "TERM": "xterm"}
        script = Path(folder) / "bare.py"
        script.write_text(BARE, encoding="utf-8")
        commands = {
            "bare questionary select": ([sys.executable, str(script)], "Pick one of these"),
            "hamstring triage": ([command(), "triage"], start_prompt),
        }
        for _ in range(options.warmup):
            for args, expected in commands.values():
                first_prompt(args, expected, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(options.runs):
            for name, (args, expected) in commands.items():
                times[name].append(first_prompt(args, expected, env))

    floor = statistics.median(times["bare questionary select"])
    print(f"{'to the first prompt':<28} {'median':>9} {'min':>9} {'ratio':>7}")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"{name:<28} {median * 1000:7.1f}ms {min(values) * 1000:7.1f}ms {median / floor:6.2f}x"
        )
    ratio = statistics.median(times["hamstring triage"]) / floor
    verdict = "within" if ratio <= GOAL else "above"
    print(f"\nintake / bare select: {ratio:.2f}x ({verdict} the goal of {GOAL}x)")


if __name__ == "__main__":
    main()
