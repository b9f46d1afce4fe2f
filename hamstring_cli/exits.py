"""Exit statuses and the one funnel that turns known errors into a message and a status.

Standard library only: the typer command line and the fast lane for scripted runs
(:mod:`hamstring_cli.fast`) share it, so both print the same words and exit the same way.
:func:`run_entry` runs either of them as the ``hamstring`` command: it readies the standard
streams first (closed ones, a width of 0, an encoding without the bullets) and turns a fault of
standard output (a closed pipe, a full disk) into a quiet exit or a one-line message.
"""

from __future__ import annotations

import enum
import gc
import io
import os
import sys
from collections.abc import Callable, Iterable
from typing import NoReturn

from hamstring_cli.errors import Diagnostic, HamstringError, MissingAnswers, UserError, escape

__all__ = [
    "Exit",
    "Stop",
    "guarded",
    "interrupted",
    "print_diagnostics",
    "run_entry",
    "say",
    "settled",
    "starting",
]


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
        return interrupted()


def interrupted() -> int:
    """Say the run was interrupted (Ctrl-C), on a line of its own; the status to exit with."""
    sys.stderr.write("\nhamstring: interrupted\n")
    return int(Exit.INTERRUPTED)


# -- the standard streams -----------------------------------------------------------------------


class _ClosedOutput(io.TextIOBase):
    """Standard output when the command started with it closed (``>&-``): every write fails,
    as a write to the closed descriptor would, and the run ends with a message."""

    def writable(self) -> bool:
        return True

    def write(self, text: object) -> int:
        import errno

        raise OSError(errno.EBADF, "it is closed")

    @property
    def buffer(self) -> _ClosedOutput:
        """Bytes fail as text does (``report.write_stdout`` writes UTF-8 bytes here)."""
        return self


def starting() -> None:
    """Turn the garbage collector off for the start-up (the ``hamstring`` command's only).

    The imports and the questionnaire's model make thousands of objects that live for the
    whole run and hold no garbage: about 40 collections would scan them again and again
    (about 5 ms of a 60 ms scripted run). :func:`settled` turns it back on where long work
    begins; a scripted triage ends first.
    """
    gc.disable()


def settled() -> None:
    """Start-up is over: keep what it made out of every collection, and collect again.

    Only after :func:`starting` (a library caller's or a test's collector is left alone).
    """
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def run_entry(command: Callable[[], int | None]) -> NoReturn:
    """Run the command line's ``command`` as the ``hamstring`` command, and exit with its status.

    The standard streams are readied first (:func:`ready_streams`). Standard output is flushed
    before the exit, so that a fault in writing it is met here, never at the interpreter's
    exit: a closed pipe ends the run quietly with status 1 (the reader has what it wanted); a
    full disk or a closed stream prints one line, ``hamstring: cannot write to standard
    output: ...``, and exits 1. Nothing further is written to standard output then.
    """
    starting()
    ready_streams()
    status: int | str | None
    try:
        try:
            status = command()
        except SystemExit as stop:
            status = stop.code
        except KeyboardInterrupt:
            # Ctrl-C before the command's own funnel took over (while its modules load).
            status = interrupted()
        sys.stdout.flush()
    except OSError as error:
        status = output_failed(error)
    sys.exit(status)


