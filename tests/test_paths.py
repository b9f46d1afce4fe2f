"""The path enumerator: every path a user can take, with the strategies for answers."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from helpers import BUNDLED, write_questionnaire

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.model import (
    END,
    ConditionDef,
    Option,
    Outcomes,
    Question,
    Questionnaire,
    TriageRule,
)
from hamstring_cli.paths import (
    RoutingError,
    Walk,
    boundary_values,
    candidates,
    iter_paths,
)

TREE = """\
questions:
  - id: onset
    type: choice
    prompt: How did it start?
    options:
      - {value: sudden, label: Suddenly, next: pop}
      - {value: gradual, label: Gradually, next: age}
      - {value: unsure, label: Not sure, uncertain: true, next: pop}
  - id: pop
    type: choice
    prompt: A pop?
    options:
      - {value: "yes", label: Yes}
      - {value: "no", label: No}
      - {value: unsure, label: Not sure, uncertain: true}
  - id: flags
    type: multi
    prompt: Any of these?
    options:
      - {value: a, label: A}
      - {value: b, label: B}
      - {value: c, label: C}
  - id: age
    type: integer
    prompt: Age?
    min: 5
    max: 110
    routes:
      - when: {question: age, lt: 18}
        next: growth
    next: end
  - id: growth
    type: choice
    prompt: Still growing?
    options:
      - {value: "yes", label: Yes}
      - {value: "no", label: No}
outcomes:
  conditions:
    - id: c1
      label: C
      triage:
        - {level: routine, advice: x, source: R1}
  scores:
    - {condition: c1, weight: 1, reason: r, source: R1, when: {question: pop, equals: "yes"}}
    - {condition: c1, weight: 1, reason: r, source: R1, when: {question: flags, contains: a}}
    - {condition: c1, weight: 1, reason: r, source: R1, when: {question: age, gte: 40}}
"""


@pytest.fixture
def tree(tmp_path: Path) -> Questionnaire:
    return load_questionnaire(write_questionnaire(tmp_path, TREE))


def test_every_path_follows_the_routing(tree: Questionnaire) -> None:
    walks = list(iter_paths(tree))
    for walk in walks:
        assert isinstance(walk, Walk)
        # The answers are in the order asked, and the path ends where the routing ends.
        assert tuple(walk.answers) == walk.path
        assert walk.path[0] == tree.start
        last = tree.question(walk.path[-1])
        assert tree.next_after(last, walk.answers) == END
        for qid in walk.path:
            assert tree.question(qid).validate(walk.answers[qid]) == walk.answers[qid]
    sequences = {walk.path for walk in walks}
    assert sequences == {
        ("onset", "pop", "flags", "age"),
        ("onset", "pop", "flags", "age", "growth"),
        ("onset", "age"),
        ("onset", "age", "growth"),
    }


def test_all_values_are_tried(tree: Questionnaire) -> None:
    tried = candidates(tree)
    assert tried["onset"] == ("sudden", "gradual", "unsure")
    # 3 options: every subset, in option order.
    assert len(tried["flags"]) == 8 and ("a", "c") in tried["flags"]
    # min, max, and each number the conditions use with its neighbours.
    assert tried["age"] == (5, 17, 18, 19, 39, 40, 41, 110)
    walks = list(iter_paths(tree))
    # sudden/unsure: 3 pops x 8 flag sets x (6 ages of 18 and over + 2 under 18 x 2 growth answers)
    per_age = 6 + 2 * 2
    assert len(walks) == 2 * 3 * 8 * per_age + per_age
    # A fresh dict each time: changing one leaves the others alone.
    walks[0].answers["onset"] = "changed"
    assert walks[1].answers["onset"] == "sudden"


def test_multi_strategies(tree: Questionnaire) -> None:
    singles = candidates(tree, multi="singles")["flags"]
    assert singles == ((), ("a",), ("b",), ("c",), ("a", "b", "c"))
    assert candidates(tree, multi="auto", multi_limit=2)["flags"] == singles
    assert len(candidates(tree, multi="auto", multi_limit=3)["flags"]) == 8


def test_distinct_values_keep_every_outcome_with_fewer_paths(tree: Questionnaire) -> None:
    tried = candidates(tree, values="distinct")
    # sudden and unsure both lead to pop, but unsure is uncertain: three groups still.
    assert tried["onset"] == ("sudden", "gradual", "unsure")
    # 'no' and 'unsure' differ in the uncertain flag only; the score rule tells 'yes' apart.
    assert tried["pop"] == ("yes", "no", "unsure")
    # Only 'a' is named by a condition: with it or without it.
    assert tried["flags"] == ((), ("a",))
    # The ranges on which every condition agrees: below 18, 18 to 39, 40 and over.
    assert tried["age"] == (5, 18, 40)
    assert len(list(iter_paths(tree, values="distinct"))) < len(list(iter_paths(tree)))


def test_routing_values_give_each_sequence_once(tree: Questionnaire) -> None:
    tried = candidates(tree, values="routing")
    assert tried["onset"] == ("sudden", "gradual")
    assert tried["pop"] == ("yes",) and tried["flags"] == ((),)
    assert tried["age"] == (5, 18)
    walks = list(iter_paths(tree, values="routing"))
    assert len(walks) == len({walk.path for walk in walks}) == 4


def test_integer_values_can_be_given(tree: Questionnaire) -> None:
    walks = list(iter_paths(tree, values="routing", integer_values={"age": [30]}))
    assert {walk.answers["age"] for walk in walks} == {30}
    assert boundary_values(tree.question("age"), []) == (5, 110)


def test_routing_loops_and_unknown_targets_are_refused() -> None:
    def questionnaire(target: str) -> Questionnaire:
        return Questionnaire(
            id="t",
            version="1",
            title="t",
            questions=(
                Question("a", "choice", "A?", options=(Option("x", "X"),)),
                Question("b", "choice", "B?", options=(Option("y", "Y", next=target),)),
            ),
            outcomes=Outcomes(
                conditions=(ConditionDef("c", "C", triage=(TriageRule("routine", "x", ""),)),)
            ),
        )

    with pytest.raises(RoutingError):
        list(iter_paths(questionnaire("a")))
    with pytest.raises(RoutingError):
        list(iter_paths(questionnaire("nowhere")))
    assert [w.path for w in iter_paths(questionnaire(END))] == [("a", "b")]


def test_the_bundled_tree_every_sequence_passes_the_required_questions() -> None:
    q = load_questionnaire(BUNDLED)
    walks = list(iter_paths(q, values="routing"))
    assert walks
    for walk in walks:
        assert set(q.required) <= set(walk.path)
    # The enumerator is lazy: the first thousand full paths come at once.
    assert len(list(itertools.islice(iter_paths(q), 1000))) == 1000
