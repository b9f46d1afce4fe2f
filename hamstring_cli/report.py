"""Print or write a result in any ``triage`` format of the registry.

The formats are declared in :mod:`hamstring_cli.render.formats`, each rendered by its
own module, imported only when used: rich only to draw the text summary. Files are written by
:func:`hamstring_cli.files.write_private`: atomically and private to the user from the moment
they exist, since reports hold patient answers.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from hamstring_cli.errors import escape, escape_json
from hamstring_cli.files import is_stdout, write_private
from hamstring_cli.model import LEVEL_RANK
from hamstring_cli.scoring import Result

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["emit", "reaches", "render", "to_json", "write_stdout"]


def to_json(data: object) -> str:
    """JSON as the contract prints it: indented by 2, UTF-8 text as is, a final newline.

    What a terminal would act on (C1 controls, bidirectional overrides) is written escaped.
    """
    return escape_json(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)) + "\n"


def render(result: Result, fmt: str) -> str:
    """The result in the ``triage`` format ``fmt`` as a string (``text``: the plain summary).

    The format's module comes from the registry (:mod:`hamstring_cli.render.formats`) and is
    imported only now: rich only for text, the FHIR builder only for fhir.

    Raises:
        ValueError: an unknown format.
    """
    from hamstring_cli.render.formats import report_module

    return report_module(fmt).render(result)


def emit(result: Result, fmt: str, output: Path | None = None, force: bool = False) -> None:
    """Print the result on standard output, or write it to ``output`` (``-``: standard output).

    With ``output``, standard output stays empty and a one-line confirmation goes to standard
    error. The text summary on standard output is drawn for the terminal (colour, boxes)
    or plain when piped or when ``NO_COLOR`` is set.

    Raises:
        OutputError: ``output`` exists and ``force`` is false, or it cannot be written.
    """
    if is_stdout(output):
        output = None
    if output is not None:
        write_private(output, render(result, fmt).encode("utf-8"), force=force)
        sys.stderr.write(f"hamstring: wrote the {fmt} report to {escape(str(output))}\n")
        return
    from hamstring_cli.render.formats import report_module

    module = report_module(fmt)
    show = getattr(module, "show", None)
    if show is not None:
        # A format drawn for the terminal (the text summary): colour and boxes, or plain.
        show(result, sys.stdout)
        return
    write_stdout(module.render(result))


def write_stdout(text: str) -> None:
    """Write text to standard output as UTF-8, whatever the locale says."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    buffer.write(text.encode("utf-8"))
    buffer.flush()


def reaches(result: Result, level: str) -> bool:
    """Whether the result's triage level is at least as pressing as ``level``.

    Raises:
        KeyError: ``level`` is not a triage level.
    """
    return LEVEL_RANK[result.triage.level] <= LEVEL_RANK[level]
