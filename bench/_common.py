"""Shared helpers of the benchmarks: answer files for the bundled questionnaire, timing."""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.engine import Session
from hamstring_cli.model import Answer, Question, Questionnaire
from hamstring_cli.resources import DEFAULT_QUESTIONNAIRE, resolve_questionnaire


def command() -> str:
    """The installed ``hamstring`` command of the current interpreter's environment."""
    beside = Path(sys.executable).parent / "hamstring"
    found = str(beside) if beside.exists() else shutil.which("hamstring")
    if not found:
        sys.exit("bench: no 'hamstring' command; install the project first: pip install -e .")
    return found


def environment() -> dict[str, str]:
    """The environment for timed runs: as the caller's, but with bytecode caching on.

    An installed package has its bytecode compiled; with PYTHONDONTWRITEBYTECODE set, an
    editable checkout would be compiled from source on every run and the bench would time
    the compiler.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def random_answers(rng: random.Random, question: Question) -> Answer:
    """A valid random answer to one question."""
    if question.type == "integer":
        low = question.minimum if question.minimum is not None else 0
        high = question.maximum if question.maximum is not None else low + 100
        # Mostly small numbers: days and weeks cluster near the start of their range.
        return min(high, low + int(rng.expovariate(1 / 20)))
    if question.type == "choice":
        return rng.choice(question.values)
    # Red flags are rare: most multi answers are none of these.
    if rng.random() < 0.8:
        return ()
    return tuple(v for v in question.values if rng.random() < 0.2)


def bundled(name: str = DEFAULT_QUESTIONNAIRE) -> Questionnaire:
    """A bundled questionnaire, loaded once."""
    return load_questionnaire(resolve_questionnaire(name))


def walk(rng: random.Random, questionnaire: Questionnaire) -> dict[str, Answer]:
    """One complete random path through the questionnaire: the answers on it, in order."""
    session = Session(questionnaire)
    while (question := session.current) is not None:
        session.answer(random_answers(rng, question))
    return session.path_answers


def as_yaml(answers: Mapping[str, Answer]) -> str:
    """An answer file in YAML, values written as JSON (which YAML reads as the same values)."""
    lines = []
    for qid, value in answers.items():
        plain = list(value) if isinstance(value, tuple) else value
        lines.append(f"{qid}: {json.dumps(plain)}")
    return "\n".join(lines) + "\n"


def run(args: Sequence[str], env: Mapping[str, str]) -> float:
    """Run a command to completion with output discarded; its wall time in seconds.

    Raises:
        SystemExit: the command failed (its standard error is shown).
    """
    start = time.perf_counter()
    done = subprocess.run(
        list(args),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=dict(env),
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"bench: {' '.join(args)} failed ({done.returncode}):\n{done.stderr.decode()}")
    return elapsed


def compare(
    commands: Mapping[str, Sequence[str]], runs: int, warmup: int, env: Mapping[str, str]
) -> dict[str, list[float]]:
    """Time each command ``runs`` times, interleaved so that drift in load hits all alike."""
    for _ in range(warmup):
        for args in commands.values():
            run(args, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, args in commands.items():
            times[name].append(run(args, env))
    return times


def report(times: Mapping[str, list[float]], floor: str) -> None:
    """Print median and minimum of each command, and its ratio to the floor's median."""
    base = statistics.median(times[floor])
    print(f"{'command':<28} {'median':>9} {'min':>9} {'ratio':>7}")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"{name:<28} {median * 1000:7.1f}ms {min(values) * 1000:7.1f}ms {median / base:6.2f}x"
        )


def paired_ratio(times: Mapping[str, list[float]], name: str, floor: str) -> float:
    """The median of the ratios of each run of ``name`` to the floor's run beside it.

    The runs are interleaved (:func:`compare`), so each pair met the same load: on a busy
    machine this is steadier than the ratio of the two medians.
    """
    return statistics.median(a / b for a, b in zip(times[name], times[floor], strict=True))
