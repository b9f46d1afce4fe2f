"""(c) The intake as a user meets it: the installed command in an 80x24 pseudo-terminal.

Each test expects stable words (question prompts, headings), never escape codes, and waits for
each prompt before typing, as a person would. ``NO_COLOR`` is set and session files go to a
temporary ``XDG_STATE_HOME``.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import MINI_INTAKE, run_command
from pty_helpers import COMMAND, CTRL_C, DOWN, ENTER, NEEDS_COMMAND, UP

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.model import Question
from hamstring_cli.resources import resolve_questionnaire

pexpect = pytest.importorskip("pexpect")

pytestmark = [pytest.mark.pty, NEEDS_COMMAND]

MINI = MINI_INTAKE

Spawn = Callable[..., Any]


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def mini(tmp_path: Path) -> str:
    path = tmp_path / "mini.yaml"
    path.write_text(MINI, encoding="utf-8")
    return str(path)


@pytest.fixture
def spawn(tmp_path: Path, state: Path) -> Iterator[Spawn]:
    """Start ``hamstring`` in an 80x24 pseudo-terminal; everything it prints is in ``.log``."""
    children: list[Any] = []

    def start(
        *args: str, command: str | None = None, preexec: Callable[[], None] | None = None
    ) -> Any:
        env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm", "XDG_STATE_HOME": str(state)}
        # A terminal answers prompt_toolkit's cursor position request; pexpect does not, and
        # every prompt would wait a second for the answer when it ends.
        env["PROMPT_TOOLKIT_NO_CPR"] = "1"
        for name in ("COLUMNS", "LINES", "PAGER", "LESS"):
            env.pop(name, None)
        child = pexpect.spawn(
            command or COMMAND,
            list(args),
            env=env,
            cwd=str(tmp_path),
            encoding="utf-8",
            # Generous: a wait lasts this long only when something is wrong, and a loaded
            # machine can take seconds to start Python.
            timeout=60,
            dimensions=(24, 80),
            preexec_fn=preexec,
        )
        child.log = io.StringIO()
        child.logfile_read = child.log
        children.append(child)
        return child

    yield start
    for child in children:
        child.close(force=True)


def sessions(state: Path) -> list[Path]:
    folder = state / "hamstring" / "sessions"
    return sorted(folder.glob("*.yaml")) if folder.exists() else []


def prompt_of(question: Question) -> str:
    """A regular expression for the start of a prompt (its first words fit on one line)."""
    return re.escape(question.prompt[:30])


def key_of(question: Question, value: str) -> str:
    """The shortcut key of an option: its number in the list."""
    return str(question.values.index(value) + 1)


def finish(child: Any, *, at_menu: bool = False) -> None:
    """Show the summary, then finish without a report, discarding the answers.

    ``at_menu``: the menu after the review ('What next') is already on the screen.
    """
    if not at_menu:
        child.expect("What next")
    child.send(ENTER)
    child.expect("Most likely")
    child.expect("What next")
    child.expect("Finish here")
    child.send(ENTER)
    child.expect("Finish without saving a report")
    child.send("2" + ENTER)
    child.expect("The answers were discarded")
    child.expect(pexpect.EOF)
    child.close()


def test_a_full_intake_of_the_bundled_questionnaire(spawn: Spawn, state: Path) -> None:
    q = load_questionnaire(resolve_questionnaire("proximal-hamstring"))
    child = spawn("triage")
    child.expect(prompt_of(q.question("red_flags")))
    child.send(UP)  # from the first option up to the last: "None of these"
    child.send(" ")
    child.send(ENTER)
    answers = [
        ("anticoagulants", "no"),
        ("age", "34"),
        ("onset", "gradual"),
        ("weeks_since_onset", "20"),
        ("load_change", "yes"),
        ("pain_running_fast", "yes"),
        ("pain_bending", "no"),
        ("bone_stress_risk", "no"),
        ("rehab_response", "not_improving"),
        ("pain_site", "sit_bone"),
        ("sitting_pain", "immediate"),
        ("numbness", "none"),
        ("back_pain", "no"),
        ("prior_hamstring_injury", "no"),
        ("examined", "no"),
    ]
    for qid, value in answers:
        question = q.question(qid)
        child.expect(prompt_of(question))
        key = value if question.type == "integer" else key_of(question, value)
        child.send(key)
        child.send(ENTER)
    # 16 answers do not fit 24 lines with the question after them: they are paged.
    child.expect("Review the answers")
    # less waits at its prompt, which says how to close it.
    child.expect(r"Review of the 16 answers: lines 1-\d+ - Space for more, q closes it")
    child.send("q")
    child.expect("shown in a pager")
    finish(child)
    assert child.exitstatus == 0
    shown = child.log.getvalue()
    assert "Question 1, about" in shown
    assert shown.count("Most likely") == 1, "the summary is shown once"
    assert sessions(state) == [], "the session file is removed once discarded"


def test_back_and_a_changed_branch(spawn: Spawn, mini: str) -> None:
    child = spawn("triage", "-q", mini)
    child.expect("Any warning signs")
    child.send(UP)
    child.send(" ")
    child.send(ENTER)
    child.expect("How did the pain start")
    child.send("1" + ENTER)
    child.expect("Was there a pop")
    child.send("b" + ENTER)
    child.expect("How did the pain start")
    child.send("2" + ENTER)
    child.expect("How many weeks")
    child.send("5" + ENTER)
    child.expect("How old is the patient")
    child.send("40" + ENTER)
    child.expect("Review the answers")
    finish(child)
    assert child.exitstatus == 0
    assert "Most likely: Tendinopathy" in child.log.getvalue()


def test_review_and_change_an_answer(spawn: Spawn, mini: str) -> None:
    child = spawn("triage", "-q", mini)
    child.expect("Any warning signs")
    child.send(UP + " " + ENTER)
    for prompt, key in (("How did the pain start", "1"), ("Was there a pop", "1")):
        child.expect(prompt)
        child.send(key + ENTER)
    child.expect("How old is the patient")
    child.send("30" + ENTER)
    child.expect("What next")
    child.send("2" + ENTER)  # change an answer
    child.expect("Which answer")
    # Every answer is listed in words: move down to the onset, second in the list.
    child.expect(r"How did the pain start\? → Suddenly")
    child.send(DOWN + ENTER)
    child.expect("How did the pain start")
    child.send("2" + ENTER)
    child.expect("How many weeks")
    child.send("8" + ENTER)
    # The age is still on the path: it is not asked again.
    assert child.expect(["Review the answers", "How old is the patient"]) == 0
    finish(child)
    assert child.exitstatus == 0


def test_ctrl_c_prints_the_resume_command_which_resumes(
    spawn: Spawn, mini: str, state: Path
) -> None:
    child = spawn("triage", "-q", mini)
    child.expect("Any warning signs")
    child.send(UP + " " + ENTER)
    child.expect("How did the pain start")
    child.send("1" + ENTER)
    child.expect("Was there a pop")
    child.send(CTRL_C)
    child.expect(r"hamstring: interrupted at 'Was there a pop\?'; 2 answers are saved in")
    child.expect("resume with:")
    child.expect(r"\s*(hamstring triage [^\r\n]+)\r?\n")
    command = shlex.split(child.match.group(1))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    (saved,) = sessions(state)
    assert command[-2:] == ["--resume", str(saved)]

    resumed = spawn(*command[1:])
    resumed.expect("Was there a pop")
    assert "Any warning signs" not in resumed.before
    resumed.send("2" + ENTER)
    resumed.expect("How old is the patient")
    resumed.send("61" + ENTER)
    resumed.expect("Review the answers")
    finish(resumed)
    assert resumed.exitstatus == 0
    assert not saved.exists()


def test_plain_mode_reads_lines_and_moves_no_cursor(spawn: Spawn, mini: str) -> None:
    child = spawn("triage", "-q", mini, "--plain")
    for prompt, line in (
        ("Any warning signs", ""),  # Enter alone is refused on the safety screen
        ("Type 0 for none of these", "0"),
        ("How did the pain start", "2"),
        ("How many weeks", "many"),
        ("Type a whole number from 0 to 52", "6"),
        ("How old is the patient", "40"),
        ("What next", ""),
        ("Finish here", ""),
        ("Finish without saving a report", "2"),
    ):
        child.expect(prompt)
        child.expect("> ")
        child.sendline(line)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    shown = child.log.getvalue()
    assert "  1. Saddle numbness" in shown
    assert "Most likely: Tendinopathy" in shown
    assert "→ None of these\r\n" in shown and "→ 40 years\r\n" in shown
    assert "\x1b" not in shown, "no escape codes: no cursor movement, no colour"


def test_an_answer_file_in_a_terminal_asks_only_what_is_missing(
    spawn: Spawn, mini: str, tmp_path: Path
) -> None:
    partial = tmp_path / "partial.yaml"
    partial.write_text("flags: []\nonset: sudden\n", encoding="utf-8")
    child = spawn("triage", "-q", mini, "--answers", str(partial))
    child.expect("2 answers were given")
    child.expect("Was there a pop")
    assert "Any warning signs" not in child.before
    child.send("1" + ENTER)
    child.expect("How old is the patient")
    child.send("33" + ENTER)
    child.expect("Review the answers")
    finish(child)
    assert child.exitstatus == 0


def test_without_a_terminal_it_asks_for_an_answer_file(tmp_path: Path, state: Path) -> None:
    assert COMMAND is not None
    done = run_command([COMMAND, "triage"], cwd=tmp_path, state=state)
    assert done.returncode == 1
    assert "--answers FILE" in done.stderr
    assert done.stdout == ""
    assert sessions(state) == []


def ignore_ctrl_c() -> None:
    """As a parent that ignores SIGINT leaves its children (a script's background job)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def block_ctrl_c() -> None:
    """As a parent that blocks SIGINT leaves its children."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


@pytest.mark.parametrize(
    "inherited", [None, ignore_ctrl_c, block_ctrl_c], ids=["default", "ignored", "blocked"]
)
def test_plain_ctrl_c_prints_its_message_on_a_new_line(
    spawn: Spawn, mini: str, inherited: Callable[[], None] | None
) -> None:
    # Ctrl-C at the terminal stops the intake however SIGINT was handed down to it.
    child = spawn("triage", "-q", mini, "--plain", preexec=inherited)
    child.expect("Any warning signs")
    child.expect("> ")
    child.sendline("0")
    child.expect("→ None of these")
    child.expect("How did the pain start")
    child.expect("> ")
    child.send(CTRL_C)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    shown = child.log.getvalue()
    # On a line of its own, not after the '> ' of the prompt.
    assert "\nhamstring: interrupted at 'How did the pain start?'" in shown


def test_plain_mode_offers_to_stop_at_an_emergency(spawn: Spawn, mini: str, state: Path) -> None:
    child = spawn("triage", "-q", mini, "--plain")
    for prompt, line in (
        ("Any warning signs", "1"),  # saddle numbness
        ("An emergency: stop the intake here", ""),  # Enter: stop, the default
        ("Finish here", ""),
        ("Finish without saving a report", ""),  # Enter: keep the answers
    ):
        child.expect(prompt)
        child.expect("> ")
        child.sendline(line)
    child.expect("Resume with:")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    shown = child.log.getvalue()
    assert "!! RED FLAG: EMERGENCY, now" in shown
    assert "1. Stop here and show the emergency summary" in shown
    assert "count as unknown in this summary" in shown
    assert "How did the pain start" not in shown, "stopped: nothing more is asked"
    (saved,) = sessions(state)
    assert f"--resume {saved}" in shown
