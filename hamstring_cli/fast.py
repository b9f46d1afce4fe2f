"""The fast lane: ``--version``, scripted ``triage`` and ``batch`` runs without importing typer.

Importing typer and building its command costs about as much as the rest of a scripted run
together (typer 0.28: some 60 ms; 0.29 and later more, with pydantic). Audits and other
programs call ``hamstring triage --answers FILE --format json`` many times, so the console
entry point first offers the arguments to this strict reader. It accepts only the plain
spellings of the ``triage`` and ``batch`` options and hands anything else (help, a typo, a bad
value, an option given twice, any other command) to the typer command line, which reports
usage errors. Both routes call the same command functions through the same error funnel, and
``tests/test_fast.py`` runs a table of argument lists through both and compares what they print,
and compares :data:`TRIAGE` and :data:`BATCH` with typer's parameters (names, short flags,
choices, paths and flags). The format choices come from the output-format registry, the
levels from the model, as typer's do.
"""

# Annotations are evaluated (no ``from __future__ import annotations``): each string annotation
# of a NamedTuple is compiled when its class is made, on every run's start-up.

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from hamstring_cli.model import LEVELS
from hamstring_cli.render.formats import BATCH_FORMATS, TRIAGE_FORMATS
from hamstring_cli.resources import DEFAULT_QUESTIONNAIRE

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["BATCH", "TRIAGE", "Spec", "parse", "run_fast"]


class Spec(NamedTuple):
    """The plain spellings of one command's options, by the keyword argument they fill."""

    valued: Mapping[str, str]
    flags: Mapping[str, str]
    choices: Mapping[str, tuple[str, ...]]
    paths: tuple[str, ...]
    positional: str | None = None
    #: Options whose value is a whole number of at least 1.
    counts: tuple[str, ...] = ()


#: The options that take a value in both triage and batch.
_SHARED = {
    "--questionnaire": "questionnaire",
    "-q": "questionnaire",
    "--format": "fmt",
    "-f": "fmt",
    "--output": "output",
    "-o": "output",
}
TRIAGE = Spec(
    valued={
        "--answers": "answers",
        "-a": "answers",
        **_SHARED,
        "--fail-on": "fail_on",
        "--resume": "resume",
        "--session": "session",
    },
    flags={"--force": "force", "--plain": "plain"},
    choices={"fmt": TRIAGE_FORMATS, "fail_on": LEVELS},
    paths=("output", "resume", "session"),
)
BATCH = Spec(
    valued={**_SHARED, "--jobs": "jobs", "-j": "jobs"},
    flags={"--force": "force"},
    choices={"fmt": BATCH_FORMATS},
    paths=("output",),
    positional="inputs",
    counts=("jobs",),
)


def _path(token: str) -> "Path":
    # pathlib only when a path option is given: a plain scripted run does without it (it
    # brings urllib.parse and ipaddress, about 4 ms).
    from pathlib import Path

    return Path(token)


def parse(spec: Spec, args: Sequence[str]) -> dict[str, object] | None:
    """The keyword arguments for ``args``, or None to leave them to typer."""
    given: dict[str, object] = {}
    positional: list[Path] = []
    items = list(args)
    while items:
        token = items.pop(0)
        # A lone '-' (standard input) is an argument, not an option.
        if spec.positional and (not token.startswith("-") or len(token) == 1):
            positional.append(_path(token))
            continue
        name, eq, inline = token.partition("=")
        if token in spec.flags and spec.flags[token] not in given:
            given[spec.flags[token]] = True
            continue
        key = spec.valued.get(name)
        if key is None or key in given or (eq and not name.startswith("--")):
            return None
        if eq:
            value = inline
        elif items:
            value = items.pop(0)
        else:
            return None
        # A value that looks like an option is more likely a mistake: let typer judge it.
        if value.startswith("-") and value != "-":
            return None
        if key in spec.choices and value not in spec.choices[key]:
            return None
        if key in spec.counts:
            # Digits alone, at least 1: anything else is typer's to refuse in its words.
            if not (value.isascii() and value.isdigit()) or int(value) < 1:
                return None
            given[key] = int(value)
            continue
        given[key] = _path(value) if key in spec.paths else value
    if spec.positional:
        if not positional:
            return None
        given[spec.positional] = positional
    given.setdefault("questionnaire", DEFAULT_QUESTIONNAIRE)
    return given


def run_fast(argv: Sequence[str]) -> int | None:
    """Run ``argv`` here and return its exit status, or None when typer should run it."""
    if list(argv) == ["--version"]:
        from hamstring_cli import __version__

        sys.stdout.write(f"hamstring {__version__}\n")
        return 0
    command: Callable[..., int]
    if not argv:
        options: dict[str, object] | None = {"questionnaire": DEFAULT_QUESTIONNAIRE}
        from hamstring_cli.runner import run_triage as command
    elif argv[0] == "triage":
        options = parse(TRIAGE, argv[1:])
        from hamstring_cli.runner import run_triage as command
    elif argv[0] == "batch":
        options = parse(BATCH, argv[1:])
        from hamstring_cli.batch import batch_command as command
    else:
        return None
    if options is None:
        return None
    from hamstring_cli.exits import guarded

    return guarded(lambda: command(**options))
