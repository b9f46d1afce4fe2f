"""Read a user's input file safely, and write a file safely: the one place for both.

Standard library only. Every answer file and questionnaire is read through
:func:`read_input_file`, so a device (``/dev/zero``), a FIFO or a socket is refused with a
located error instead of eating memory or blocking forever, and a file larger than its limit
is refused before it is read whole. Every report, saved intake and cache entry is written by
:func:`write_private` or :func:`open_output`: atomically and private to the user (0600) from
the moment it exists, since they hold patient answers.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import sys
from collections.abc import Iterator
from io import RawIOBase
from typing import TYPE_CHECKING, BinaryIO

from hamstring_cli.errors import Code, HamstringError, Place, UserError, diagnostic, escape

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "ANSWERS_LIMIT",
    "MAX_DEPTH",
    "MAX_VALUES",
    "QUESTIONNAIRE_LIMIT",
    "OutputError",
    "check_output",
    "is_stdout",
    "keep_private",
    "kind_of",
    "limit_words",
    "make_private_dirs",
    "open_output",
    "read_capped",
    "read_input_file",
    "write_private",
]

MB = 1024 * 1024
#: The largest answer file read (a complete answer file is about a kilobyte).
ANSWERS_LIMIT = 10 * MB
#: The largest questionnaire read (the bundled one is about 60 kilobytes).
QUESTIONNAIRE_LIMIT = 50 * MB
#: The most values a document may hold (YAML: once aliases are expanded, which stops an alias
#: bomb, a few lines that expand to millions of values; JSON: as written).
MAX_VALUES = 100_000
#: The deepest a document may nest (no questionnaire needs a tenth of it).
MAX_DEPTH = 100

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def kind_of(mode: int) -> str:
    """What a file that is not a regular file is, in words (``a FIFO (named pipe)``)."""
    for test, words in _KINDS:
        if test(mode):
            return words
    return "not a regular file"


def limit_words(limit: int) -> str:
    """A size limit in words: ``10 MB``."""
    return f"{limit // MB} MB" if limit % MB == 0 else f"{limit:,} bytes"


def _refuse(error: type[UserError], name: str, detail: str) -> UserError:
    return error([diagnostic(Code.FILE_UNREADABLE, Place(name), detail=detail)])


def read_input_file(
    path: str | os.PathLike[str], *, limit: int, what: str, error: type[UserError], name: str
) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    The file is opened without blocking (a FIFO with no writer would wait for ever), then
    checked through its open descriptor, so a file swapped between a check and the read is
    still checked.

    Args:
        path: the file.
        limit: the most bytes read.
        what: what the file is, for the message (``an answer file``).
        error: the exception class to raise (with one ``E001``/``E002`` diagnostic).
        name: how the message names the file.

    Raises:
        UserError: the ``error`` class: missing, not a regular file, too large, unreadable.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error([diagnostic(Code.FILE_MISSING, Place(name))]) from None
    except IsADirectoryError:
        raise _refuse(error, name, "it is a folder") from None
    except OSError as problem:
        raise _refuse(error, name, problem.strerror or str(problem)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _refuse(
                error,
                name,
                f"it is {kind_of(info.st_mode)}, not a regular file; give {what} as a regular file",
            )
        if info.st_size > limit:
            raise _refuse(error, name, _too_large(info.st_size, limit, what))
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", buffering=0, closefd=False) as handle:
            # The size is known: one read of it (and one more byte, should it have grown).
            return read_capped(
                handle, limit, what=what, error=error, name=name, hint=info.st_size + 1
            )
    except OSError as problem:
        raise _refuse(error, name, problem.strerror or str(problem)) from None
    finally:
        os.close(fd)


def read_capped(
    stream: BinaryIO | RawIOBase,
    limit: int,
    *,
    what: str,
    error: type[UserError],
    name: str,
    hint: int = 64 * 1024,
) -> bytes:
    """Read a stream to its end, refusing it once it passes ``limit`` bytes.

    Read in pieces (the first of ``hint`` bytes), so that a small file never costs a buffer
    the size of the limit.

    Raises:
        UserError: the ``error`` class, when the stream holds more than ``limit`` bytes.
    """
    pieces: list[bytes] = []
    size = 0
    want = max(1, min(hint, limit + 1))
    while True:
        piece = stream.read(want)
        if not piece:
            return b"".join(pieces)
        pieces.append(piece)
        size += len(piece)
        if size > limit:
            raise _refuse(error, name, _too_large(None, limit, what))
        want = min(max(want, 64 * 1024), limit + 1 - size)


def _too_large(size: int | None, limit: int, what: str) -> str:
    actual = f" ({size:,} bytes)" if size is not None else ""
    return f"it is larger than {limit_words(limit)}{actual}, the most read for {what}"


class OutputError(HamstringError):
    """A report that cannot be written where asked (it exists, or the place is not writable)."""


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


def make_private_dirs(directory: str | os.PathLike[str]) -> None:
    """Make ``directory`` and every missing folder above it, each 0700, as the XDG spec asks of
    the folders a program makes (``os.makedirs`` and ``mkdir(parents=True)`` would make the
    ones above with the umask's mode). A folder that is there already is left as it is."""
    path = os.fspath(directory)
    missing: list[str] = []
    while not os.path.lexists(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another run made it first
            os.mkdir(folder, 0o700)


def keep_private(folder: str | os.PathLike[str]) -> None:
    """Take group and others' access away from a folder of this program's own (never adding
    any of the owner's: a folder the user made read-only stays so).

    Raises:
        OSError: it is a symbolic link or not a folder (``ENOTDIR``): nothing outside the
            program's own folders is changed through it.
    """
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode):
        import errno

        what = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a folder"
        raise OSError(errno.ENOTDIR, f"{os.fspath(folder)} is {what}")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        os.chmod(folder, mode & 0o700)
