"""The engine walks the tree without any terminal: answers, back, revisit, unused answers."""

from __future__ import annotations

import pytest

from hamstring_cli.engine import BACK, PresetAnswers, Session, drive
from hamstring_cli.errors import InvalidAnswer, MissingAnswers
from hamstring_cli.model import (
    ConditionDef,
    Equals,
    Option,
    Outcomes,
    Question,
    Questionnaire,
    Route,
    TriageRule,
)


def tree() -> Questionnaire:
    """screen -> onset -(sudden)-> pop -> site ; onset -(gradual)-> weeks -> site -> end."""
    yes_no = (Option("yes", "Yes"), Option("no", "No"))
    return Questionnaire(
        id="t",
        version="1",
        title="T",
        questions=(
            Question("screen", "multi", "Flags?", options=(Option("a", "A"), Option("b", "B"))),
            Question(
                "onset",
                "choice",
                "Onset?",
                options=(
                    Option("sudden", "Sudden", next="pop"),
                    Option("gradual", "Gradual", next="weeks"),
                    Option("unsure", "Unsure", uncertain=True),
                ),
                routes=(Route(Equals("onset", "unsure"), "pop"),),
            ),
            Question("weeks", "integer", "Weeks?", minimum=0, maximum=52, next="site"),
            Question("pop", "choice", "Pop?", options=yes_no),
            Question("site", "choice", "Site?", options=yes_no, next="end"),
        ),
        outcomes=Outcomes(
            conditions=(ConditionDef("x", "X", triage=(TriageRule("routine", "", "R1"),)),)
        ),
    )


def ids(session: Session) -> list[str]:
    return [s.question.id for s in session.transcript]


def test_walks_the_branch_the_answers_choose() -> None:
    s = Session(tree())
    for raw in (["a"], "gradual", "3", "yes"):
        s.answer(raw)
    assert s.finished
    assert ids(s) == ["screen", "onset", "weeks", "site"]
    assert s.path_answers == {"screen": ("a",), "onset": "gradual", "weeks": 3, "site": "yes"}


def test_an_unsure_onset_follows_its_route() -> None:
    s = Session(tree(), {"screen": (), "onset": "unsure"})
    assert s.current is not None and s.current.id == "pop"


def test_multi_answers_are_kept_in_option_order() -> None:
    s = Session(tree())
    assert s.answer(["b", "a"]) == ("a", "b")


@pytest.mark.parametrize(
    ("question", "raw", "code"),
    [
        ("screen", ["c"], "E202"),
        ("screen", ["a", "a"], "E208"),
        ("screen", 5, "E203"),
        ("onset", "sudenn", "E202"),
        ("onset", ["sudden"], "E203"),
        ("weeks", "abc", "E203"),
        ("weeks", 53, "E204"),
        ("weeks", True, "E203"),
    ],
)
def test_invalid_answers_are_refused_with_their_code(question: str, raw: object, code: str) -> None:
    q = tree().question(question)
    with pytest.raises(InvalidAnswer) as caught:
        q.validate(raw)
    assert caught.value.invalid.detail.code == code


def test_a_near_miss_gets_did_you_mean() -> None:
    with pytest.raises(InvalidAnswer) as caught:
        tree().question("onset").validate("sudenn")
    assert "did you mean 'sudden'" in str(caught.value)


def test_back_and_change_keeps_later_answers_still_on_the_path() -> None:
    s = Session(tree(), {"screen": (), "onset": "sudden", "pop": "yes", "site": "no"})
    assert s.finished
    assert s.back()  # from the end: the last question
    assert s.current is not None and s.current.id == "site"
    assert s.back()
    assert s.back()
    assert s.current is not None and s.current.id == "onset"
    s.answer("unsure")  # still routes through pop and site
    assert s.finished
    assert s.path_answers == {"screen": (), "onset": "unsure", "pop": "yes", "site": "no"}


def test_changing_branch_asks_what_the_new_branch_needs_and_reports_unused() -> None:
    s = Session(tree(), {"screen": (), "onset": "sudden", "pop": "yes", "site": "no"})
    s.revisit("onset")
    s.answer("gradual")
    assert s.current is not None and s.current.id == "weeks"
    s.answer(4)
    assert s.finished
    assert s.unused == ["pop"]


def test_back_at_the_first_question_stays() -> None:
    s = Session(tree())
    assert not s.back()
    assert s.current is not None and s.current.id == "screen"


def test_revisit_refuses_a_question_off_the_path() -> None:
    s = Session(tree(), {"screen": (), "onset": "gradual"})
    with pytest.raises(KeyError):
        s.revisit("pop")


def test_position_counts_from_the_tree() -> None:
    s = Session(tree())
    first = s.position()
    assert (first.number, first.remaining_min, first.remaining_max) == (1, 3, 3)
    s.answer([])
    assert s.position().words() == "question 2, 2 to go"
    s.answer("gradual")
    s.answer(1)
    assert s.position().words() == "question 4, the last"


def test_drive_reports_the_first_missing_answer_with_what_was_given() -> None:
    s = Session(tree(), {"screen": ("a",), "onset": "sudden"})
    with pytest.raises(MissingAnswers) as caught:
        drive(s, PresetAnswers())
    assert caught.value.question_id == "pop"
    assert caught.value.answers == {"screen": ("a",), "onset": "sudden"}


def test_drive_takes_back_from_a_source() -> None:
    script = iter([[], "sudden", BACK, "gradual", 2, "yes"])

    class Scripted:
        def answer(self, question: Question, session: Session) -> object:
            return next(script)

    s = drive(Session(tree()), Scripted())
    assert ids(s) == ["screen", "onset", "weeks", "site"]
