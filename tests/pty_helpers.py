"""What the pseudo-terminal tests share: the installed command, their marks and the keys."""

from __future__ import annotations

import shutil

import pytest

COMMAND = shutil.which("hamstring")
#: The marks of a module that drives the installed command in a pseudo-terminal.
PTY = [
    pytest.mark.pty,
    pytest.mark.skipif(COMMAND is None, reason="the 'hamstring' command is not on PATH"),
]

ENTER = "\r"
UP = "\x1b[A"
DOWN = "\x1b[B"
CTRL_C = "\x03"
