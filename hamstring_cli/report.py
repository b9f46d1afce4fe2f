"""Print or write a result in any ``triage`` format of the registry, and write files safely.

Layer 2. The formats are declared in :mod:`hamstring_cli.render.formats`, each rendered by its
own module, imported only when used: rich only to draw the text summary. Files are written by
:func:`write_private`: atomically and private to the user from the moment they exist, since
reports hold patient answers.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

from hamstring_cli.errors import HamstringError, escape, escape_json
from hamstring_cli.model import LEVEL_RANK
from hamstring_cli.scoring import Result

if TYPE_CHECKING:
    from pathlib import Path


class OutputError(HamstringError):
    """A report that cannot be written where asked (it exists, or the place is not writable)."""


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


#: The ``--output`` name that means standard output.
STDOUT = "-"


def is_stdout(path: Path | str | None) -> bool:
    """Whether an ``--output`` value names standard output (``-o -``)."""
    return path is not None and os.fspath(path) == STDOUT


def _target(path: Path | str) -> Path:
    # Only when a file is written: a report on standard output does without pathlib.
    from pathlib import Path

    # A symbolic link is written through: the file it points at is replaced, the link stays.
    given = Path(path)
    return Path(os.path.realpath(given)) if given.is_symlink() else given


def _mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode
    except OSError:
        return None


def check_output(path: Path | str, *, force: bool = False) -> None:
    """Refuse an output place before any work: a folder, a device that is not a stream, or
    (without ``force``) an existing file.

    Character devices (``/dev/null``, a terminal) and FIFOs are written straight through and
    need no ``force``: nothing is replaced.

    Raises:
        OutputError: the place cannot be written as asked.
    """
    if is_stdout(path):
        return
    target = _target(path)
    mode = _mode(target)
    if mode is None:
        return
    if stat.S_ISDIR(mode):
        raise OutputError(f"{escape(str(path))} is a directory; give a file name for the output")
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return
    if not stat.S_ISREG(mode):
        from hamstring_cli.files import kind_of

        raise OutputError(f"{escape(str(path))} is {kind_of(mode)}; give a file for the output")
    if not force:
        raise OutputError(f"{escape(str(path))} exists; use --force to overwrite it")


def write_private(path: Path | str, data: bytes, *, force: bool = False) -> None:
    """Write ``data`` to ``path`` atomically, readable by the user alone (mode 0600).

    As :func:`open_output`, with the whole content at once.

    Raises:
        OutputError: ``path`` exists (without ``force``), is a directory, or cannot be written.
    """
    with open_output(path, force=force) as handle:
        handle.write(data)


@contextlib.contextmanager
def open_output(path: Path | str, *, force: bool = False) -> Iterator[BinaryIO]:
    """A binary stream to write ``path`` with: atomically and private (0600) over a file.

    - ``-``: standard output.
    - A character device or a FIFO (``/dev/null``, a pipe): written straight through, never
      renamed over or changed in mode.
    - A symbolic link: the file it points at is written (atomically); the link stays.
    - A regular file (or a new one): the bytes go to a temporary file in the same folder
      (``mkstemp`` creates it 0600, so there is no moment when it is readable by others),
      locked while it is written, flushed to disk, then moved into place when the block ends
      without error. A reader sees the old file or the whole new one, never half of it; on
      any error, an interrupt included, the temporary file is removed. Temporary files left
      by a run that was killed (unlocked ``.NAME.*.tmp`` beside the target) are removed.

    Raises:
        OutputError: ``path`` exists (without ``force``), is a directory, or cannot be written.
    """
    if is_stdout(path):
        sys.stdout.flush()
        out = getattr(sys.stdout, "buffer", None)
        if out is None:
            raise OutputError("standard output takes no bytes here")
        yield out
        out.flush()
        return
    check_output(path, force=force)
    target = _target(path)
    mode = _mode(target)
    shown = escape(str(path))
    if mode is not None and (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
        try:
            stream = open(target, "wb")  # noqa: SIM115 - closed below
        except OSError as error:
            raise OutputError(f"cannot write {shown}: {error.strerror or error}") from error
        try:
            with stream:
                yield stream
        except OSError as error:
            raise OutputError(f"cannot write {shown}: {error.strerror or error}") from error
        return
    directory = target.parent
    _remove_leftovers(target)
    import tempfile  # only when writing a file: a report on standard output does without it

    try:
        fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise OutputError(f"cannot write {shown}: {error.strerror or error}") from error
    try:
        # Locked for as long as it is written: a later run removes only unlocked leftovers.
        fcntl.flock(fd, fcntl.LOCK_EX)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
            _move_into_place(temp, target, force=force)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(error, OSError):
            raise OutputError(f"cannot write {shown}: {error.strerror or error}") from error
        raise
    _sync_directory(directory)


def _remove_leftovers(target: Path) -> None:
    """Remove temporary files of ``target`` left by a killed run: those no writer holds."""
    prefix = f".{target.name}."
    try:
        entries = [e for e in os.scandir(target.parent) if e.name.startswith(prefix)]
    except OSError:
        return
    for entry in entries:
        if not entry.name.endswith(".tmp") or len(entry.name) != len(prefix) + 8 + 4:
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                os.unlink(entry.path)
        except OSError:
            pass  # held by a writer that is still running, or gone already
        finally:
            os.close(fd)


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
