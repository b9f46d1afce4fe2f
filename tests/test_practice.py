"""Grading and feedback for students: pure grading, the sitting with its prompts patched, and
scripted grading through the command line."""

from __future__ import annotations

import io
import json
import random
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.cases import read_case, run_case
from hamstring_cli.cli import app
from hamstring_cli.explain import ConditionContributions, Contribution
from hamstring_cli.interactive import Ask
from hamstring_cli.model import Answer
from hamstring_cli.practice import (
    Grade,
    Guess,
    Outcome,
    Tally,
    check_guess,
    discriminating,
    feedback,
    grade,
    history_differences,
    outcome_of,
    sitting_order,
)
from hamstring_cli.practice_session import (
    ANOTHER,
    IMAGING,
    LEADING,
    LEVEL,
    MORE,
    PracticeStopped,
    make_console,
    run_sitting,
)
from hamstring_cli.scoring import Finding

if TYPE_CHECKING:
    from rich.console import Console

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "questionnaires" / "cases"
QUESTIONNAIRE = REPO / "questionnaires" / "proximal_hamstring.yaml"
runner = CliRunner()


def plain_console(screen: io.StringIO) -> Console:
    """A plain console wide enough that no line of the tests' expectations is wrapped."""
    return make_console(screen, plain=True, width=400)


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


# ---------------------------------------------------------------------------------------------
# Grading


EXPECTED = Outcome("acute_rupture", "urgent", "MRI")


def test_a_right_guess_is_right_on_every_item() -> None:
    mark = grade(Guess("acute_rupture", "urgent", "MRI"), EXPECTED)
    assert mark == Grade(leading=True, level=True, imaging=True)
    assert mark.all
    assert mark.to_dict() == {"leading": True, "level": True, "imaging": True, "all": True}


@pytest.mark.parametrize(
    ("guess", "marks"),
    [
        (Guess("muscle_strain", "urgent", "MRI"), (False, True, True)),
        (Guess("acute_rupture", "routine", "MRI"), (True, False, True)),
        (Guess("acute_rupture", "urgent", "none"), (True, True, False)),
        (Guess("tendinopathy", "soon", "X-ray"), (False, False, False)),
    ],
)
def test_a_wrong_item_is_marked_wrong_alone(guess: Guess, marks: tuple[bool, ...]) -> None:
    mark = grade(guess, EXPECTED)
    assert (mark.leading, mark.level, mark.imaging) == marks
    assert not mark.all


def test_imaging_left_out_is_not_graded() -> None:
    mark = grade(Guess("acute_rupture", "urgent"), EXPECTED)
    assert mark.imaging is None
    assert mark.marks == (True, True)
    assert mark.all


def test_the_tally_counts_cases_and_items() -> None:
    tally = Tally().add(Grade(True, True, True)).add(Grade(True, False, None))
    assert (tally.cases, tally.all_right, tally.items_right, tally.items_graded) == (2, 1, 4, 5)
    assert tally.words() == "2 cases, 1 fully right; 4 of 5 answers right"


def test_a_guess_outside_the_allowed_values_is_named_with_a_hint() -> None:
    q = load_questionnaire(QUESTIONNAIRE)
    assert check_guess(q, Guess("acute_rupture", "urgent", "MRI")) == ()
    (bad,) = check_guess(q, Guess("muscle_strian", "urgent"))
    assert bad.item == "leading"
    assert "did you mean 'muscle_strain'" in str(bad)
    assert "referred_pain" in bad.words("--guess")


def test_sitting_order_puts_the_chosen_case_first_and_repeats_with_a_seed() -> None:
    ids = [f"case-{n}" for n in range(8)]
    first = sitting_order(ids, "case-5", random.Random(7))
    assert first[0] == "case-5"
    assert sorted(first) == sorted(ids)
    assert sitting_order(ids, None, random.Random(7)) == sitting_order(ids, None, random.Random(7))


def finding(text: str, weight: float) -> Finding:
    return Finding(text, weight, "R1")


