"""What the pseudo-terminal tests share: the installed command, their marks and the keys."""

from __future__ import annotations

import os
import shutil

import pytest

COMMAND = shutil.which("hamstring")
#: A module that drives the installed command in a pseudo-terminal is marked
#: ``pytestmark = [pytest.mark.pty, NEEDS_COMMAND]`` (the pty mark written out, so that
#: test_quick_loop.py sees it).
#: Outside CI a missing command skips; with CI set it fails, so CI can never skip these.
NEEDS_COMMAND = pytest.mark.skipif(
    COMMAND is None and os.environ.get("CI", "") in ("", "0", "false"),
    reason="the 'hamstring' command is not on PATH",
)

ENTER = "\r"
UP = "\x1b[A"
DOWN = "\x1b[B"
CTRL_C = "\x03"
