"""Red flags in words: every flag of the bundled questionnaire reads as a name and an action."""

from __future__ import annotations

import pytest

from hamstring_cli.loader import load_questionnaire
from hamstring_cli.render.words import flag_action, flag_name
from hamstring_cli.resources import resolve_questionnaire

FLAGS = load_questionnaire(resolve_questionnaire()).outcomes.red_flags


@pytest.mark.parametrize("rule", FLAGS, ids=[rule.id for rule in FLAGS])
def test_each_flag_has_a_name_and_a_sentence_of_what_to_do(rule: object) -> None:
    name = flag_name(rule.id, rule.advice)  # type: ignore[attr-defined]
    action = flag_action(rule.id, rule.advice)  # type: ignore[attr-defined]
    assert name and "_" not in name
    # The action is a sentence of its own: never the tail of the name's clause.
    assert action[:1].isupper(), action
    assert action.endswith("."), action


def test_an_aside_and_a_clause_before_the_colon_are_skipped() -> None:
    advice = "Signs of a torn tendon (a gap), which tendinopathy does not cause: MRI soon."
    assert flag_name("torn_tendon", advice) == "Signs of a torn tendon"
    assert flag_action("torn_tendon", advice) == "MRI soon."
