"""Exit statuses and the one funnel that turns known errors into a message and a status.

Layer 2, standard library only: the typer command line and the fast lane for scripted runs
(:mod:`hamstring_cli.fast`) share it, so both print the same words and exit the same way.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable, Iterable

from hamstring_cli.errors import Diagnostic, HamstringError, MissingAnswers, UserError, escape


class Exit(enum.IntEnum):
    """Exit statuses, as the README documents them."""

    OK = 0
    BAD_INPUT = 1
    USAGE = 2
    FAIL_ON = 3
    HANGUP = 129
    INTERRUPTED = 130
    TERMINATED = 143


class Stop(HamstringError):
    """Stop a command with a message for the user and an exit status (no traceback)."""

    def __init__(self, message: str, status: Exit = Exit.BAD_INPUT) -> None:
        self.message = message
        self.status = status
        super().__init__(message)


def print_diagnostics(diagnostics: Iterable[Diagnostic]) -> None:
    """Print diagnostics to standard error, one a line, compiler style.

    A diagnostic is one line whatever it quotes: control characters are escaped.
    """
    for d in diagnostics:
        sys.stderr.write(f"{escape(str(d))}\n")


def say(message: str) -> None:
    """Print ``hamstring: message`` to standard error, control characters escaped.

    The message's own line breaks are kept (a path or a command on a line of its own); any
    other control character, from a file name say, is written as its escape.
    """
    lines = "\n".join(escape(line) for line in message.split("\n"))
    sys.stderr.write(f"hamstring: {lines}\n")


def guarded(command: Callable[[], int | None]) -> int:
    """Run ``command`` and return its exit status, printing known errors instead of raising.

    ``SystemExit`` passes through untouched: typer and click use it for their own exits.
    """
    try:
        return int(command() or Exit.OK)
    except Stop as stop:
        say(stop.message)
        return int(stop.status)
    except UserError as error:
        print_diagnostics(error.diagnostics)
        return int(Exit.BAD_INPUT)
    except MissingAnswers as missing:
        say(str(missing))
        return int(Exit.BAD_INPUT)
    except HamstringError as error:
        say(str(error))
        return int(Exit.BAD_INPUT)
    except KeyboardInterrupt:
        sys.stderr.write("\nhamstring: interrupted\n")
        return int(Exit.INTERRUPTED)
