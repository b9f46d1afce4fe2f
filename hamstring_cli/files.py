"""Read a user's input file safely: a regular file (or standard input) of bounded size.

Layer 0, standard library only. Every answer file and questionnaire is read through
:func:`read_input_file`, so a device (``/dev/zero``), a FIFO or a socket is refused with a
located error instead of eating memory or blocking forever, and a file larger than its limit
is refused before it is read whole.
"""

from __future__ import annotations

import os
import stat
from io import RawIOBase
from typing import BinaryIO

from hamstring_cli.errors import Code, Place, UserError, diagnostic

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
