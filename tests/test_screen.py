"""What an 80x24 terminal shows: the installed command drawn by a terminal emulator (pyte).

The opening lines stay on the screen with the first question, and when the summary is shown
the last screen holds the level, the leading condition and every advised study, with the
question that follows it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import in_process
from pty_helpers import COMMAND, CTRL_C, ENTER, NEEDS_COMMAND, UP

pexpect = pytest.importorskip("pexpect")
pyte = pytest.importorskip("pyte")

pytestmark = [pytest.mark.pty, NEEDS_COMMAND]


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

    def drawn(self, last: str) -> str:
        """The screen once the output has drawn ``last`` (a pattern of the last thing a prompt
        draws, say its last choice): everything written before it is on the screen, and the
        prompt waits for a key. Read as it comes, with no wait for the output to stop."""
        self.child.expect(last)
        return self.shown

    def close(self) -> None:
        """Wait for the command to end (it has been told to), then let go of its terminal."""
        self.child.expect(pexpect.EOF)
        self.child.wait()
        # It has ended and been waited for: no need to give it time to end.
        self.child.ptyproc.delayafterclose = 0
        self.child.close()


#: The last choice of the menu under the summary: drawn last, and nowhere before it.
LAST_CHOICE = r"3\) Save a report to a file"

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
    # Taller than the screen: less shows it, its prompt last.
    paged = term.drawn("q closes it")
    # While the pager is open, its last line says what it shows and how to close it.
    assert re.fullmatch(
        r"Review of the 16 answers: lines 1-23 - Space for more, q closes it *",
        paged.splitlines()[-1],
    ), paged
    term.send("q")
    term.expect("What next")
    term.send(ENTER)
    last = term.drawn(LAST_CHOICE)
    flat = " ".join(last.replace("│", " ").split())
    assert "URGENT" in flat, last
    assert "Most likely: Acute proximal hamstring rupture" in flat, last
    assert "MRI of the hamstring origin, within days" in flat, last
    assert "Red flags: none raised" in flat
    assert "Show the reasoning" in flat and "Save a report" in flat

    term.send("2" + ENTER)  # the reasoning, in a pager
    reasoning = term.drawn("q closes it")
    assert "Differential" in reasoning
    assert reasoning.splitlines()[-1].startswith("The reasoning: lines 1-23"), reasoning
    term.send("q")
    again = " ".join(term.drawn(LAST_CHOICE).replace("│", " ").split())
    assert "Most likely: Acute proximal hamstring rupture" in again, "the screen ends on it"
    # The menu keeps its numbers: 3 still saves a report.
    assert "1) Finish here 2) Show the reasoning" in again, again
    assert "3) Save a report to a file" in again, again
    term.send(ENTER)
    term.expect("Finish without saving a report")
    term.send("2" + ENTER)  # and discard the answers
    term.close()


# ---------------------------------------------------------------------------------------------
# The decision on the screen is the text report's decision, for every case of the library

CASES = sorted((Path(__file__).resolve().parent / "cases").glob("*.yaml"))
#: What a box or a bullet adds around the words.
FRAME = re.compile(r"[│╭╮╰╯─•]")


def report_block(report: str) -> str:
    """The decision block of a ``--format text`` report: everything before 'What to do'."""
    return report.split("\nWhat to do\n", 1)[0]


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_the_screen_shows_the_text_reports_decision(tmp_path: Path, case: Path) -> None:
    import yaml

    answers = yaml.safe_load(case.read_text(encoding="utf-8"))["answers"]
    given = tmp_path / "answers.yaml"
    given.write_text(yaml.safe_dump(answers), encoding="utf-8")
    # The text report as the command writes it (run in process: the same entry point, output
    # to a file rather than a terminal, as when piped).
    run = in_process("triage", "--answers", given, "--format", "text")
    assert run.status in (None, 0), run.err
    report = run.out.decode("utf-8")
    expected = " ".join(FRAME.sub(" ", report_block(report)).split())
    heading = report.split("\n", 1)[0]

    term = Terminal(tmp_path, "triage", "--answers", str(given))
    term.child.setecho(False)
    # Every answer was given: the review (in a pager when it is taller than the screen), then
    # its question.
    if term.child.expect(["q closes it", "What next"]) == 0:
        term.send("q")
        term.expect("What next")
    term.send(ENTER)
    # The summary, then the menu under it, its last choice drawn last.
    screen = term.drawn(LAST_CHOICE)
    term.send(CTRL_C)
    term.close()
    rows = screen.split("\n")
    # The box of the decision (a red flag's box, drawn earlier, has heavy lines).
    top = max(i for i, row in enumerate(rows) if row.startswith("╭") and heading[:6] in row)
    bottom = next(i for i in range(top, len(rows)) if rows[i].startswith("? "))
    shown = " ".join(FRAME.sub(" ", "\n".join(rows[top:bottom])).split())
    # The underline of the plain heading is the one thing the box draws otherwise.
    assert shown == expected.replace(" " + "=" * len(heading), "", 1), (shown, expected)


def test_an_emergency_flag_stops_for_its_summary_and_keeps_the_answers(tmp_path: Path) -> None:
    term = Terminal(tmp_path, "triage")
    term.expect("None of these")
    term.send(" " + ENTER)  # the first sign: saddle numbness
    # The box, then the question under it, its last choice drawn last.
    asked = term.drawn("Go on with the intake")
    lines = asked.splitlines()
    # The box is whole on the screen with the question under it: its title and its action
    # first, its source on one line.
    title = next(i for i, line in enumerate(lines) if "RED FLAG: EMERGENCY, now" in line)
    assert lines[title + 1].startswith("┃ Possible cauda equina syndrome"), asked
    sources = [line for line in lines if "Source R64" in line]
    assert len(sources) == 1 and sources[0].endswith("┃"), asked
    assert "Stop here and show the emergency summary" in asked

    term.send(ENTER)  # stopping is the default
    summary = " ".join(term.drawn(LAST_CHOICE).replace("│", " ").split())
    assert "EMERGENCY" in summary, summary
    assert "questions were not asked, and count as unknown" in summary, summary
    term.send(ENTER)
    term.expect("Finish without saving a report")
    term.send(ENTER)  # keep the answers, the default
    term.expect("Resume with:")
    term.close()
    assert term.child.exitstatus == 0
    (saved,) = (tmp_path / "state" / "hamstring" / "sessions").glob("*.yaml")
    # The command is printed whole (the terminal wraps it at the edge).
    joined = "".join(term.shown.splitlines())
    assert f"hamstring triage --resume {saved}" in joined, term.shown


def test_a_red_flag_box_stays_on_the_screen_with_the_next_question(tmp_path: Path) -> None:
    term = Terminal(tmp_path, "triage")
    term.expect("None of these")
    # Foot drop (the third sign) and fever (the sixth): two urgent flags raised at once (a growing
    # lump waits for the age, which decides its pathway); the intake goes on to the next
    # question, whose help gives way to the two boxes.
    term.send("\x1b[B" * 2 + " " + "\x1b[B" * 3 + " " + ENTER)
    term.expect("Does the patient take blood thinners")
    # Its last choice, going back, is drawn last.
    shown = term.drawn(r"b\) ← Back")
    assert shown.count("RED FLAG: URGENT, the same day") == 2, shown
    assert "Fever or feeling unwell - same-day medical assessment for infection." in shown
    assert "The intake goes on; this flag is in the summary." in shown
    assert "Does the patient take blood thinners" in shown and "Not sure" in shown
