"""Batch memory at scale: peak RSS of ``hamstring batch`` at 10,000 and 200,000 records.

Writes two JSON Lines files of random complete answer sets for the bundled questionnaire
(seeded), runs ``hamstring batch FILE --format jsonl`` on each with its output discarded, and
prints each run's peak resident memory, its throughput (records a second), and the ratio of
the two peaks. The goal is a ratio of at most 1.3: a batch streams, so its memory does not
grow with the number of records.

    python bench/batch_scale.py [--small 10000] [--large 200000] [--stdin]

``--stdin`` pipes the records to ``hamstring batch -`` instead of naming the file. Uses the
current interpreter's environment (install the project first: ``pip install -e .``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bundled, command, environment, walk

GOAL = 1.3


def write_records(path: Path, count: int, seed: int) -> None:
    """Write ``count`` JSON Lines records, drawing from a pool of random paths."""
    rng = random.Random(seed)
    questionnaire = bundled()
    pool = []
    for _ in range(500):
        answers = walk(rng, questionnaire)
        plain = {k: list(v) if isinstance(v, tuple) else v for k, v in answers.items()}
        pool.append(json.dumps(plain))
    with path.open("w", encoding="utf-8") as handle:
        for _ in range(count):
            handle.write(rng.choice(pool) + "\n")


def measure(args: list[str], stdin_path: Path | None) -> tuple[float, int]:
    """Run a command to completion; its wall time in seconds and peak RSS in KiB."""
    with open(stdin_path or os.devnull, "rb") as stdin:
        start = time.perf_counter()
        child = subprocess.Popen(
            args,
            stdin=stdin,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=environment(),
        )
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"bench: {' '.join(args)} failed ({child.returncode})")
    # ru_maxrss is in KiB on Linux.
    return elapsed, usage.ru_maxrss


def main() -> None:
    """Write the records, run both sizes and print the table and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000, help="records in the small run")
    parser.add_argument("--large", type=int, default=200_000, help="records in the large run")
    parser.add_argument("--stdin", action="store_true", help="pipe the records to 'batch -'")
    options = parser.parse_args()

    hamstring = command()
    peaks: dict[int, int] = {}
    print(f"{'records':>9} {'peak RSS':>10} {'time':>8} {'records/s':>10}")
    with tempfile.TemporaryDirectory() as folder:
        for count in (options.small, options.large):
            path = Path(folder) / f"records-{count}.jsonl"
            write_records(path, count, seed=count)
            if options.stdin:
                args, stdin_path = [hamstring, "batch", "-", "--format", "jsonl"], path
            else:
                args, stdin_path = [hamstring, "batch", str(path), "--format", "jsonl"], None
            elapsed, peak = measure(args, stdin_path)
            peaks[count] = peak
            print(f"{count:>9,} {peak / 1024:>8.1f}MB {elapsed:>7.2f}s {count / elapsed:>10,.0f}")
            path.unlink()
    ratio = peaks[options.large] / peaks[options.small]
    verdict = "within" if ratio <= GOAL else "above"
    print(f"\npeak RSS {options.large:,} / {options.small:,}: {ratio:.2f}x", end="")
    print(f" ({verdict} the goal of {GOAL}x)")


if __name__ == "__main__":
    main()
