"""The interactive intake, at two depths.

(a) The one prompt function, ``interactive.prompt``, is replaced by a script that answers each
prompt by its key: whole intakes, back, review and change, red flags, saving on every answer,
Ctrl-C and resume, the report offer, and ``--plain`` (which reads lines, not questionary).
(b) Real questionary prompts fed keys through prompt_toolkit's pipe input with a dummy output.
"""

from __future__ import annotations

import io
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import BUNDLED
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from typer.testing import CliRunner

from hamstring_cli import interactive
from hamstring_cli.answers import read_answers
from hamstring_cli.cache import load_questionnaire
from hamstring_cli.cli import app
from hamstring_cli.engine import BACK
from hamstring_cli.intake import screen as intake_screen
from hamstring_cli.intake.asks import (
    CHANGE,
    CHANGE_ANSWER,
    DISCARD,
    GO_ON,
    KEEP,
    KEEP_ANSWERS,
    MENU,
    NO_REPORT,
    NONE_OF_THESE,
    OVERWRITE,
    REASONING,
    REPORT_FORMAT,
    REVIEW,
    SAVE,
    SAVE_PATH,
    SAVE_REPORT,
    SHOW_SUMMARY,
    STOP,
    STOP_HERE,
    Ask,
    change_ask,
    interpret,
    question_ask,
    raised_flags,
)
from hamstring_cli.intake.asks import FINISH as CONFIRM
from hamstring_cli.interactive import intake
from hamstring_cli.model import Answer, Questionnaire
from hamstring_cli.scoring import score
from hamstring_cli.sessions import IntakeStopped, SessionFile, SessionFileError

FLAG_HEADING = "RED FLAG: EMERGENCY"


#: Session files go to a folder of the test's own (conftest.py has ``state``, and ``mini``).
pytestmark = pytest.mark.usefixtures("state")


