"""A student's sitting, tried as a new user would: the installed command in a pseudo-terminal."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pty_helpers import COMMAND, CTRL_C, ENTER, NEEDS_COMMAND

pexpect = pytest.importorskip("pexpect")

pytestmark = [pytest.mark.pty, NEEDS_COMMAND]


@pytest.fixture
def spawn() -> Iterator[Callable[..., Any]]:
    """Start ``hamstring`` with the given arguments in a 100-column pseudo-terminal."""
    children: list[Any] = []

    def start(*args: str) -> Any:
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "40"}
        env.pop("NO_COLOR", None)
        child = pexpect.spawn(
            COMMAND, list(args), env=env, encoding="utf-8", timeout=20, dimensions=(40, 100)
        )
        children.append(child)
        return child

    yield start
    for child in children:
        child.close(force=True)


def choose(child: Any, key: str) -> None:
    """Pick an option of a questionary select: its shortcut key moves the pointer, Enter answers."""
    child.send(key)
    child.send(ENTER)


def test_a_student_goes_from_the_story_to_the_feedback(spawn: Callable[..., Any]) -> None:
    child = spawn("practice", "--case", "acute-rupture-water-ski", "--auto")
    child.expect("water-skier pulled into the splits")
    child.expect("deep-water start")  # the story
    child.expect("The patient's answers")
    # The call comes before anything of the result is shown.
    child.expect("Leading condition")
    assert "Expected" not in child.before
    assert "MRI shows" not in child.before
    choose(child, "1")  # acute_rupture, first in the questionnaire
    child.expect("Triage level")
    choose(child, "2")  # urgent
    child.expect("First imaging")
    choose(child, "1")  # MRI
    child.expect("Your call")
    child.expect("All right")
    child.expect("What separates")
    child.expect("Teaching points")
    child.expect("More: the result")
    choose(child, "1")  # yes, show more
    child.expect("One answer that would change|Differential")
    child.expect(r"\[R4\]")
    child.expect("Score so far: 1 case, 1 fully right")
    child.expect("Another case")
    choose(child, "2")  # no, finish here
    child.expect("Final score: 1 case, 1 fully right; 3 of 3 answers right")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_ctrl_c_leaves_cleanly_with_the_score_so_far(spawn: Callable[..., Any]) -> None:
    child = spawn("practice", "--case", "muscle-strain-sprinter", "--auto")
    child.expect("Leading condition")
    child.send(CTRL_C)
    child.expect("interrupted; 0 cases")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "Traceback" not in child.before
