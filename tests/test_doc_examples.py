"""The examples the documents show are the program's own: README.md, docs/fhir.md, session.txt.

Each test fails with the command that makes the document again.
"""

from __future__ import annotations

import re

from helpers import REPO

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.doc_examples import REGENERATE, expected
from hamstring_cli.engine import Session
from hamstring_cli.render.decision import decision_block
from hamstring_cli.scoring import score

SESSION = REPO / "docs" / "session.txt"
#: The answers docs/session.sh types, after its two changes (day 6, age 52).
SESSION_ANSWERS = {
    "red_flags": (),
    "anticoagulants": "no",
    "age": 52,
    "onset": "sudden",
    "mechanism": "overstretch",
    "pop": "yes",
    "could_continue": "no",
    "days_since_injury": 6,
    "bruising": "extensive",
    "walking": "limp",
    "pain_site": "sit_bone",
    "sitting_pain": "after_prolonged",
    "numbness": "back_of_thigh",
    "back_pain": "no",
    "prior_hamstring_injury": "no",
    "examined": "yes",
    "ischial_tenderness": "yes",
    "palpable_gap": "obscured",
    "knee_flexion_strength": "weak",
    "bent_knee_stretch": "not_done",
    "slr": "negative",
}


def test_readme_and_the_fhir_guide_are_made_by_the_program() -> None:
    for path, text in expected(REPO).items():
        assert path.read_text("utf-8") == text, (
            f"{path.relative_to(REPO)} is out of date with the program; regenerate it from the "
            f"repository root with: {REGENERATE}"
        )


def test_the_readme_quotes_no_prompt_the_questionnaire_does_not_ask() -> None:
    q = load_questionnaire(REPO / "questionnaires" / "proximal_hamstring.yaml")
    prompts = {" ".join(question.prompt.split()) for question in q.questions}
    readme = (REPO / "README.md").read_text("utf-8")
    for quoted in re.findall(r"(?m)^\? (.+\?)$", readme):
        assert quoted in prompts or quoted == "What next?", quoted


def test_the_captured_session_shows_the_decision_the_program_makes() -> None:
    q = load_questionnaire(REPO / "questionnaires" / "proximal_hamstring.yaml")
    session = Session(q, SESSION_ANSWERS)
    assert session.finished
    block = decision_block(score(q, session.path_answers))
    text = SESSION.read_text("utf-8")
    screen = text.split("--- the screen with the summary (80x24)", 1)[1]
    screen = screen.split("\n? ", 1)[0].split("\n", 1)[1]
    shown = " ".join(re.sub(r"[│╭╮╰╯─•]", " ", screen).split())
    assert shown == block.words().replace("• ", ""), (
        "docs/session.txt is out of date with the program; regenerate it from the repository "
        "root, with hamstring installed and tmux, with: sh docs/session.sh"
    )
