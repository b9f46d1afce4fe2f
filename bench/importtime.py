"""What a scripted run imports, and what each import costs: ``python -X importtime``.

Traces ``hamstring triage --answers FILE --format json`` on the bundled questionnaire (the
questionnaire read from the cache, as every run after the first reads it) with
``python -X importtime``, several times, and prints one row a module: the first-party modules
and every import made at the first two levels of the run, with the median of their cumulative
microseconds (the module and everything it imported first). ``--write`` puts the table in
``docs/design.md``, between the ``importtime`` markers of its start-up budget section.

    python bench/importtime.py [--runs 15] [--write]

A busy machine makes every figure larger: the table says the runs and the load average it was
made at. Uses the current interpreter's environment (install the project first).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import as_yaml, bundled, environment, walk

DESIGN = Path(__file__).resolve().parent.parent / "docs" / "design.md"
START = "<!-- importtime:start -->"
END = "<!-- importtime:end -->"

#: The scripted run, in this interpreter, as the installed command starts it.
RUN = (
    "import sys\n"
    "from hamstring_cli.__main__ import main\n"
    "sys.argv = ['hamstring', 'triage', '--answers', sys.argv[1], '--format', 'json']\n"
    "main()\n"
)
_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s+)(\S+)\s*$")


def trace(answers: Path, env: dict[str, str]) -> list[tuple[str, int, int]]:
    """One traced run: (module, depth, cumulative µs) for each import, in order."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", RUN, str(answers)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        check=False,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"bench: the traced run failed ({done.returncode}):\n{done.stderr}")
    rows = []
    for line in done.stderr.splitlines():
        found = _LINE.match(line)
        if found:
            depth = (len(found.group(3)) - 1) // 2
            rows.append((found.group(4), depth, int(found.group(2))))
    return rows


def table(runs: list[list[tuple[str, int, int]]], load: str) -> str:
    """The Markdown table of the traced runs: the median cumulative µs of each module kept."""
    # Modules imported before the run's first line (the interpreter's start-up) are left out:
    # ``python -c "import yaml"`` pays them too.
    cumulative: dict[str, list[int]] = {}
    depth_of: dict[str, int] = {}
    for rows in runs:
        start = next(i for i, row in enumerate(rows) if row[0] == "site") + 1
        for name, depth, micros in rows[start:]:
            cumulative.setdefault(name, []).append(micros)
            depth_of.setdefault(name, depth)
    shown = [name for name in cumulative if depth_of[name] <= 1 or name.startswith("hamstring_cli")]
    total = sum(statistics.median(cumulative[n]) for n in cumulative if depth_of[n] == 0)
    lines = [
        f"Median of {len(runs)} traced runs at load average {load}; {len(cumulative)} modules"
        f" imported after the interpreter's own start-up, {total / 1000:.1f} ms in all (the"
        " top-level rows add up to it). As `-X importtime` prints them, a module comes after"
        " what it imports: an indented row is imported by the first row less indented below it;"
        " modules deeper than the second level are counted in their importer's row only.",
        "",
        "| module | cumulative µs |",
        "|---|---:|",
    ]
    for name in shown:
        indent = "&nbsp;&nbsp;" * depth_of[name]
        lines.append(f"| {indent}`{name}` | {statistics.median(cumulative[name]):,.0f} |")
    return "\n".join(lines)


def write(text: str) -> None:
    """Put the table between the markers of docs/design.md."""
    doc = DESIGN.read_text(encoding="utf-8")
    if START not in doc or END not in doc:
        sys.exit(f"bench: {DESIGN} has no {START} ... {END} markers")
    head, rest = doc.split(START, 1)
    _, tail = rest.split(END, 1)
    DESIGN.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


def main() -> None:
    """Trace the runs and print (or write) the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="traced runs")
    parser.add_argument("--write", action="store_true", help="write the table to docs/design.md")
    options = parser.parse_args()
    env = environment()
    with tempfile.TemporaryDirectory() as folder:
        answers = Path(folder) / "answers.yaml"
        answers.write_text(as_yaml(walk(random.Random(7), bundled())), encoding="utf-8")
        trace(answers, env)  # the first run fills the questionnaire cache
        runs = [trace(answers, env) for _ in range(options.runs)]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    text = table(runs, load)
    print(text)
    if options.write:
        write(text)


if __name__ == "__main__":
    main()