@pytest.fixture(autouse=True)
def at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scripted intakes run as at a terminal: the menu after the summary is offered.

    The plain-mode tests replace standard input with text, which is not a terminal.
    """
    monkeypatch.setattr(
        interactive, "_stdin_is_terminal", lambda: not isinstance(sys.stdin, io.StringIO)
    )


def session_files(state: Path) -> list[Path]:
    return sorted(state.glob("*.yaml")) if state.exists() else []


class Script:
    """Stands in for ``interactive.prompt``: answers each prompt by its key, in order.

    Each step is ``(key, raw)``: what questionary would return (an option value, a list of
    ticked values, typed text). A callable ``raw`` is called with the :class:`Ask` first (to
    look at the session file at that moment, say); an exception class is raised.
    """

    def __init__(self, *steps: tuple[str, object]) -> None:
        self.steps = list(steps)
        self.asked: list[Ask] = []

    def __call__(self, ask: Ask, *args: object, **kwargs: object) -> object:
        self.asked.append(ask)
        assert self.steps, f"not scripted: {ask.key} ({ask.message})"
        key, raw = self.steps.pop(0)
        assert ask.key == key, f"asked {ask.key!r} where the script expects {key!r}"
        if isinstance(raw, type) and issubclass(raw, BaseException):
            raise raw
        if callable(raw):
            return raw(ask)
        return raw

    @property
    def keys(self) -> list[str]:
        return [a.key for a in self.asked]

    def done(self) -> None:
        assert not self.steps, f"not asked: {self.steps}"


def use(monkeypatch: pytest.MonkeyPatch, *steps: tuple[str, object]) -> Script:
    script = Script(*steps)
    monkeypatch.setattr(interactive, "prompt", script)
    return script


FINISH = ((REVIEW, SHOW_SUMMARY), (SAVE, NO_REPORT), (CONFIRM, DISCARD))
SUDDEN = (("flags", [NONE_OF_THESE]), ("onset", "sudden"), ("pop", "yes"), ("age", "34"))


# ---------------------------------------------------------------------------------------------
# (a) whole intakes with the ask function scripted


def test_a_full_intake_returns_the_path_answers_in_order(
    monkeypatch: pytest.MonkeyPatch,
    mini: Questionnaire,
    state: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = use(monkeypatch, *SUDDEN, *FINISH)
    answers = intake(mini, {})
    script.done()
    assert answers == {"flags": (), "onset": "sudden", "pop": "yes", "age": 34}
    assert list(answers) == ["flags", "onset", "pop", "age"]
    shown = capsys.readouterr().err
    # The conversation goes to stderr when stdout is not a terminal (as under pytest).
    assert "Safety screen" in shown and "History" in shown
    assert "Question 1, 3 to go" in shown
    assert "Serious causes come first." in shown
    assert "Review the answers" in shown and "34 years" in shown
    assert "Most likely: Tendon rupture" in shown
    assert session_files(state) == [], "the session file is removed once discarded"


def test_given_answers_are_not_asked_again(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire
) -> None:
    script = use(monkeypatch, ("pop", "no"), ("age", "60"), *FINISH)
    answers = intake(mini, {"flags": (), "onset": "sudden"})
    script.done()
    assert answers == {"flags": (), "onset": "sudden", "pop": "no", "age": 60}


def test_back_asks_the_previous_question_again_with_its_answer(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire
) -> None:
    script = use(
        monkeypatch,
        ("flags", [NONE_OF_THESE]),
        ("onset", "sudden"),
        ("pop", BACK),
        ("onset", "gradual"),
        ("weeks", "b"),
        ("onset", "gradual"),
        ("weeks", "10"),
        ("age", "50"),
        *FINISH,
    )
    answers = intake(mini, {})
    script.done()
    assert answers == {"flags": (), "onset": "gradual", "weeks": 10, "age": 50}
    second_onset = script.asked[3]
    assert second_onset.default == "sudden", "a question asked again shows its answer"
    assert any(c.value is BACK for c in script.asked[2].choices)
    assert not any(c.value is BACK for c in script.asked[0].choices), "nothing before the first"


def test_review_can_change_an_answer_and_the_walk_goes_on(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, capsys: pytest.CaptureFixture[str]
) -> None:
    script = use(
        monkeypatch,
        *SUDDEN,
        (REVIEW, CHANGE_ANSWER),
        (CHANGE, "onset"),  # picked from the list of answers
        ("onset", "gradual"),
        ("weeks", "8"),  # age is still on the path: it is not asked again
        (REVIEW, CHANGE_ANSWER),
        (CHANGE, BACK),  # back to the review without changing anything
        *FINISH,
    )
    answers = intake(mini, {})
    script.done()
    assert answers == {"flags": (), "onset": "gradual", "weeks": 8, "age": 34}
    shown = capsys.readouterr()
    screen = shown.out + shown.err
    # Asked again from the review, the onset opens one new question (the weeks): the count
    # says what will be asked, not the whole rest of the tree.
    assert "Question 2, then up to 1 more to go" in screen
    # Every answer on the path is listed in words, so no number has to be remembered.
    change = next(a for a in script.asked if a.key == CHANGE)
    assert change.kind == "select"
    assert [(c.key, c.title, c.value) for c in change.choices] == [
        ("1", "Any warning signs? → None of these", "flags"),
        ("2", "How did the pain start? → Suddenly", "onset"),
        ("3", "Was there a pop? → Yes", "pop"),
        ("4", "How old is the patient? → 34 years", "age"),
        ("b", "Back to the review, change nothing", BACK),
    ]


def test_a_red_flag_interrupts_once_with_advice_level_and_source(
    monkeypatch: pytest.MonkeyPatch,
    mini: Questionnaire,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seen_before_onset: list[str] = []

    def onset(ask: Ask) -> object:
        seen_before_onset.append(capsys.readouterr().err)
        return "gradual"

    script = use(
        monkeypatch,
        ("flags", ["numb", "fever"]),
        (STOP, GO_ON),
        ("onset", onset),
        ("weeks", "3"),
        ("age", "40"),
        *FINISH,
    )
    intake(mini, {})
    script.done()
    panel = seen_before_onset[0]
    # The title says how pressing, the advice (what to do) comes first, then the source.
    assert "RED FLAG: EMERGENCY, now" in panel
    assert "Possible cauda equina syndrome, emergency department now." in panel
    assert "Source R1: Source one." in panel
    assert panel.index("EMERGENCY") < panel.index("Possible cauda") < panel.index("Source R1")
    assert "The intake goes on" not in panel, "the question after it asks whether it goes on"
    stop = script.asked[1]
    assert [c.title for c in stop.choices] == [
        "Stop here and show the emergency summary",
        "Go on with the intake",
    ]
    assert stop.default == STOP_HERE
    assert FLAG_HEADING not in capsys.readouterr().err.split("Review the answers")[0], (
        "a flag already shown is not shown again at every question"
    )


def test_a_flag_is_shown_again_if_it_goes_and_comes_back(
    monkeypatch: pytest.MonkeyPatch,
    mini: Questionnaire,
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = use(
        monkeypatch,
        ("flags", ["numb"]),
        (STOP, GO_ON),
        ("onset", BACK),
        ("flags", [NONE_OF_THESE]),
        ("onset", BACK),
        ("flags", ["numb"]),
        (STOP, GO_ON),
        ("onset", "sudden"),
        ("pop", "no"),
        ("age", "40"),
        *FINISH,
    )
    intake(mini, {})
    script.done()
    assert capsys.readouterr().err.count(FLAG_HEADING) == 2


def test_every_answer_is_saved_as_it_is_given(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, state: Path
) -> None:
    seen: dict[str, dict[str, Answer]] = {}

    def look(answer: object) -> object:
        def step(ask: Ask) -> object:
            files = session_files(state)
            if files:
                (path,) = files
                assert stat.S_IMODE(path.stat().st_mode) == 0o600
                seen[ask.key] = dict(read_answers(path, mini))
            return answer

        return step

    script = use(
        monkeypatch,
        ("flags", look([NONE_OF_THESE])),
        ("onset", look("sudden")),
        ("pop", look("yes")),
        ("age", look("34")),
        (REVIEW, look(SHOW_SUMMARY)),
        (SAVE, NO_REPORT),
        (CONFIRM, DISCARD),
    )
    intake(mini, {})
    script.done()
    assert "flags" not in seen, "no file is written before anything is answered"
    assert seen["onset"] == {"flags": ()}
    assert seen["pop"] == {"flags": (), "onset": "sudden"}
    assert seen[REVIEW] == {"flags": (), "onset": "sudden", "pop": "yes", "age": 34}


def test_ctrl_c_saves_the_session_and_it_resumes_where_it_stopped(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, state: Path
) -> None:
    use(monkeypatch, ("flags", ["fever"]), ("onset", "sudden"), ("pop", KeyboardInterrupt))
    with pytest.raises(IntakeStopped) as caught:
        intake(mini, {})
    stop = caught.value
    assert stop.interrupted and stop.answered == 2 and stop.pending == "Was there a pop?"
    (saved,) = session_files(state)
    assert stop.saved == saved
    assert stop.resume is not None and f"--resume {saved}" in stop.resume

    given = read_answers(saved, mini)
    script = use(monkeypatch, ("pop", "no"), ("age", "70"), *FINISH)
    answers = intake(mini, given, session_file=saved, resuming=True)
    script.done()
    assert answers == {"flags": ("fever",), "onset": "sudden", "pop": "no", "age": 70}
    assert not saved.exists()


def test_a_flag_shown_before_a_stop_is_still_said_withdrawn_after_the_resume(
    monkeypatch: pytest.MonkeyPatch,
    mini: Questionnaire,
    state: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use(
        monkeypatch,
        ("flags", ["numb"]),
        (STOP, GO_ON),
        ("onset", "sudden"),
        ("pop", KeyboardInterrupt),
    )
    with pytest.raises(IntakeStopped):
        intake(mini, {})
    (saved,) = session_files(state)
    assert "# shown: " in saved.read_text("utf-8")  # the flag shown, kept beside the answers
    assert read_answers(saved, mini)["flags"] == ("numb",)  # and still an answer file
    capsys.readouterr()

    # Resumed with the flag's answer changed (as the review would change it).
    given = {**read_answers(saved, mini), "flags": ()}
    script = use(monkeypatch, ("pop", "no"), ("age", "70"), *FINISH)
    intake(mini, given, session_file=saved, resuming=True)
    script.done()
    shown = " ".join(capsys.readouterr().err.split())
    assert "Shown during the intake, now withdrawn" in shown
    assert "changed from 'Saddle numbness' to 'None of these'" in shown


def test_ctrl_c_before_any_answer_leaves_nothing_behind(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, state: Path
) -> None:
    use(monkeypatch, ("flags", KeyboardInterrupt))
    with pytest.raises(IntakeStopped) as caught:
        intake(mini, {})
    assert caught.value.saved is None
    assert session_files(state) == []


def test_a_session_file_that_is_not_one_is_refused_before_asking(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, tmp_path: Path
) -> None:
    case = tmp_path / "case.yaml"
    case.write_text("flags: []\n")
    script = use(monkeypatch)
    with pytest.raises(SessionFileError):
        intake(mini, {}, session_file=case)
    assert script.asked == []
    assert case.read_text() == "flags: []\n"


def test_a_report_can_be_saved_and_an_existing_file_is_kept_unless_confirmed(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, tmp_path: Path
) -> None:
    taken = tmp_path / "taken.md"
    taken.write_text("keep me")
    wanted = tmp_path / "report.md"
    script = use(
        monkeypatch,
        *SUDDEN,
        (REVIEW, SHOW_SUMMARY),
        (SAVE, SAVE_REPORT),
        (REPORT_FORMAT, "markdown"),
        (SAVE_PATH, str(taken)),
        (OVERWRITE, KEEP),
        (SAVE_PATH, str(wanted)),
    )
    intake(mini, {})
    script.done()
    assert taken.read_text() == "keep me"
    assert wanted.read_text().startswith("# A small intake")
    assert stat.S_IMODE(wanted.stat().st_mode) == 0o600


def test_no_report_is_offered_when_the_command_line_writes_one(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire
) -> None:
    def no_saving(ask: Ask) -> object:
        assert [c.value for c in ask.choices] == [NO_REPORT, REASONING]
        return NO_REPORT

    script = use(monkeypatch, *SUDDEN, (REVIEW, SHOW_SUMMARY), (SAVE, no_saving))
    intake(mini, {}, offer_save=False)
    script.done()


def test_the_reasoning_is_shown_on_request(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, capsys: pytest.CaptureFixture[str]
) -> None:
    script = use(monkeypatch, *SUDDEN, (REVIEW, SHOW_SUMMARY), (SAVE, REASONING), *FINISH[1:])
    intake(mini, {})
    script.done()
    out = capsys.readouterr()
    shown = out.out + out.err
    before, after = shown.split("Differential")
    assert "Most likely: Tendon rupture" in before
    assert "References" in after and "[R1]" in after


def test_the_menu_keeps_its_numbers_after_the_reasoning(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, tmp_path: Path
) -> None:
    menus: list[Ask] = []

    def pick(value: object) -> object:
        def step(ask: Ask) -> object:
            menus.append(ask)
            return value

        return step

    report = tmp_path / "report.md"
    script = use(
        monkeypatch,
        *SUDDEN,
        (REVIEW, SHOW_SUMMARY),
        (SAVE, pick(REASONING)),
        (SAVE, pick(SAVE_REPORT)),  # "3", as it was before the reasoning was shown
        (REPORT_FORMAT, "markdown"),
        (SAVE_PATH, str(report)),
    )
    intake(mini, {})
    script.done()
    first, second = ([(c.key, c.value) for c in m.choices] for m in menus)
    assert first == second == [("1", NO_REPORT), ("2", REASONING), ("3", SAVE_REPORT)]
    assert report.exists()


def test_a_saved_report_holds_the_answers_and_the_session_file_goes(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, state: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    script = use(
        monkeypatch,
        *SUDDEN,
        (REVIEW, SHOW_SUMMARY),
        (SAVE, SAVE_REPORT),
        (REPORT_FORMAT, "json"),
        (SAVE_PATH, str(report)),
    )
    intake(mini, {})
    script.done()
    assert dict(read_answers(report, mini)) == {
        "flags": (),
        "onset": "sudden",
        "pop": "yes",
        "age": 34,
    }
    assert session_files(state) == []


def test_finishing_without_a_report_asks_once_and_keeps_the_answers(
    monkeypatch: pytest.MonkeyPatch,
    mini: Questionnaire,
    mini_path: Path,
    state: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = use(
        monkeypatch,
        *SUDDEN,
        (REVIEW, SHOW_SUMMARY),
        (SAVE, NO_REPORT),
        (CONFIRM, lambda ask: ask.default),  # Enter: the default keeps them
    )
    intake(mini, {})
    script.done()
    confirm = script.asked[-1]
    assert confirm.message == "Finish without saving a report?"
    assert [c.value for c in confirm.choices] == [KEEP_ANSWERS, DISCARD, MENU]
    (saved,) = session_files(state)
    shown = capsys.readouterr().err.replace("\r\n", "\n")
    # Where they stay, for how long, and the command that resumes them, each to copy whole.
    assert f"The answers stay in\n  {saved}\nuntil you discard them" in shown
    assert f"\n  hamstring triage --questionnaire {mini_path} --resume {saved}\n" in shown
    assert dict(read_answers(saved, mini)) == {
        "flags": (),
        "onset": "sudden",
        "pop": "yes",
        "age": 34,
    }

    # Resumed, the complete intake goes to the review, and can be finished and discarded.
    given = read_answers(saved, mini)
    script = use(monkeypatch, *FINISH)
    intake(mini, given, session_file=saved, resuming=True)
    script.done()
    assert not saved.exists()
    assert "The answers were discarded." in capsys.readouterr().err.replace("\r\n", "\n")


def test_no_from_the_finish_question_goes_back_to_the_menu(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, state: Path
) -> None:
    script = use(
        monkeypatch,
        *SUDDEN,
        (REVIEW, SHOW_SUMMARY),
        (SAVE, NO_REPORT),
        (CONFIRM, MENU),
        (SAVE, NO_REPORT),
        (CONFIRM, DISCARD),
    )
    intake(mini, {})
    script.done()
    assert session_files(state) == []


def test_an_input_that_ends_at_the_menu_keeps_the_answers(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, state: Path
) -> None:
    script = use(monkeypatch, *SUDDEN, (REVIEW, SHOW_SUMMARY), (SAVE, EOFError))
    intake(mini, {})
    script.done()
    (saved,) = session_files(state)
    assert dict(read_answers(saved, mini))["age"] == 34


def test_a_report_that_cannot_be_written_keeps_the_answers_and_says_where(
    monkeypatch: pytest.MonkeyPatch, mini_path: Path, state: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()

    def gone(ask: Ask) -> object:
        folder.rmdir()  # the folder of --output goes while the intake runs
        return "34"

    steps = dict([*SUDDEN[:3], ("age", gone), (REVIEW, SHOW_SUMMARY), (SAVE, NO_REPORT)])

    def answer(ask: Ask, *args: object, **kwargs: object) -> object:
        return Script((ask.key, steps[ask.key]))(ask)

    monkeypatch.setattr(interactive, "prompt_plain", answer)
    result = CliRunner().invoke(
        app,
        ["triage", "--plain", "-q", str(mini_path), "-o", str(folder / "r.md"), "-f", "markdown"],
    )
    assert result.exit_code == 1, result.output
    (saved,) = session_files(state)
    assert f"cannot write {folder / 'r.md'}" in result.stderr
    assert f"The answers stay in\n  {saved}\n" in result.stderr
    assert f"--resume {saved}" in result.stderr


# ---------------------------------------------------------------------------------------------
# An emergency on the safety screen: stop for the emergency summary, or go on


def test_an_emergency_flag_stops_the_intake_and_shows_its_summary(
    monkeypatch: pytest.MonkeyPatch,
    mini: Questionnaire,
    state: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = use(
        monkeypatch,
        ("flags", ["numb"]),
        (STOP, lambda ask: ask.default),  # Enter: stopping is the default
        (SAVE, NO_REPORT),
        (CONFIRM, lambda ask: ask.default),
    )
    answers = intake(mini, {})
    script.done()
    assert answers == {"flags": ("numb",)}, "the summary reads the answers given so far"
    shown = capsys.readouterr().err.replace("\r\n", "\n")
    # The red-flag box, then the summary it led to.
    assert "RED FLAG: EMERGENCY" in shown and shown.count("EMERGENCY") >= 2
    assert "after 1 answer: 3 questions were not asked, and count as unknown" in " ".join(
        shown.split()
    )
    assert "Review the answers" not in shown, "stopped: no review"
    # Nothing is lost: the answers stay, resumable where the intake stopped.
    (saved,) = session_files(state)
    assert f"The answers so far stay in\n  {saved}" in shown
    # Resumed, the flag is shown again and the stop offered again: going on is one choice.
    script = use(
        monkeypatch, (STOP, GO_ON), ("onset", "gradual"), ("weeks", "3"), ("age", "40"), *FINISH
    )
    resumed = intake(mini, read_answers(saved, mini), session_file=saved, resuming=True)
    script.done()
    assert resumed == {"flags": ("numb",), "onset": "gradual", "weeks": 3, "age": 40}


def test_the_stop_is_not_asked_of_piped_answers(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("1\n1\n1\n34\n"))
    answers = intake(mini, {}, plain=True)
    assert answers == {"flags": ("numb",), "onset": "sudden", "pop": "yes", "age": 34}
    shown = capsys.readouterr().err
    assert "RED FLAG: EMERGENCY, now: Cauda equina" in shown
    assert "The intake goes on; this flag is in the summary." in shown
    assert "stop the intake here" not in shown


def test_plain_at_a_terminal_offers_the_stop_with_numbers(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("1\n\n\n\n"))
    monkeypatch.setattr(interactive, "_stdin_is_terminal", lambda: True)
    answers = intake(mini, {}, plain=True)
    assert answers == {"flags": ("numb",)}
    shown = capsys.readouterr().err
    assert "An emergency: stop the intake here?" in shown
    assert "  1. Stop here and show the emergency summary\n" in shown
    assert "  2. Go on with the intake\n" in shown
    assert "Enter alone keeps 1" in shown


def test_stopping_at_each_emergency_of_the_bundled_safety_screen_gives_an_emergency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    q = load_questionnaire(BUNDLED)
    screen = q.question(q.start)
    emergencies = 0
    for option in screen.options:
        live = [r for r in raised_flags(q, {q.start: (option.value,)}) if r.level == "emergency"]
        if not live:
            continue
        emergencies += 1
        script = use(
            monkeypatch,
            (q.start, [option.value]),
            (STOP, STOP_HERE),
            (SAVE, NO_REPORT),
            (CONFIRM, DISCARD),
        )
        answers = intake(q, {})
        script.done()
        result = score(q, answers)
        assert result.triage.level == "emergency", option.value
        assert {r.id for r in live} <= {f.id for f in result.red_flags}, option.value
    assert emergencies >= 2, "the safety screen has emergencies to stop for"


def test_an_emergency_stop_claims_no_finding_from_questions_never_asked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Stopped after the safety screen, every other question is unknown: a rule that holds only
    # because a question was not asked ("no sit-bone pain") is no finding, and nothing is sure.
    q = load_questionnaire(BUNDLED)
    screen = q.question(q.start)
    first = next(
        option.value
        for option in screen.options
        if any(r.level == "emergency" for r in raised_flags(q, {q.start: (option.value,)}))
    )
    script = use(
        monkeypatch, (q.start, [first]), (STOP, STOP_HERE), (SAVE, NO_REPORT), (CONFIRM, DISCARD)
    )
    intake(q, {})
    script.done()
    shown = capsys.readouterr().err
    assert "confidence low" in shown
    assert "Because:" not in shown
    assert "count as unknown in this summary" in shown


def test_an_emergency_stop_is_not_offered_when_nothing_is_left_to_ask(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, capsys: pytest.CaptureFixture[str]
) -> None:
    given: dict[str, Answer] = {"flags": ("numb",), "onset": "sudden", "pop": "yes", "age": 34}
    script = use(monkeypatch, *FINISH)
    intake(mini, given)
    script.done()
    assert FLAG_HEADING in capsys.readouterr().err, "the flag is shown, then the review"


# ---------------------------------------------------------------------------------------------
# Prompts as data


def test_questions_become_prompts(mini: Questionnaire) -> None:
    flags = question_ask(mini.question("flags"), (), can_back=False)
    assert flags.kind == "checkbox"
    assert [c.title for c in flags.choices] == ["Saddle numbness", "Fever", "None of these"]
    assert flags.default == (NONE_OF_THESE,), "a 'none' answer asked again is ticked as such"
    assert flags.choices[0].help == "Cauda equina until proven otherwise."

    onset = question_ask(mini.question("onset"), "gradual", can_back=True)
    assert onset.kind == "select" and onset.default == "gradual"
    assert [c.key for c in onset.choices] == ["1", "2", "b"]

    age = question_ask(mini.question("age"), None, can_back=True)
    assert age.kind == "text" and age.hint == "5 to 110 years"
    assert age.check is not None
    assert age.check("34") is None and age.check("b") is None
    assert age.check("200") == "Type a whole number from 5 to 110 years, or b to go back"
    assert age.check("abc") == age.check("200")


def test_checkbox_answers_need_a_tick_and_none_goes_alone(mini: Questionnaire) -> None:
    ask = question_ask(mini.question("flags"), None, can_back=True)
    assert ask.check is not None
    assert ask.check([]) is not None
    assert ask.check([NONE_OF_THESE, "numb"]) is not None
    assert ask.check([NONE_OF_THESE]) is None
    assert interpret(ask, [NONE_OF_THESE]) == []
    assert interpret(ask, ["numb", BACK]) is BACK
    assert interpret(ask, ["fever"]) == ["fever"]


def test_red_flags_are_read_from_the_rules_on_the_answers_so_far(mini: Questionnaire) -> None:
    assert raised_flags(mini, {}) == []
    assert [r.id for r in raised_flags(mini, {"flags": ("numb",)})] == ["cauda_equina"]
    assert raised_flags(mini, {"flags": ("fever",)}) == []


# ---------------------------------------------------------------------------------------------
# --plain: numbered lines read from standard input


def plain(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, typed: str, **kwargs: object
) -> dict[str, Answer]:
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))
    return intake(mini, {}, plain=True, **kwargs)  # type: ignore[arg-type]


def test_plain_mode_reads_numbers_and_reasks_bad_input(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(interactive, "prompt", Script())  # questionary is never used
    typed = "\n".join(["3", "1, 2", "9", "2", "abc", "200", "12", "b", "", "30", "", "1", ""])
    answers = plain(monkeypatch, mini, typed + "\n")
    assert answers == {"flags": ("numb", "fever"), "onset": "gradual", "weeks": 12, "age": 30}
    shown = capsys.readouterr().err
    assert "  1. Saddle numbness" in shown and "  0. None of these" in shown
    assert "'3' is not one of the numbers shown" in shown
    assert shown.count("Type a whole number from 0 to 52 weeks, or b to go back") == 2
    assert "Enter alone keeps 12" in shown, "back shows the answer given"
    assert "\x1b" not in shown, "plain mode writes no escape codes"


def test_plain_mode_never_takes_enter_alone_as_none_of_these(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = plain(monkeypatch, mini, "\n0\n1\n1\n34\n\n")
    assert answers == {"flags": (), "onset": "sudden", "pop": "yes", "age": 34}
    shown = capsys.readouterr().err
    assert "Type 0 for none of these, or the numbers of all that apply" in shown
    # Each accepted answer is read back on a line of its own.
    for echo in ("→ None of these", "→ Suddenly", "→ Yes", "→ 34 years"):
        assert f"\n{echo}\n" in shown
    assert "Finish here" not in shown, "no menu when standard input is not a terminal"


def test_plain_mode_stops_cleanly_when_the_input_ends(
    monkeypatch: pytest.MonkeyPatch, mini: Questionnaire, state: Path
) -> None:
    with pytest.raises(IntakeStopped) as caught:
        plain(monkeypatch, mini, "0\n1\n")
    stop = caught.value
    assert not stop.interrupted and stop.pending == "Was there a pop?"
    (saved,) = session_files(state)
    assert f"hamstring triage --answers {saved}" in str(stop)
    assert dict(read_answers(saved, mini)) == {"flags": (), "onset": "sudden"}


# ---------------------------------------------------------------------------------------------
# The command line around the intake


def test_the_command_exits_130_with_the_resume_command_and_resumes(
    monkeypatch: pytest.MonkeyPatch, mini_path: Path, state: Path
) -> None:
    def interrupt(ask: Ask, *args: object, **kwargs: object) -> object:
        if ask.key == "pop":
            raise KeyboardInterrupt
        return {"flags": [NONE_OF_THESE], "onset": "sudden"}[ask.key]

    monkeypatch.setattr(interactive, "prompt_plain", interrupt)
    runner = CliRunner()
    stopped = runner.invoke(app, ["triage", "--plain", "-q", str(mini_path)])
    assert stopped.exit_code == 130, stopped.output
    (saved,) = session_files(state)
    assert "interrupted at 'Was there a pop?'; 2 answers are saved in" in stopped.stderr
    assert f"hamstring triage --questionnaire {mini_path} --resume {saved}" in stopped.stderr

    monkeypatch.undo()
    monkeypatch.setenv("XDG_STATE_HOME", str(state.parent.parent))
    resumed = runner.invoke(
        app,
        ["triage", "--plain", "-q", str(mini_path), "--resume", str(saved), "-f", "json"],
        input="2\n70\n\n1\n",
    )
    assert resumed.exit_code == 0, resumed.output
    assert '"pop": "no"' in resumed.stdout and '"age": 70' in resumed.stdout
    assert not saved.exists()


def test_the_command_refuses_an_existing_output_before_asking(
    monkeypatch: pytest.MonkeyPatch, mini_path: Path, tmp_path: Path
) -> None:
    existing = tmp_path / "report.md"
    existing.write_text("keep")
    script = Script()
    monkeypatch.setattr(interactive, "prompt_plain", script)
    result = CliRunner().invoke(
        app, ["triage", "--plain", "-q", str(mini_path), "-o", str(existing)]
    )
    assert result.exit_code == 1
    assert "exists; use --force" in result.stderr
    assert script.asked == []


def test_a_session_file_is_an_answer_file(
    mini_path: Path, mini: Questionnaire, tmp_path: Path
) -> None:
    saved = tmp_path / "s.yaml"
    SessionFile(saved, mini).save({"flags": (), "onset": "sudden", "pop": "yes", "age": 34}, {})
    result = CliRunner().invoke(
        app, ["triage", "-q", str(mini_path), "--answers", str(saved), "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    assert '"leading": "rupture"' in result.stdout


def test_no_terminal_and_no_answers_is_a_clear_error(mini_path: Path) -> None:
    result = CliRunner().invoke(app, ["triage", "-q", str(mini_path)], input="")
    assert result.exit_code == 1
    assert "--answers FILE" in result.stderr
    assert result.stdout == ""


# ---------------------------------------------------------------------------------------------
# (b) real questionary prompts, keys through a pipe


Keys = Callable[[str], None]


@pytest.fixture
def keys() -> Iterator[Keys]:
    """Send keys to the next real prompt: ``keys("2\\r")`` then call ``interactive.prompt``."""
    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        yield pipe.send_text


def test_a_select_answers_by_shortcut_key(keys: Keys, mini: Questionnaire) -> None:
    ask = question_ask(mini.question("onset"), None, can_back=True)
    keys("2\r")
    assert interpret(ask, interactive.prompt(ask)) == "gradual"


def test_a_select_goes_back_with_b(keys: Keys, mini: Questionnaire) -> None:
    ask = question_ask(mini.question("onset"), "sudden", can_back=True)
    keys("b\r")
    assert interpret(ask, interactive.prompt(ask)) is BACK


def test_a_select_starts_on_the_current_answer(keys: Keys, mini: Questionnaire) -> None:
    ask = question_ask(mini.question("onset"), "gradual", can_back=False)
    keys("\r")
    assert interactive.prompt(ask) == "gradual"


def test_a_checkbox_refuses_nothing_ticked_then_takes_ticks(
    keys: Keys, mini: Questionnaire
) -> None:
    ask = question_ask(mini.question("flags"), None, can_back=False)
    # Enter with nothing ticked is refused; then tick the first and the second, and answer.
    keys("\r \x1b[B \r")
    assert interpret(ask, interactive.prompt(ask)) == ["numb", "fever"]


def test_a_checkbox_none_of_these(keys: Keys, mini: Questionnaire) -> None:
    ask = question_ask(mini.question("flags"), None, can_back=True)
    keys("\x1b[B\x1b[B \r")
    assert interpret(ask, interactive.prompt(ask)) == []


def test_an_integer_prompt_reasks_until_the_number_is_in_range(
    keys: Keys, mini: Questionnaire
) -> None:
    ask = question_ask(mini.question("age"), None, can_back=True)
    keys("abc\r" + "\x7f" * 3 + "200\r" + "\x7f" * 3 + "34\r")
    assert interactive.prompt(ask) == "34"


def test_an_integer_prompt_goes_back_with_b(keys: Keys, mini: Questionnaire) -> None:
    ask = question_ask(mini.question("age"), 40, can_back=True)
    keys("\x7f\x7fb\r")
    assert interpret(ask, interactive.prompt(ask)) is BACK


def test_ctrl_c_in_a_prompt_is_a_keyboard_interrupt(keys: Keys, mini: Questionnaire) -> None:
    ask = question_ask(mini.question("onset"), None, can_back=False)
    keys("\x03")
    with pytest.raises(KeyboardInterrupt):
        interactive.prompt(ask)


# ---------------------------------------------------------------------------------------------
# The pager says how to close it while it is open


def pager_stub(tmp_path: Path, name: str) -> tuple[str, Path]:
    """A pager named ``name`` that writes its arguments, then what it was given, to a file."""
    record = tmp_path / f"{name}.out"
    stub = tmp_path / name
    script = f'#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done > {record}\n'
    stub.write_text(script + f"cat >> {record}\n")
    stub.chmod(0o755)
    return str(stub), record


def test_less_is_given_a_prompt_that_says_how_to_close_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command, record = pager_stub(tmp_path, "less")
    monkeypatch.setenv("PAGER", command)
    screen = intake_screen.Screen(io.StringIO(), plain=True)
    screen.page_text("the text\n", "Review: 20% of 1.5 answers?")
    args = record.read_text().splitlines()
    # less's own prompt characters in the title are escaped, so it is shown as written.
    assert args[0] == (
        r"-PsReview\: 20\% of 1\.5 answers\?\: lines %lt-%lb?L of %L. - "
        "?e(end), q closes it:Space for more, q closes it."
    )
    assert args[1] == "the text"


def test_another_pager_shows_the_way_out_on_its_first_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command, record = pager_stub(tmp_path, "more")
    monkeypatch.setenv("PAGER", command)
    screen = intake_screen.Screen(io.StringIO(), plain=True)
    screen.page_text("the text\n", "The reasoning")
    assert record.read_text() == "The reasoning (q closes it)\nthe text\n"


def test_an_answer_to_change_fits_one_line_and_keeps_its_answer_whole() -> None:
    question = "Does the patient have any of these warning signs? Select every one that applies."
    title = f"1. {question} → Saddle numbness; Fever"
    cut = intake_screen._one_line(title, 60)
    assert len(cut) == 60 and cut.endswith("… → Saddle numbness; Fever")
    assert cut.startswith("1. Does the patient have")
    assert intake_screen._one_line("2. Age? → 34 years", 60) == "2. Age? → 34 years"
    assert intake_screen._one_line("x" * 100, 60) == "x" * 59 + "…"


def test_the_change_list_shows_a_cut_entry_whole_below_it(
    keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    import questionary

    from hamstring_cli.engine import Session

    shown: list[questionary.Choice] = []
    real = questionary.select

    def select(message: str, choices: list[questionary.Choice], **kwargs: Any) -> Any:
        shown.extend(choices)
        return real(message, choices, **kwargs)

    monkeypatch.setattr(questionary, "select", select)
    q = load_questionnaire(BUNDLED)
    session = Session(q, {"red_flags": ("saddle_or_bladder", "fever_unwell")})
    ask = change_ask(session)
    keys("\r")
    assert interactive.prompt(ask) == "red_flags"
    first = shown[0]
    title = str(first.title)
    assert len(title) <= 80 - 7 and "\n" not in title, "one line in an 80-column terminal"
    assert title.startswith("Does the patient have any") and title.endswith("…")
    # Pointed at, it is given whole below the list.
    whole = " ".join(str(first.description).split())
    assert "Select every one that applies. → Saddle numbness" in whole
    assert whole.endswith("Fever, night sweats or feeling generally unwell")
