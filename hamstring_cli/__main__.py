"""Entry point for ``python -m hamstring_cli`` and the ``hamstring`` command."""

from __future__ import annotations

import sys


def main() -> None:
    """Run the command line: the fast lane when it can, else the typer command line."""
    from hamstring_cli.fast import run_fast

    status = run_fast(sys.argv[1:])
    if status is not None:
        sys.exit(status)
    from hamstring_cli.cli import run

    run()


if __name__ == "__main__":
    main()
