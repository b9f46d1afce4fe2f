"""A batch of 1,000 answer files against a floor that only reads them and prints JSON.

Writes 1,000 answer files (random complete paths through the bundled questionnaire, seeded)
to a temporary folder, then times ``hamstring batch DIR --format jsonl`` (worker processes,
one a core, as a user runs it) and ``--jobs 1`` (in one process) against a floor script that
loads each file with PyYAML's C loader and prints it as JSON, interleaved, and prints the
medians and the ratios. The goal is a ratio within 2.0; the ratio of each run to the floor's
run beside it is printed too (its median).

    python bench/batch.py [--files 1000] [--runs 5]

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

from hamstring_cli.workers import usable_cores

GOAL = 2.0

FLOOR = """
import json, os, sys, yaml
folder = sys.argv[1]
for name in sorted(os.listdir(folder)):
    with open(os.path.join(folder, name), "rb") as handle:
        data = yaml.load(handle.read(), Loader=yaml.CSafeLoader)
    sys.stdout.write(json.dumps({"source": name, "answers": data}) + "\\n")
"""


def main() -> None:
    """Write the files, run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000, help="answer files to write")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each command")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first")
    options = parser.parse_args()

    hamstring = command()
    rng = random.Random(1000)
    questionnaire = bundled()
    with tempfile.TemporaryDirectory() as folder:
        for number in range(options.files):
            path = Path(folder) / f"case-{number:05d}.yaml"
            path.write_text(as_yaml(walk(rng, questionnaire)), encoding="utf-8")
        commands = {
            "floor: C loader + json": [sys.executable, "-c", FLOOR, folder],
            "hamstring batch (jsonl)": [hamstring, "batch", folder, "--format", "jsonl"],
            "hamstring batch --jobs 1": [
                hamstring,
                "batch",
                folder,
                "--format",
                "jsonl",
                "--jobs",
                "1",
            ],
        }
        times = compare(commands, options.runs, options.warmup, environment())
    floor = next(iter(commands))
    report(times, floor)
    print(f"\n{options.files} files, on {usable_cores()} cores:")
    for name in list(commands)[1:]:
        ratio = statistics.median(times[name]) / statistics.median(times[floor])
        paired = paired_ratio(times, name, floor)
        verdict = "within" if ratio <= GOAL else "above"
        print(
            f"{name} / floor: {ratio:.2f}x of the medians,"
            f" {paired:.2f}x the median of {len(times[floor])} paired runs"
            f" ({verdict} the goal of {GOAL}x)"
        )


if __name__ == "__main__":
    main()
