"""The compiled rules give the same results as the rules walked as data.

:func:`hamstring_cli.scoring.score` evaluates each questionnaire's conditions as functions made
once (``hamstring_cli/compiled.py``) and re-reads, for each confidence what-if, only the score
rules the changed answer touches; :func:`~hamstring_cli.scoring.reference_score` walks every
condition as data. Both must give the same whole result, key for key, on any answers.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.compiled import compile_condition, compile_so_far, compiled, ready
from hamstring_cli.model import (
    Advised,
    All,
    Answer,
    Answered,
    AnyOf,
    AtLeast,
    Compare,
    Condition,
    Contains,
    Equals,
    Leading,
    Named,
    Not,
    OneOf,
    Question,
    Questionnaire,
    holds,
    holds_so_far,
    walk_condition,
)
from hamstring_cli.resources import bundled_questionnaires, resolve_questionnaire
from hamstring_cli.scoring import reference_score, score

#: Random answer sets compared a questionnaire, in all; the quick loop compares the first few.
SETS = 10_000
QUICK = 300
IDS = ["ottawa-ankle", "proximal-hamstring"]


@cache
def questionnaires() -> tuple[Questionnaire, ...]:
    return tuple(load_questionnaire(path) for path in bundled_questionnaires())


def bundled(qid: str) -> Questionnaire:
    return next(q for q in questionnaires() if q.id == qid)


@cache
def bounds(q: Questionnaire) -> dict[str, tuple[int, ...]]:
    """The numbers worth trying for each integer question: each bound a rule compares it with,
    one either side of it, and the question's own limits."""
    found: dict[str, set[int]] = {}
    out = q.outcomes
    rules = [
        *out.scores,
        *out.red_flags,
        *out.imaging,
        *out.notes,
        *out.safety_net,
        *out.triage,
        *out.scope.exclusions,
        *(r for c in out.conditions for r in c.triage),
    ]
    for rule in rules:
        if rule.when is None:
            continue
        for c in walk_condition(rule.when):
            if isinstance(c, Compare):
                found.setdefault(c.question, set()).update({c.value - 1, c.value, c.value + 1})
    for question in q.questions:
        if question.type == "integer":
            limits = {question.minimum or 0, question.maximum or 100}
            values = found.setdefault(question.id, set()) | limits
            low, high = question.minimum, question.maximum
            found[question.id] = {
                v for v in values if (low is None or v >= low) and (high is None or v <= high)
            }
    return {qid: tuple(sorted(values)) for qid, values in found.items()}


def random_answer(rng: random.Random, question: Question, numbers: tuple[int, ...]) -> Answer:
    """Any value the question allows: an option (unsure ones too), any set of options, or a
    number at a bound a rule reads (or anywhere in range)."""
    if question.type == "integer":
        if numbers and rng.random() < 0.8:
            return rng.choice(numbers)
        low = question.minimum if question.minimum is not None else 0
        high = question.maximum if question.maximum is not None else low + 120
        return rng.randint(low, high)
    if question.type == "multi":
        return tuple(v for v in question.values if rng.random() < 0.25)
    return rng.choice(question.values)


def answer_sets(q: Questionnaire, seed: int, count: int) -> Iterator[dict[str, Answer]]:
    """Random answers to each question, in the questionnaire's order; each question is left
    out (unanswered, or skipped by the path) one time in four."""
    rng = random.Random(seed)
    numbers = bounds(q)
    for _ in range(count):
        yield {
            question.id: random_answer(rng, question, numbers.get(question.id, ()))
            for question in q.questions
            if rng.random() >= 0.25
        }


def assert_same_results(q: Questionnaire, sets: Iterator[dict[str, Answer]]) -> int:
    # Made now, so score() takes the compiled rules from the first set on (a questionnaire's
    # first result is otherwise walked as data).
    compiled(q)
    compared = 0
    for answers in sets:
        alerted = {flag.id: answers for flag in q.outcomes.red_flags[:1]}
        expected = reference_score(q, answers, alerted=alerted).to_dict()
        assert score(q, answers, alerted=alerted).to_dict() == expected, answers
        compared += 1
    return compared


@pytest.mark.parametrize("qid", IDS)
def test_the_compiled_rules_score_a_spread_of_random_answers_alike(qid: str) -> None:
    q = bundled(qid)
    assert assert_same_results(q, answer_sets(q, seed=IDS.index(qid), count=QUICK)) == QUICK


@pytest.mark.slow
@pytest.mark.parametrize("qid", IDS)
def test_the_compiled_rules_score_10000_random_answer_sets_alike(qid: str) -> None:
    # The quick test above compares the first QUICK of these same sets.
    q = bundled(qid)
    sets = answer_sets(q, seed=IDS.index(qid), count=SETS)
    for _ in range(QUICK):
        next(sets)
    assert assert_same_results(q, sets) == SETS - QUICK


def test_a_questionnaire_s_first_result_is_walked_and_the_next_compiled_alike(
    tmp_path: Path,
) -> None:
    path = tmp_path / "q.yaml"
    path.write_bytes(resolve_questionnaire(None).read_bytes())
    q = load_questionnaire(path, located=True)  # a questionnaire never scored before
    answers = next(answer_sets(q, seed=11, count=1))
    assert ready(q) is None
    first = score(q, answers).to_dict()
    assert ready(q) is None, "one result: its rules walked as data, not compiled"
    second = score(q, answers).to_dict()
    assert ready(q) is not None, "the second result compiles them"
    assert first == second == reference_score(q, answers).to_dict()


