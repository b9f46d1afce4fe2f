"""Entry point for ``python -m hamstring_cli`` and the ``hamstring`` command."""

from __future__ import annotations


def main() -> None:
    """Run the command line, importing it only when called."""
    from hamstring_cli.cli import run

    run()


if __name__ == "__main__":
    main()
