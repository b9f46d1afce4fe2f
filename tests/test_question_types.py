"""The table of question types: every rule a type has is read from its one entry."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from hamstring_cli import interactive
from hamstring_cli.format_spec import RECORDS
from hamstring_cli.intake.asks import PROMPTS
from hamstring_cli.model import Option, Question
from hamstring_cli.question_types import (
    QUESTION_TYPES,
    TYPES,
    answer_json,
    kind,
)

OPTIONS = (
    Option("yes", "Yes"),
    Option("no", "No"),
    Option("unsure", "Not sure", uncertain=True),
)


def example(qtype: str) -> Question:
    """A question of a type, with options or a range as the type takes."""
    if kind(qtype).options:
        return Question("q", qtype, "Asked?", options=OPTIONS)
    return Question("q", qtype, "How many?", minimum=0, maximum=120, unit="days")


def answers_of(question: Question) -> list[object]:
    """Raw answers of every shape the type accepts, as an answer file gives them."""
    if not kind(question.type).options:
        return [0, 1, 120, "42"]
    if kind(question.type).many:
        return [[], ["yes"], ["unsure", "yes"], ["yes", "no", "unsure"]]
    return list(question.values)


@pytest.mark.parametrize("qtype", QUESTION_TYPES)
def test_an_answer_survives_json_and_reads_back_the_same(qtype: str) -> None:
    question = example(qtype)
    for raw in answers_of(question):
        answer = question.validate(raw)
        as_json = json.loads(json.dumps(answer_json(answer)))
        assert question.validate(as_json) == answer
        assert question.words(answer)
        assert "_" not in question.words(answer)


def test_the_json_shape() -> None:
    assert answer_json(("a", "b")) == ["a", "b"]
    assert answer_json(()) == []
    assert answer_json(7) == 7
    assert answer_json("yes") == "yes"
    assert answer_json(None) is None


@pytest.mark.parametrize("qtype", QUESTION_TYPES)
def test_each_type_has_a_prompt_function_that_describes_its_question(qtype: str) -> None:
    question = example(qtype)
    describe = PROMPTS[kind(qtype).prompt]
    ask = describe(question, None, True)
    assert ask.key == question.id
    assert ask.message == question.prompt
    assert ask.can_go_back
    asked = interactive.question_ask(question, None, False)
    direct = describe(question, None, False)
    assert dataclasses.replace(asked, check=None) == dataclasses.replace(direct, check=None)
    if kind(qtype).options:
        offered = [c.value for c in ask.choices]
        assert [v for v in offered if isinstance(v, str)] == list(question.values)


@pytest.mark.parametrize("qtype", QUESTION_TYPES)
def test_the_uncertainty_rule_is_the_tables(qtype: str) -> None:
    question = example(qtype)
    unsure = [question.validate(raw) for raw in answers_of(question)]
    marked = [a for a in unsure if question.is_uncertain(a)]
    if kind(qtype).option_uncertain:
        assert marked == ["unsure"]
    else:
        assert marked == []


def test_the_format_declaration_follows_the_table() -> None:
    question = RECORDS["question"]
    option = RECORDS["option"]
    for name, entry in TYPES.items():
        keys = set(question.names(name))
        assert ("options" in keys) == entry.options
        assert {"min", "max"} <= keys or entry.options
        option_keys = set(option.names(name))
        if entry.options:
            assert ("next" in option_keys) == entry.option_routes
            assert ("uncertain" in option_keys) == entry.option_uncertain
    assert question.field("type").allowed == QUESTION_TYPES


def test_the_table_loads_without_the_terminal_layer() -> None:
    code = (
        "import sys, hamstring_cli.question_types, hamstring_cli.loader;"
        "print(sorted(m for m in ('rich', 'questionary', 'prompt_toolkit',"
        " 'hamstring_cli.interactive') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