def test_discriminating_findings_are_those_the_other_condition_lacks_or_counts_against() -> None:
    leader = ConditionContributions(
        "rupture",
        "Rupture",
        8,
        (
            Contribution(("pop",), 1, (finding("a pop", 1),)),
            Contribution(("onset", "site"), 6, (finding("the rupture pattern", 6),)),
            Contribution(("bruise",), 1, (finding("a large bruise", 1),)),
        ),
    )
    second = ConditionContributions(
        "strain",
        "Strain",
        3,
        (
            # A pop at a young age: the rupture has no finding that reads both answers.
            Contribution(("age", "pop"), 1, (finding("a pop when young", 1),)),
            # A sudden onset is part of the rupture pattern too: it separates neither.
            Contribution(("onset",), 2, (finding("a sudden onset", 2),)),
            Contribution(("bruise",), -1, (finding("a bruise is unusual", -1),)),
        ),
    )
    found = discriminating([leader, second])
    assert [(d.favours, d.finding.text, [f.text for f in d.other]) for d in found] == [
        # The pop counts for both (the strain's finding reads it too): it separates neither.
        ("rupture", "the rupture pattern", []),
        ("rupture", "a large bruise", ["a bruise is unusual"]),
        ("strain", "a pop when young", []),
    ]
    assert discriminating([leader]) == ()


def test_history_differences_name_each_answer_that_differs() -> None:
    given = {"onset": "sudden", "pop": "no"}
    patient = {"onset": "sudden", "pop": "yes", "bruising": "extensive"}
    found = history_differences(given, patient)
    assert [(d.question, d.given, d.patient) for d in found] == [
        ("pop", "no", "yes"),
        ("bruising", None, "extensive"),
    ]


def test_feedback_on_a_case_grades_and_explains() -> None:
    case = read_case(CASES / "acute-rupture-water-ski.yaml")
    q = load_questionnaire(QUESTIONNAIRE)
    run = run_case(case, q)
    shown = feedback(
        q,
        case_id=case.id,
        case_title=case.title,
        expected=case.expected,
        teaching_points=case.teaching_points,
        answers=run.answers,
        guess=Guess("muscle_strain", "routine", "none"),
    )
    assert outcome_of(shown.result) == case.expected
    assert not shown.grade.leading and not shown.grade.level and not shown.grade.imaging
    assert shown.runner_up is not None
    assert all(d.favours in (shown.result.leading, shown.runner_up) for d in shown.discriminating)
    assert shown.leading_changes and all(c.changes_leading for c in shown.leading_changes)
    data = shown.to_dict()
    assert set(data) == {"case", "expected", "guess", "correct", "result", "feedback"}
    assert data["correct"] == {"leading": False, "level": False, "imaging": False, "all": False}
    points: Any = data["feedback"]
    assert points["teaching_points"][0] == {"text": case.teaching_points[0].text, "source": "R4"}


# ---------------------------------------------------------------------------------------------
# The sitting, with the prompts answered by the test


class Student:
    """Answers the practice prompts by key, and records what the screen showed before each."""

    def __init__(self, console_text: io.StringIO, answers: dict[str, list[object]]) -> None:
        self.screen = console_text
        self.answers = answers
        self.seen: dict[str, str] = {}

    def __call__(self, ask: Ask) -> object:
        self.seen.setdefault(ask.key, self.screen.getvalue())
        queue = self.answers[ask.key]
        value = queue.pop(0)
        if isinstance(value, BaseException):
            raise value
        return value


def test_the_call_comes_before_the_result_and_the_tally_adds_up() -> None:
    case = read_case(CASES / "muscle-strain-sprinter.yaml")
    screen = io.StringIO()
    student = Student(
        screen,
        {
            LEADING: ["muscle_strain", "acute_rupture"],
            LEVEL: ["routine", "urgent"],
            IMAGING: ["none", "MRI"],
            MORE: [False, True],
            ANOTHER: [True],
        },
    )
    other = read_case(CASES / "acute-rupture-water-ski.yaml")
    tally = run_sitting(
        [case, other],
        first=case.id,
        auto=True,
        plain=True,
        console=plain_console(screen),
        prompt=student,
    )
    before_call = student.seen[LEADING]
    assert case.story.split(".")[0] in before_call
    assert "The patient's answers:" in before_call
    assert "Expected" not in before_call and "Teaching points" not in before_call
    text = screen.getvalue()
    assert text.index("Teaching points") > text.index("Your call: A winger")
    assert (tally.cases, tally.all_right, tally.items_right) == (2, 2, 6)
    assert "Final score: 2 cases, 2 fully right; 6 of 6 answers right." in text
    assert "That was the last case." in text


