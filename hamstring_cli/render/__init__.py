"""The output formats (one module each, declared in :mod:`hamstring_cli.render.formats`) and
the progress bar.

Importing this package imports nothing heavy: every scripted run reads the registry in it.
rich is imported by :mod:`hamstring_cli.render.text` and by :func:`progress` when they are
used, so scripted JSON and Markdown runs never load it.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # For the type checker only: every scripted run imports this package (the output-format
    # registry is in it), and a Protocol class is the costliest thing it would create.
    from collections.abc import Iterator
    from typing import Protocol

    class Advance(Protocol):
        """Moves a progress display on by one step."""

        def __call__(self) -> None:
            """Count one more item done."""


__all__ = ["progress"]


def _nothing() -> None:
    """Count nothing: the progress display is off."""


@contextmanager
def progress(total: int | None, description: str, *, show: bool | None = None) -> Iterator[Advance]:
    """A progress bar on standard error, yielding a function that counts one item done.

    Args:
        total: how many items there are (None: not known, the bar counts).
        description: a few words before the bar.
        show: draw the bar; by default only when standard error is a terminal.
    """
    if show is None:
        show = sys.stderr.isatty()
    if not show:
        yield _nothing
        return
    # Lazy: the bar is the only part of a batch that needs rich.
    from rich.console import Console
    from rich.progress import Progress

    # Standard output carries the records and is left alone; lines written to standard error
    # meanwhile are printed above the bar.
    with Progress(
        console=Console(stderr=True), transient=True, redirect_stdout=False, redirect_stderr=True
    ) as bar:
        task = bar.add_task(description, total=total)

        def advance() -> None:
            bar.advance(task)

        yield advance
