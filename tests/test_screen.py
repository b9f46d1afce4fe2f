"""What an 80x24 terminal shows: the installed command drawn by a terminal emulator (pyte).

The opening lines stay on the screen with the first question, and when the summary is shown
the last screen holds the level, the leading condition and every advised study, with the
question that follows it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

pexpect = pytest.importorskip("pexpect")
pyte = pytest.importorskip("pyte")

COMMAND = shutil.which("hamstring")
pytestmark = [
    pytest.mark.pty,
    pytest.mark.skipif(COMMAND is None, reason="the 'hamstring' command is not on PATH"),
]

ENTER = "\r"
UP = "\x1b[A"


class Terminal:
    """A pseudo-terminal of 80x24 whose output is drawn on a pyte screen."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.screen = pyte.Screen(80, 24)
        self.stream = pyte.Stream(self.screen)
        env = {**os.environ, "TERM": "xterm", "XDG_STATE_HOME": str(tmp_path / "state")}
        env["PROMPT_TOOLKIT_NO_CPR"] = "1"
        env["HOME"] = str(tmp_path)
        for name in ("COLUMNS", "LINES", "PAGER", "LESS", "NO_COLOR"):
            env.pop(name, None)
        self.child: Any = pexpect.spawn(
            COMMAND, list(args), env=env, cwd=str(tmp_path), encoding="utf-8",
            timeout=20, dimensions=(24, 80),
        )  # fmt: skip
        self.child.logfile_read = self

    def write(self, text: str) -> None:
        self.stream.feed(text)

    def flush(self) -> None:
        """pexpect flushes its log."""

    def expect(self, pattern: str) -> None:
        self.child.expect(pattern)

    def send(self, keys: str) -> None:
        self.child.send(keys)

    @property
    def shown(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display)

    def settle(self) -> str:
        """The screen once the output has stopped for a moment."""
        while True:
            try:
                self.child.expect(r"\S", timeout=0.5)
            except pexpect.TIMEOUT:
                return self.shown


RUPTURE = [
    ("Does the patient take blood thinners", "2"),
    ("How old is the patient", "52"),
    ("How did the pain start", "1"),
    ("What was the patient doing", "1"),
    ("Did the patient feel or hear a pop", "1"),
    ("Could the patient carry on", "2"),
    ("How many days ago", "6"),
    ("Has any bruising appeared", "3"),
    ("How is the patient walking", "2"),
    ("Where is the pain worst", "1"),
    ("Does sitting hurt", "2"),
    ("Is there numbness", "1"),
    ("low back pain as well", "2"),
    ("injured this hamstring before", "2"),
    ("Has a clinician examined", "2"),
]


def test_the_first_question_and_the_summary_fit_an_80x24_screen(tmp_path: Path) -> None:
    term = Terminal(tmp_path, "triage")
    term.expect("None of these")
    first = term.settle()
    for words in (
        "Pain at the back of the thigh",
        "Saved in ~/",
        "To go back, choose",
        "Does the patient have any of these warning signs",
        "None of these",
    ):
        assert words in first, first
    term.send(UP + " " + ENTER)
    for prompt, key in RUPTURE:
        term.expect(prompt)
        term.send(key + ENTER)
    term.expect("Review the answers")
    term.expect(r"\r\n:")  # taller than the screen: less shows it
    term.send("q")
    term.expect("What next")
    term.send(ENTER)
    term.expect("Finish here")
    last = term.settle()
    flat = " ".join(last.replace("│", " ").split())
    assert "URGENT" in flat, last
    assert "Most likely: Acute proximal hamstring rupture" in flat, last
    assert "MRI of the hamstring origin, within days" in flat, last
    assert "Red flags: none raised" in flat
    assert "Show the reasoning" in flat and "Save a report" in flat

    term.send("2" + ENTER)  # the reasoning, in a pager
    term.expect(r"\r\n:")
    assert "Differential" in term.settle()
    term.send("q")
    term.expect("Finish here")
    again = " ".join(term.settle().replace("│", " ").split())
    assert "Most likely: Acute proximal hamstring rupture" in again, "the screen ends on it"
    assert "Show the reasoning" not in again
    term.send(ENTER)
    term.child.expect(pexpect.EOF)
