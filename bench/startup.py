"""Start-up of a scripted run against the floor of Python and PyYAML, measured together.

Times the installed command, ``hamstring triage --answers FILE --format json``, against
``python -c "import yaml"`` (the least a tool that reads YAML can cost), interleaved, and
prints the medians and the ratio. The goal is a ratio within 1.6;
the ratio of each run to the floor's run beside it is printed too (its median).

    python bench/startup.py [--runs 40]

Uses the current interpreter's environment (install the project first: ``pip install -e .``).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    as_yaml,
    bundled,
    command,
    compare,
    environment,
    paired_ratio,
    report,
    walk,
)

GOAL = 1.6


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="timed runs of each command")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first")
    options = parser.parse_args()

    hamstring = command()
    with tempfile.TemporaryDirectory() as folder:
        answers = Path(folder) / "answers.yaml"
        answers.write_text(as_yaml(walk(random.Random(7), bundled())), encoding="utf-8")
        commands = {
            "floor: python -c 'import yaml'": [sys.executable, "-c", "import yaml"],
            "hamstring --version": [hamstring, "--version"],
            "hamstring triage (json)": [
                hamstring,
                "triage",
                "--answers",
                str(answers),
                "--format",
                "json",
            ],
        }
        times = compare(commands, options.runs, options.warmup, environment())
    floor = next(iter(commands))
    report(times, floor)
    ratio = statistics.median(times["hamstring triage (json)"]) / statistics.median(times[floor])
    paired = paired_ratio(times, "hamstring triage (json)", floor)
    verdict = "within" if ratio <= GOAL else "above"
    print(
        f"\nscripted run / floor: {ratio:.2f}x of the medians, {paired:.2f}x the median of"
        f" {len(times[floor])} paired runs ({verdict} the goal of {GOAL}x)"
    )


if __name__ == "__main__":
    main()