def as_the_patient(patient: dict[str, Answer], ask: Ask) -> object:
    """What a student types who takes the patient's answers and calls a tendinopathy."""
    if ask.key in patient:
        answer = patient[ask.key]
        return list(answer) if isinstance(answer, tuple) else str(answer)
    return {
        LEADING: "tendinopathy",
        LEVEL: "routine",
        IMAGING: "none",
        MORE: False,
        ANOTHER: False,
    }[ask.key]


def test_taking_the_history_as_the_patient_would_leaves_no_difference() -> None:
    case = read_case(CASES / "tendinopathy-hill-runner.yaml")
    q = load_questionnaire(QUESTIONNAIRE)
    patient = run_case(case, q).answers
    screen = io.StringIO()

    def student(ask: Ask) -> object:
        return as_the_patient(patient, ask)

    tally = run_sitting(
        [case], auto=False, plain=True, console=plain_console(screen), prompt=student
    )
    assert tally.all_right == 1
    assert "Where your history differs" not in screen.getvalue()


def test_a_history_that_differs_is_shown_against_the_patients_answers() -> None:
    case = read_case(CASES / "tendinopathy-hill-runner.yaml")
    q = load_questionnaire(QUESTIONNAIRE)
    patient = run_case(case, q).answers
    screen = io.StringIO()

    def student(ask: Ask) -> object:
        if ask.key == "bent_knee_stretch":
            return "not_done"
        return as_the_patient(patient, ask)

    run_sitting([case], plain=True, console=plain_console(screen), prompt=student)
    text = screen.getvalue()
    assert "Where your history differs from the patient's" in text
    assert "You recorded: Not done; the patient would say: Positive" in text


def test_ctrl_c_stops_the_sitting_with_the_tally_so_far() -> None:
    cases = [read_case(CASES / "muscle-strain-sprinter.yaml")]
    screen = io.StringIO()
    student = Student(screen, {LEADING: [KeyboardInterrupt()]})
    with pytest.raises(PracticeStopped) as stopped:
        run_sitting(cases, auto=True, plain=True, console=plain_console(screen), prompt=student)
    assert stopped.value.interrupted
    assert stopped.value.tally == Tally()


def test_plain_prompts_read_numbered_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    # The real numbered prompts: 3 is the muscle strain, 4 routine, 4 no imaging, 2 no more,
    # 2 stop.
    monkeypatch.setattr("sys.stdin", io.StringIO("3\n4\n4\n2\n2\n"))
    screen = io.StringIO()
    tally = run_sitting(
        [read_case(CASES / "muscle-strain-sprinter.yaml")],
        auto=True,
        plain=True,
        console=plain_console(screen),
    )
    assert tally.all_right == 1
    assert "1. Acute proximal hamstring rupture" in screen.getvalue()


# ---------------------------------------------------------------------------------------------
# Scripted grading for teachers


def practice(*args: str | Path) -> Any:
    return runner.invoke(app, ["practice", *map(str, args)])


