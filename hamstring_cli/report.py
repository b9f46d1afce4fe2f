"""Print or write a result: JSON (the contract), Markdown, or the text summary.

Layer 2. JSON and Markdown are built from the standard library alone; rich is imported only to
draw the text summary. Files are written by :func:`write_private`: atomically and private to
the user from the moment they exist, since reports hold patient answers.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

from hamstring_cli.errors import HamstringError
from hamstring_cli.model import LEVEL_RANK
from hamstring_cli.scoring import Result

FORMATS = ("text", "markdown", "json", "fhir")


class OutputError(HamstringError):
    """A report that cannot be written where asked (it exists, or the place is not writable)."""


def to_json(data: object) -> str:
    """JSON as the contract prints it: indented by 2, UTF-8 text as is, a final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render(result: Result, fmt: str) -> str:
    """The result in ``fmt`` as a string; ``text`` is the plain summary (for files).

    Raises:
        ValueError: an unknown format.
    """
    if fmt == "json":
        return to_json(result.to_dict())
    if fmt == "fhir":
        from hamstring_cli.fhir.bundle import bundle_json

        return bundle_json(result.questionnaire, result.to_dict())
    if fmt == "markdown":
        from hamstring_cli.render.markdown import render_markdown

        return render_markdown(result)
    if fmt == "text":
        # Lazy: only the text summary needs rich.
        from hamstring_cli.render.text import render_text

        return render_text(result)
    raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")


def emit(result: Result, fmt: str, output: Path | None = None, force: bool = False) -> None:
    """Print the result on standard output, or write it to ``output``.

    With ``output``, standard output stays empty and a one-line confirmation goes to standard
    error. The text summary on standard output is drawn for the terminal (colour, boxes)
    or plain when piped or when ``NO_COLOR`` is set.

    Raises:
        OutputError: ``output`` exists and ``force`` is false, or it cannot be written.
    """
    if output is not None:
        write_private(output, render(result, fmt).encode("utf-8"), force=force)
        sys.stderr.write(f"hamstring: wrote the {fmt} report to {output}\n")
        return
    if fmt == "text":
        from hamstring_cli.render.text import make_console, render_summary

        render_summary(result, make_console(sys.stdout))
        return
    write_stdout(render(result, fmt))


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


def write_private(path: Path | str, data: bytes, *, force: bool = False) -> None:
    """Write ``data`` to ``path`` atomically, readable by the user alone (mode 0600).

    The bytes go to a temporary file in the same directory (``mkstemp`` creates it 0600, so
    there is no moment when it is readable by others), are flushed to disk, then moved into
    place. A reader sees the old file or the whole new one, never half of it; on any error,
    an interrupt included, the temporary file is removed.

    Args:
        path: the file to write.
        data: its whole content.
        force: replace ``path`` if it exists (otherwise an existing file is an error).

    Raises:
        OutputError: ``path`` exists (without ``force``), is a directory, or cannot be written.
    """
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"{target} is a directory; give a file name for the output")
    if not force and target.exists():
        raise OutputError(f"{target} exists; use --force to overwrite it")
    directory = target.parent
    import tempfile  # only when writing a file: a report on standard output does without it

    try:
        fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error.strerror or error}") from error
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _move_into_place(temp, target, force=force)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(error, OSError):
            raise OutputError(f"cannot write {target}: {error.strerror or error}") from error
        raise
    _sync_directory(directory)


def _move_into_place(temp: str, target: Path, *, force: bool) -> None:
    if force:
        os.replace(temp, target)
        return
    # A hard link fails if the target appeared since the check above: no race can clobber a
    # file the user did not ask to overwrite. Where links are not supported, fall back to
    # replace (the check above has already refused an existing file).
    try:
        os.link(temp, target)
    except FileExistsError:
        raise OutputError(f"{target} exists; use --force to overwrite it") from None
    except OSError:
        os.replace(temp, target)
        return
    os.unlink(temp)


def _sync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk (POSIX); not every
    # platform can open a directory, and the file itself is already complete either way.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
