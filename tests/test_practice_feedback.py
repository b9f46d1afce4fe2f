"""Practice feedback that teaches without repeating, one screen before 'more'."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from helpers import sweep
from rich.console import Console

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.cases import Case, bundled_cases, case_questionnaire, read_cases, run_case
from hamstring_cli.explain import Change
from hamstring_cli.interactive import Ask
from hamstring_cli.practice import Guess, feedback
from hamstring_cli.practice_session import (
    ANOTHER,
    IMAGING,
    LEADING,
    LEVEL,
    MORE,
    render_feedback,
    run_sitting,
    what_if_lines,
)
from hamstring_cli.render.words import SNAKE_CASE
from hamstring_cli.resources import bundled_dir

CASES = read_cases(bundled_cases(bundled_dir()))


def console(buffer: io.StringIO) -> Console:
    return Console(file=buffer, width=80, force_terminal=False, no_color=True, highlight=False)


def test_what_ifs_on_one_question_are_grouped() -> None:
    q = load_questionnaire("proximal-hamstring")
    ages = [Change("age", 45, age, "bony_avulsion", "urgent", True, False) for age in (12, 15, 17)]
    flags = [
        Change("red_flags", (), (value,), "acute_rupture", "emergency", False, True)
        for value in ("saddle_or_bladder", "both_legs")
    ]
    (age_line,) = what_if_lines(q, ages, leading=True)
    assert age_line.startswith("How old is the patient? 12, 15 or 17 years would change")
    assert age_line.count("would change") == 1
    (flag_line,) = what_if_lines(q, flags, leading=False)
    assert "Ticking any of 'Saddle numbness" in flag_line
    assert flag_line.endswith("would make the level emergency")
    assert not SNAKE_CASE.search(age_line + flag_line)


@pytest.mark.parametrize("case", sweep(pytest.param(c, id=c.id) for c in CASES))
def test_the_feedback_before_more_fits_one_screen_and_says_each_finding_once(case: Case) -> None:
    q = case_questionnaire(case)
    run = run_case(case, q)
    expected = case.expected
    shown = feedback(
        q,
        case_id=case.id,
        case_title=case.title,
        expected=expected,
        teaching_points=case.teaching_points,
        answers=run.answers,
        guess=Guess(expected.leading, expected.level, expected.imaging),
    )
    buffer = io.StringIO()
    render_feedback(shown, case, console(buffer), more=lambda: False)
    text = buffer.getvalue()
    assert len(text.strip("\n").splitlines()) <= 19, text  # and the More question below it
    separates = text.split("What separates", 1)[-1].split("Teaching points")[0]
    bullets = [line for line in separates.splitlines() if line.startswith("- For ")]
    assert len(bullets) <= 2, "one line a condition"
    assert all(line == line.rstrip() for line in text.splitlines())
    assert not SNAKE_CASE.search(text)


def test_a_patient_not_examined_is_not_examined_by_the_student() -> None:
    case = next(c for c in CASES if not c.was_examined)
    q = case_questionnaire(case)
    patient = run_case(case, q).answers
    asked: list[str] = []

    def student(ask: Ask) -> object:
        asked.append(ask.key)
        if ask.key in patient:
            answer = patient[ask.key]
            return list(answer) if isinstance(answer, tuple) else str(answer)
        if ask.key in q.by_id:
            return str(q.question(ask.key).values[0])
        return {
            LEADING: case.expected.leading,
            LEVEL: case.expected.level,
            IMAGING: case.expected.imaging,
            MORE: False,
            ANOTHER: False,
        }[ask.key]

    buffer = io.StringIO()
    run_sitting([case], plain=True, console=console(buffer), prompt=student)
    section = {q.question(k).section for k in asked if k in q.by_id}
    assert "examined" not in asked
    assert "Examination" not in section
    assert "Has a clinician examined the patient? No (from the case)" in buffer.getvalue()


def test_a_case_can_declare_that_the_patient_was_not_examined(tmp_path: Path) -> None:
    source = next(c for c in CASES if c.was_examined).source
    text = Path(source).read_text(encoding="utf-8") + "examined: false\n"
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    (case,) = read_cases([path])
    assert case.examined is False and not case.was_examined
