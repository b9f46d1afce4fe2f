"""The fast lane: ``hamstring --version`` and scripted ``triage`` runs without importing typer.

Importing typer and building its command costs about as much as the rest of a scripted run
together (typer 0.28: some 60 ms; 0.29 and later more, with pydantic). Audits and other
programs call ``hamstring triage --answers FILE --format json`` many times, so the console
entry point first offers the arguments to this strict reader. It accepts only the plain
spelling of the ``triage`` options and hands anything else (help, a typo, a bad value, an
option given twice, any other command) to the typer command line, which reports usage errors.
Both routes call the same :func:`hamstring_cli.triage.run_triage` through the same funnel, and
a test runs a table of argument lists through both and compares what they print.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from hamstring_cli.triage import DEFAULT_QUESTIONNAIRE, FORMATS, LEVELS

#: Option spellings of ``triage`` that take a value, by the keyword they fill.
_VALUED = {
    "--answers": "answers",
    "-a": "answers",
    "--questionnaire": "questionnaire",
    "-q": "questionnaire",
    "--format": "fmt",
    "-f": "fmt",
    "--output": "output",
    "-o": "output",
    "--fail-on": "fail_on",
    "--resume": "resume",
    "--session": "session",
}
_FLAGS = {"--force": "force", "--plain": "plain"}
_CHOICES = {"fmt": FORMATS, "fail_on": LEVELS}
_PATHS = ("output", "resume", "session")


def parse_triage(args: Sequence[str]) -> dict[str, object] | None:
    """The keyword arguments of ``run_triage`` for ``args``, or None to leave them to typer."""
    given: dict[str, object] = {}
    items = list(args)
    while items:
        token = items.pop(0)
        name, eq, inline = token.partition("=")
        if token in _FLAGS and _FLAGS[token] not in given:
            given[_FLAGS[token]] = True
            continue
        key = _VALUED.get(name)
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
        if key in _CHOICES and value not in _CHOICES[key]:
            return None
        given[key] = Path(value) if key in _PATHS else value
    given.setdefault("questionnaire", DEFAULT_QUESTIONNAIRE)
    return given


def run_fast(argv: Sequence[str]) -> int | None:
    """Run ``argv`` here and return its exit status, or None when typer should run it."""
    if list(argv) == ["--version"]:
        from hamstring_cli import __version__

        sys.stdout.write(f"hamstring {__version__}\n")
        return 0
    if not argv:
        options: dict[str, object] | None = {"questionnaire": DEFAULT_QUESTIONNAIRE}
    elif argv[0] == "triage":
        options = parse_triage(argv[1:])
    else:
        return None
    if options is None:
        return None
    from hamstring_cli.exits import guarded
    from hamstring_cli.triage import run_triage

    return guarded(lambda: run_triage(**options))  # type: ignore[arg-type]