def test_list_names_every_bundled_case() -> None:
    result = practice("--list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    ids = sorted(p.stem for p in CASES.glob("*.yaml"))
    assert [line.split("\t")[0] for line in lines] == ids


def test_scripted_grading_prints_the_marks_and_the_result_as_json() -> None:
    result = practice(
        "--case", "acute-rupture-water-ski", "--guess", "acute_rupture", "--level", "urgent",
        "--imaging", "mri", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["case"]["id"] == "acute-rupture-water-ski"
    assert data["expected"] == {"leading": "acute_rupture", "level": "urgent", "imaging": "MRI"}
    assert data["correct"] == {"leading": True, "level": True, "imaging": True, "all": True}
    assert data["result"]["leading"] == "acute_rupture"
    assert {"discriminating", "what_if", "teaching_points"} <= set(data["feedback"])


def test_scripted_grading_of_a_wrong_call() -> None:
    result = practice(
        "--case", "red-flag-cauda-equina", "--guess", "referred_pain", "--level", "routine",
        "--format", "json",
    )  # fmt: skip
    data = json.loads(result.stdout)
    assert data["correct"] == {"leading": True, "level": False, "imaging": None, "all": False}
    assert data["guess"]["imaging"] is None


def test_scripted_grading_scores_an_answer_file_instead(tmp_path: Path) -> None:
    # The student's own history of the water-skier: no pop, no bruise, mid-thigh pain.
    answers = tmp_path / "mine.yaml"
    answers.write_text(
        textwrap.dedent(
            """\
            red_flags: []
            anticoagulants: "no"
            age: 44
            onset: sudden
            mechanism: overstretch
            pop: "no"
            could_continue: "yes"
            days_since_injury: 5
            bruising: none
            walking: normal
            pain_site: mid_thigh
            sitting_pain: none
            numbness: none
            back_pain: "no"
            prior_hamstring_injury: "no"
            examined: "no"
            """
        ),
        encoding="utf-8",
    )
    result = practice(
        "--case", "acute-rupture-water-ski", "--answers", answers, "--guess", "muscle_strain",
        "--level", "routine", "--imaging", "none", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["result"]["leading"] == "muscle_strain"
    assert data["correct"]["all"] is False  # graded against the case, not the file
    differences = {d["question"] for d in data["feedback"]["history_differences"]}
    assert {"pop", "pain_site", "examined"} <= differences


def test_scripted_grading_as_text_reads_as_feedback() -> None:
    result = practice(
        "--case", "bony-avulsion-adolescent-kick", "--guess", "acute_rupture", "--level",
        "urgent", "--imaging", "MRI",
    )  # fmt: skip
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Leading condition: you said Acute proximal hamstring rupture" in text
    assert "wrong" in text and "right" in text
    assert "What separates" in text
    assert "Teaching points" in text and "[R25]" in text


def test_an_invalid_guess_is_a_usage_error_listing_the_allowed_values() -> None:
    result = practice(
        "--case", "acute-rupture-water-ski", "--guess", "rupture", "--level", "urgent"
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    message = result.stderr
    assert "--guess 'rupture' is not allowed" in message
    assert "acute_rupture, tendinopathy, muscle_strain, bony_avulsion, referred_pain" in message


def test_an_invalid_level_or_imaging_is_a_usage_error() -> None:
    base = ("--case", "acute-rupture-water-ski", "--guess", "acute_rupture")
    for extra in (("--level", "soonish"), ("--level", "urgent", "--imaging", "CT")):
        result = practice(*base, *extra)
        assert result.exit_code == 2
        assert "Invalid value" in result.stderr


def test_scripted_grading_needs_the_case_guess_and_level() -> None:
    result = practice("--guess", "acute_rupture", "--level", "urgent")
    assert result.exit_code == 2
    assert "needs --case, --guess and --level" in result.stderr


def test_an_unknown_case_names_the_cases() -> None:
    result = practice("--case", "water-skier", "--guess", "acute_rupture", "--level", "urgent")
    assert result.exit_code == 1


def test_practice_without_a_terminal_says_how_to_run_it() -> None:
    result = practice("--case", "acute-rupture-water-ski")
    assert result.exit_code == 1
    assert "--plain" in result.stderr and "--guess" in result.stderr


def test_the_imaging_calls_offered_are_the_questionnaire_s_own() -> None:
    from hamstring_cli.model import Questionnaire
    from hamstring_cli.practice import imaging_choices
    from hamstring_cli.resources import resolve_questionnaire

    def load(name: str) -> Questionnaire:
        return load_questionnaire(resolve_questionnaire(name))

    assert imaging_choices(load("proximal-hamstring")) == ("MRI", "X-ray", "ultrasound", "none")
    assert imaging_choices(load("ottawa-ankle")) == ("X-ray", "none")
