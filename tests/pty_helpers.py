"""What the pseudo-terminal tests share: the installed command, their marks and the keys."""

from __future__ import annotations

import shutil

import pytest

COMMAND = shutil.which("hamstring")
#: A module that drives the installed command in a pseudo-terminal is marked
#: ``pytestmark = [pytest.mark.pty, NEEDS_COMMAND]`` (the pty mark written out, so that
#: test_quick_loop.py sees it).
NEEDS_COMMAND = pytest.mark.skipif(COMMAND is None, reason="the 'hamstring' command is not on PATH")

ENTER = "\r"
UP = "\x1b[A"
DOWN = "\x1b[B"
CTRL_C = "\x03"
