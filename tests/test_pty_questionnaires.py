"""(c) Every bundled questionnaire as a user meets it: the installed command in an 80x24
pseudo-terminal, ``hamstring triage --questionnaire ID``, answered as a person would type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pty_helpers import NEEDS_COMMAND
from test_pty import ENTER, UP, Spawn, finish, key_of, prompt_of, sessions, spawn, state  # noqa: F401

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.engine import Session
from hamstring_cli.resources import (
    DEFAULT_QUESTIONNAIRE,
    bundled_id,
    bundled_questionnaires,
    resolve_questionnaire,
)
from hamstring_cli.scoring import score

pexpect = pytest.importorskip("pexpect")
pytestmark = [pytest.mark.pty, NEEDS_COMMAND]

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = [bundled_id(path) for path in bundled_questionnaires()]


def first_vignette(questionnaire_id: str) -> dict[str, Any]:
    folder = ROOT / "tests" / "cases"
    if questionnaire_id != DEFAULT_QUESTIONNAIRE:
        folder = folder / questionnaire_id
    for path in sorted(folder.glob("*.yaml")):
        answers = yaml.safe_load(path.read_text(encoding="utf-8"))["answers"]
        # One without ticks: a multi answer is 'None of these', the last option.
        if not any(isinstance(v, list) and v for v in answers.values()):
            return dict(answers)
    raise AssertionError(f"no vignette of {questionnaire_id} without ticks")


@pytest.mark.parametrize("questionnaire_id", BUNDLED)
def test_an_intake_of_each_bundled_questionnaire_in_a_terminal(
    spawn: Spawn,  # noqa: F811
    state: Path,  # noqa: F811
    questionnaire_id: str,
) -> None:
    q = load_questionnaire(resolve_questionnaire(questionnaire_id))
    raw = first_vignette(questionnaire_id)
    answers = Session(q, {k: q.question(k).validate(v) for k, v in raw.items()}).path_answers
    child = spawn("triage", "--questionnaire", questionnaire_id)
    for qid, answer in answers.items():
        question = q.question(qid)
        child.expect(prompt_of(question))
        if isinstance(answer, tuple):
            child.send(UP)  # from the first option up to the last: "None of these"
            child.send(" ")
        else:
            child.send(str(answer) if isinstance(answer, int) else key_of(question, answer))
        child.send(ENTER)
    child.expect("Review the answers")
    if child.expect(["q closes it", "What next"]) == 0:
        child.send("q")  # the review was paged: close the pager
        child.expect("What next")
    # Finishing without a saved report asks once: discard the answers.
    finish(child, at_menu=True)
    assert child.exitstatus == 0
    result = score(q, answers)
    flat = " ".join(child.log.getvalue().split())
    assert f"Most likely: {result.differential[0].label}" in flat
    assert sessions(state) == []
