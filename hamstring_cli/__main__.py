"""Entry point for ``python -m hamstring_cli`` and the ``hamstring`` command."""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    """Run the command line: the fast lane when it can, else the typer command line.

    Either way through :func:`hamstring_cli.exits.run_entry`, which readies the standard
    streams and turns a fault of standard output (a closed pipe, a full disk) into an exit.
    """
    try:
        from hamstring_cli.exits import run_entry
    except KeyboardInterrupt:  # Ctrl-C in the first milliseconds, while the modules load
        sys.stderr.write("\nhamstring: interrupted\n")
        sys.exit(130)
    run_entry(_command)


def _command() -> int | None:
    from hamstring_cli.fast import run_fast

    status = run_fast(sys.argv[1:])
    if status is not None:
        return status
    from hamstring_cli.cli import typer_status

    return typer_status()


if __name__ == "__main__":
    main()
