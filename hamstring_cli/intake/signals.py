"""SIGTERM and SIGHUP during an intake: they stop it as Ctrl-C does, and the terminal is given
back in the modes it had (standard library only)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["Terminated", "stopped_by_signals"]


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP during an intake: stops it as Ctrl-C does (saved, with the resume hint).

    A ``KeyboardInterrupt``, so that whatever is drawing (a questionary prompt, a pager) unwinds
    and gives the terminal back on the way out, as it does for Ctrl-C.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


#: The signals that stop an intake as Ctrl-C does.
_STOP_SIGNALS = ("SIGTERM", "SIGHUP")


def _let_a_hung_up_terminal_go() -> None:
    """Point standard streams whose terminal has gone (a hang-up: EIO) at ``/dev/null``.

    What is left to do (the prompt's clean-up, the message) then writes to nothing instead of
    failing on the way out, and the answers are saved whatever; a stream that is a file or a
    terminal still there is left alone.
    """
    import errno
    import termios

    for fd in (0, 1, 2):
        try:
            termios.tcgetattr(fd)
        except termios.error as error:
            if error.args and error.args[0] == errno.EIO:
                with contextlib.suppress(OSError):
                    null = os.open(os.devnull, os.O_RDWR)
                    os.dup2(null, fd)
                    os.close(null)
        except OSError:
            pass


@contextmanager
def stopped_by_signals() -> Iterator[Callable[[], None]]:
    """While the intake runs, SIGTERM and SIGHUP raise :class:`Terminated` (once).

    Yields the function that puts the terminal back in the modes it had when the intake began
    (a pager killed on the way out may leave it raw).
    """
    import signal

    modes: list[Any] | None = None
    fd = -1
    try:
        import termios

        fd = sys.stdin.fileno()
        if os.isatty(fd):
            modes = termios.tcgetattr(fd)
    except (ImportError, AttributeError, OSError, ValueError):
        modes = None
    fired: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        if fired:
            return  # already stopping: let the answers be saved
        fired.append(signum)
        if signum == getattr(signal, "SIGHUP", None):
            _let_a_hung_up_terminal_go()
        raise Terminated(signum)

    def restore() -> None:
        if modes is None:
            return
        import termios

        with contextlib.suppress(OSError, termios.error):
            termios.tcsetattr(fd, termios.TCSADRAIN, modes)

    previous: dict[int, object] = {}
    for name in _STOP_SIGNALS:
        number = getattr(signal, name, None)
        if number is None:
            continue
        # Outside the main thread (a test's runner, say) the default handling stays.
        with contextlib.suppress(ValueError, OSError):
            previous[number] = signal.signal(number, stop)
    try:
        yield restore
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]