def test_both_bundled_questionnaires_are_compared() -> None:
    assert sorted(q.id for q in questionnaires()) == IDS


def test_the_random_sets_reach_every_level_and_every_leading_condition() -> None:
    # A comparison that never reaches a branch proves nothing of it.
    for q in questionnaires():
        levels, leaders = set(), set()
        for answers in answer_sets(q, seed=5, count=300):
            result = score(q, answers)
            levels.add(result.triage.level)
            leaders.add(result.leading)
        assert levels == {"emergency", "urgent", "soon", "routine"}
        assert len(leaders) >= 2


EVERY_FORM: list[Condition] = [
    Equals("a", "x"),
    Equals("n", 3),
    OneOf("a", ("x", "y")),
    Contains("m", ("p",)),
    Contains("m", ("p", "q")),
    Compare("n", "lt", 3),
    Compare("n", "lte", 3),
    Compare("n", "gt", 3),
    Compare("n", "gte", 3),
    Answered("a"),
    All((Equals("a", "x"), Compare("n", "gt", 2))),
    All((Equals("a", "x"), Leading("c1"))),
    AnyOf((Equals("a", "y"), Contains("m", ("q",)))),
    AnyOf((Not(Answered("n")), Advised("MRI"))),
    Not(Equals("a", "x")),
    AtLeast(2, (Equals("a", "x"), Contains("m", ("p",)), Compare("n", "lte", 1))),
    Leading("c2"),
    Named("rule", AnyOf((Equals("a", "x"), Answered("m")))),
    Advised("X-ray", site="ankle"),
    Advised("MRI"),
]


@pytest.mark.parametrize("condition", EVERY_FORM, ids=lambda c: type(c).__name__)
def test_each_form_of_condition_compiles_to_what_the_model_says(condition: Condition) -> None:
    values: list[object] = ["x", "y", 1, 2, 3, 4, (), ("p",), ("q",), ("p", "q"), ("x",)]
    studies = [frozenset(), frozenset({"MRI"}), frozenset({"X-ray", "X-ray@ankle"})]
    predicate = compile_condition(condition)
    for a in [*values, None]:
        for n in [None, 1, 3, 4, "3"]:
            for m in [None, (), ("p",), ("q", "r"), "p"]:
                answers = {k: v for k, v in (("a", a), ("n", n), ("m", m)) if v is not None}
                for leading in (None, "c1", "c2"):
                    for advised in studies:
                        expected = holds(condition, answers, leading, advised)  # type: ignore[arg-type]
                        got = predicate(answers, leading, advised)  # type: ignore[arg-type]
                        assert got is expected, (condition, answers, leading, advised)


@pytest.mark.parametrize("condition", EVERY_FORM, ids=lambda c: type(c).__name__)
def test_each_form_of_condition_on_the_answers_so_far_is_what_the_model_says(
    condition: Condition,
) -> None:
    values: list[object] = ["x", "y", 3, 4, ("p",), ("q", "r")]
    to_come = [set(), {"a"}, {"n", "m"}, {"a", "n", "m"}]
    so_far = compile_so_far(condition)
    for a in [*values, None]:
        for n in [None, 1, 3, 4]:
            for m in [None, (), ("p",), ("q",)]:
                answers = {k: v for k, v in (("a", a), ("n", n), ("m", m)) if v is not None}
                for ahead in to_come:
                    for leading in (None, "c1", "c2"):
                        expected = holds_so_far(condition, answers, ahead.__contains__, leading)  # type: ignore[arg-type]
                        got = so_far(answers, ahead.__contains__, leading)  # type: ignore[arg-type]
                        assert got is expected, (condition, answers, ahead, leading)


def test_the_live_alerts_are_the_model_s_on_random_answers_so_far() -> None:
    for q in questionnaires():
        rules = compiled(q)
        rng = random.Random(3)
        ids = list(q.by_id)
        for answers in answer_sets(q, seed=4, count=100):
            ahead = {qid for qid in ids if qid not in answers and rng.random() < 0.5}
            for rule in q.outcomes.red_flags:
                expected = holds_so_far(rule.when, answers, ahead.__contains__)
                assert rules.holds_so_far(rule.when, answers, ahead.__contains__) is expected


def test_a_questionnaire_is_compiled_once_and_knows_what_each_rule_reads() -> None:
    q = bundled("proximal-hamstring")
    rules = compiled(q)
    assert compiled(q) is rules
    for index, rule in enumerate(q.outcomes.scores):
        read = {c.question for c in walk_condition(rule.when) if hasattr(c, "question")}
        assert rules.reads[index] == read
        assert {i for qid in read for i in rules.touching(qid)} >= {index}
    for qid in q.by_id:
        for index in rules.touching(qid):
            assert qid in rules.reads[index]
    read = {i for qid in q.by_id for i in rules.touching(qid)}
    # Every score rule reads some question, so each is re-read when one of them changes.
    assert read == set(range(len(q.outcomes.scores)))


def test_what_a_path_may_still_ask_is_closed_under_every_route() -> None:
    for q in questionnaires():
        rules = compiled(q)
        for question in q.questions:
            ahead = rules.reachable(question.id)
            assert question.id in ahead
            for qid in ahead:
                # Every route out of a question that may come leads to one that may come too.
                assert set(q.successors(q.question(qid))) - {"end"} <= ahead
        # From the start, every question may come (the checker refuses unreachable ones).
        assert rules.reachable(q.start) == set(q.by_id)