def output_failed(error: OSError) -> int:
    """Report a fault of standard output (quietly for a closed pipe) and return status 1.

    Anything else (an error naming a file, an error no write gives) is not an output fault:
    it is raised again, to be seen.
    """
    import errno  # only now: a run that writes its output never needs it

    # The errors of a write that mean the output takes no more: the reader of a pipe has gone
    # (| head -1), the disk is full (> /dev/full), the stream was closed (>&-).
    faults = (errno.EPIPE, errno.ECONNRESET, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)
    if error.errno not in (*faults, errno.EBADF) or error.filename is not None:
        raise error
    _discard(sys.stdout)
    if error.errno in (errno.EPIPE, errno.ECONNRESET):
        # Quietly: the reader has all it wanted, as head expects.
        return int(Exit.BAD_INPUT)
    reason = "it is closed" if error.errno == errno.EBADF else error.strerror or str(error)
    try:
        sys.stderr.write(f"hamstring: cannot write to standard output: {reason}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        _discard(sys.stderr)  # standard error is what failed: the status says it all
    return int(Exit.BAD_INPUT)


def _discard(stream: object) -> None:
    """Point the descriptor of a standard stream at the null device: what is still buffered
    (flushed at exit) goes nowhere. A stream with no descriptor of its own is left alone."""
    try:
        fd = stream.fileno()  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return
    if fd not in (1, 2):
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        if null != fd:
            os.dup2(null, fd)
    except OSError:
        pass
    finally:
        if null != fd:
            os.close(null)


def ready_streams() -> None:
    """Ready the standard streams and the terminal size for a command, before it runs.

    - A stream closed before the command started (``<&-``, ``>&-``, ``2>&-``) is given the
      null device, so that no file the command opens takes its descriptor (a child process
      would write into it). Closed standard output still fails every write (with a message);
      closed standard input reads as empty; closed standard error discards.
    - ``COLUMNS=0`` and ``LINES=0`` are dropped: they mean no size at all (the standard
      library ignores them too), and rich would draw a summary 0 columns wide, which is nothing.
    - An output encoding that cannot hold the summary's bullets, arrows and boxes
      (``PYTHONIOENCODING=ascii``, a Latin-1 locale) writes their ASCII look-alikes instead;
      any other character it cannot hold is written as its escape (``\\xf6``), never as another
      letter.
    """
    if sys.stdin is None or sys.stdout is None or sys.stderr is None:
        _fill_closed_streams()
    for name in ("COLUMNS", "LINES"):
        value = os.environ.get(name)
        if value is not None and value.isdigit() and int(value) == 0:
            del os.environ[name]
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "utf-8"
        if not encoding.lower().replace("-", "").replace("_", "").startswith("utf"):
            _fall_back_to_ascii(stream)


def _fill_closed_streams() -> None:
    for fd, flags in ((0, os.O_RDONLY), (1, os.O_WRONLY), (2, os.O_WRONLY)):
        try:
            os.fstat(fd)
        except OSError:
            try:
                null = os.open(os.devnull, flags)
            except OSError:
                continue
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    if sys.stdin is None:
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - for the whole run
    if sys.stdout is None:
        sys.stdout = _ClosedOutput()
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the whole run


#: ASCII stand-ins for the typographic punctuation the summaries, graphs and messages draw
#: with (bullets, arrows, dashes, curly quotes, the ellipsis, a non-breaking space; box drawing
#: is read by its name below). Nothing else is ever transliterated: a letter such as ``ö``
#: could be part of a file name or of a patient's data, and ``no.yaml`` would name another file.
_ASCII = {
    "\u2022": "*",  # bullet
    "\u00b7": "-",  # middle dot, as a bullet
    "\u2026": "...",
    "\u2192": "->",
    "\u2190": "<-",
    "\u2191": "^",
    "\u2193": "v",
    "\u2013": "-",
    "\u2014": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u00a0": " ",
}
_ERRORS = "hamstring-ascii"


def _escape_char(char: str) -> str:
    """``char`` as ``backslashreplace`` writes it: ``\\xf6``, ``\\u00f1``, ``\\U0001f600``."""
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _ascii_look_alike(error: UnicodeError) -> tuple[str, int]:
    """A codec error handler: what an encoding cannot hold, as ASCII.

    The program's own typographic punctuation and box drawing get look-alikes; any other
    character is written as its escape, never as another letter, so two different names
    never print as the same text.
    """
    if not isinstance(error, UnicodeEncodeError):
        raise error
    import unicodedata

    out = []
    for char in error.object[error.start : error.end]:
        if char in _ASCII:
            out.append(_ASCII[char])
        elif "\u2500" <= char <= "\u257f":  # box drawing: lines, then corners and joins
            name = unicodedata.name(char, "")
            if " AND " in name or "ARC" in name:
                out.append("+")
            elif "HORIZONTAL" in name:
                out.append("-")
            else:
                out.append("|" if "VERTICAL" in name else "+")
        else:
            out.append(_escape_char(char))
    return "".join(out), error.end


def _fall_back_to_ascii(stream: object) -> None:
    import codecs

    try:
        codecs.lookup_error(_ERRORS)
    except LookupError:
        codecs.register_error(_ERRORS, _ascii_look_alike)
    if isinstance(stream, io.TextIOWrapper):
        stream.reconfigure(errors=_ERRORS)
