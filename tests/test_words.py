"""Red flags in words: every flag of every bundled questionnaire has a short name and an action."""

from __future__ import annotations

import pytest

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.model import RedFlagRule
from hamstring_cli.render.words import flag_action
from hamstring_cli.resources import bundled_questionnaires

FLAGS = [
    rule
    for path in bundled_questionnaires()
    for rule in load_questionnaire(path).outcomes.red_flags
]


@pytest.mark.parametrize("rule", FLAGS, ids=[rule.id for rule in FLAGS])
def test_each_flag_has_a_name_and_a_sentence_of_what_to_do(rule: RedFlagRule) -> None:
    # The name is declared, short and in words: never cut from the advice, never an id.
    assert rule.name, f"red flag '{rule.id}' has no name"
    assert len(rule.name) <= 60 and "_" not in rule.name, rule.name
    action = flag_action(rule.name, rule.advice)
    # The action is a sentence of its own: never the tail of the name's clause.
    assert action[:1].isupper(), action
    assert action.endswith("."), action


def test_the_action_goes_on_after_the_name_and_its_aside() -> None:
    advice = "Signs of a torn tendon (a gap), which tendinopathy does not cause: MRI soon."
    assert flag_action("Signs of a torn tendon", advice) == "MRI soon."


def test_advice_that_does_not_open_with_the_name_is_shown_whole() -> None:
    advice = "emergency department now: an X-ray there."
    assert flag_action("Open wound", advice) == "Emergency department now: an X-ray there."


def test_a_flag_without_a_name_reads_its_id_as_words() -> None:
    from hamstring_cli.model import Equals

    rule = RedFlagRule("cauda_equina", Equals("q", "x"), "emergency", "Go now.", "R1")
    assert rule.title == "Cauda equina"
