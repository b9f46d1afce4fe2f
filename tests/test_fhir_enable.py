"""The enable conditions of the exported Questionnaire, as terms: enabled equals asked, also when
a renderer keeps (and reads) the answers of the items it hid.

The terms are evaluated here in Python, reading every answer the response holds: as CSIRO
Smart Forms reads them (the strictest renderer: it reads the kept answers of hidden items in
``enableWhen`` too). ``test_fhir.py`` checks that the terms are written as FHIR that says the
same (fhirpathpy, LHC-Forms' reading and Smart Forms'); this file checks the terms themselves,
on the bundled tree and on generated trees of every shape of routing.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import pytest
from helpers import chain_questions, questionnaire_text
from hypothesis import given
from hypothesis import strategies as st
from trees import draw_questions, load_generated, tree_settings

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.engine import Session
from hamstring_cli.fhir import enable
from hamstring_cli.fhir.enable import (
    BUDGET,
    TRUE,
    And,
    Cmp,
    Const,
    Exists,
    In,
    Neg,
    Or,
    Term,
    always_asked,
    conditions,
    enable_terms,
)
from hamstring_cli.fhir.questionnaire import to_questionnaire
from hamstring_cli.model import Answer, Questionnaire
from hamstring_cli.paths import iter_paths

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "questionnaires" / "proximal_hamstring.yaml"


def holds(term: Term, answers: Mapping[str, Answer]) -> bool:
    """A term on the answers a response holds (an empty multi has no item: unanswered)."""
    if isinstance(term, Const):
        return term.value
    if isinstance(term, In | Cmp | Exists):
        given = answers.get(term.question)
        if given is None or given == ():
            return False
        if isinstance(term, Exists):
            return True
        if isinstance(term, In):
            chosen = given if isinstance(given, tuple) else (given,)
            return any(v in term.values for v in chosen)
        assert isinstance(given, int)
        return {
            "=": given == term.value,
            "<": given < term.value,
            "<=": given <= term.value,
            ">": given > term.value,
            ">=": given >= term.value,
        }[term.op]
    if isinstance(term, And):
        return all(holds(t, answers) for t in term.items)
    if isinstance(term, Or):
        return any(holds(t, answers) for t in term.items)
    assert isinstance(term, Neg)
    return not holds(term.item, answers)


def enabled(
    q: Questionnaire, terms: Mapping[str, Term], answers: Mapping[str, Answer]
) -> list[str]:
    return [question.id for question in q.questions if holds(terms[question.id], answers)]


def asked_while_filling(q: Questionnaire, answers: Mapping[str, Answer]) -> list[str]:
    """What a form shows for the answers given so far: the path, and the question it stops at;
    a multi question may be left empty, so the questions after an unanswered one show too."""
    filled = dict(answers)
    while True:
        steps, pending = Session(q, filled).walk()
        if pending is None or pending.type != "multi":
            shown = [step.question.id for step in steps]
            return shown + ([pending.id] if pending is not None else [])
        filled[pending.id] = ()


def check_tree(q: Questionnaire, walks: list[tuple[tuple[str, ...], dict[str, Answer]]]) -> None:
    terms = enable_terms(q)
    order = {question.id: n for n, question in enumerate(q.questions)}
    for path, answers in walks:
        # A finished path, and each stage of filling it in.
        assert enabled(q, terms, answers) == sorted(path, key=order.__getitem__), path
        for stop in range(len(path)):
            given = {qid: answers[qid] for qid in path[:stop]}
            expected = sorted(asked_while_filling(q, given), key=order.__getitem__)
            assert enabled(q, terms, given) == expected, (path, stop)
    # Fill one path, change an answer, finish another: the first one's answers are kept on the
    # items now hidden, and read.
    for (_, before), (path, shown) in itertools.product(walks, repeat=2):
        kept = {**{k: v for k, v in before.items() if k not in shown}, **shown}
        assert enabled(q, terms, kept) == sorted(path, key=order.__getitem__), (before, path)


def test_the_bundled_tree_enables_what_is_asked_whatever_is_kept() -> None:
    q = load_questionnaire(BUNDLED)
    walks = [(w.path, w.answers) for w in iter_paths(q, values="routing")]
    assert len(walks) > 5
    check_tree(q, walks)


def test_each_dependent_item_repeats_its_branch_root_condition() -> None:
    # The examination branch opens at 'examined: yes': every item in it names that condition
    # and the question before it, and nothing further back.
    q = load_questionnaire(BUNDLED)
    terms = enable_terms(q)
    opened = In("examined", frozenset({"yes"}))
    branch = ["palpable_gap", "knee_flexion_strength", "bent_knee_stretch", "slr"]
    for before, qid in zip(["ischial_tenderness", *branch], branch, strict=False):
        assert set(terms[qid].items) == {opened, Exists(before)}  # type: ignore[union-attr]
    assert terms["ischial_tenderness"] == opened
    # Questions every path asks need only the one before them.
    assert terms["numbness"] == Exists("sitting_pain")
    assert terms["red_flags"] == TRUE
    assert {"red_flags", "age", "onset", "pain_site", "examined"} <= always_asked(q)
    assert not {"pop", "mechanism", "slr"} & always_asked(q)


# ---------------------------------------------------------------------------------------------
# Generated trees (trees.py draws them): every shape of routing.


@st.composite
def trees(draw: st.DrawFn) -> str:
    return questionnaire_text(draw_questions(draw)[0])


@pytest.mark.slow
@tree_settings(max_examples=300)
@given(text=trees())
def test_generated_trees_enable_what_is_asked_whatever_is_kept(
    text: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    q = load_generated(text, tmp_path_factory)
    walks = [(w.path, w.answers) for w in itertools.islice(iter_paths(q, values="distinct"), 40)]
    check_tree(q, walks)


# ---------------------------------------------------------------------------------------------
# Long trees: the export stays near-linear


def long_tree(tmp_path: Path, shape: str, length: int) -> Questionnaire:
    """A chain of yes-or-no questions; as a ``ladder``, each 'no' ends the intake."""
    path = tmp_path / f"{shape}.yaml"
    body = chain_questions(length, ladder=shape == "ladder")
    path.write_text(questionnaire_text(body), encoding="utf-8")
    return load_questionnaire(path)


def count_term_building(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the terms built (and the parts given them), and the steps through the routing
    graph (a question's targets looked up)."""
    counted = {"calls": 0, "atoms": 0, "steps": 0}
    for name in ("make_and", "make_or"):
        original = getattr(enable, name)

        def counting(items: Any, _original: Any = original) -> Term:
            counted["calls"] += 1
            counted["atoms"] += len(items)
            return cast(Term, _original(items))

        monkeypatch.setattr(enable, name, counting)
    for name in ("successors", "default_next", "next_after"):
        method = getattr(Questionnaire, name)

        def stepping(self: Questionnaire, *args: Any, _method: Any = method) -> Any:
            counted["steps"] += 1
            return _method(self, *args)

        monkeypatch.setattr(Questionnaire, name, stepping)
    return counted


@pytest.mark.slow
def test_the_export_of_a_5000_question_chain_is_near_linear(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Counted, not timed: the terms built, and the size of what is written.
    length = 5000
    q = long_tree(tmp_path, "chain", length)
    counted = count_term_building(monkeypatch)
    warned: list[str] = []
    exported = to_questionnaire(q, warn=warned.append)
    assert counted["calls"] <= 10 * length and counted["atoms"] <= 20 * length
    assert counted["steps"] <= 5 * length
    assert len(json.dumps(exported)) <= 1000 * length
    assert not warned
    items = exported["item"]
    assert [i["linkId"] for i in items] == [f"q{i}" for i in range(length)]
    assert all(
        i["enableWhen"] == [{"question": f"q{n}", "operator": "exists", "answerBoolean": True}]
        for n, i in enumerate(items[1:])
    )


def test_a_deep_ladder_is_written_within_the_budget_and_says_where(tmp_path: Path) -> None:
    # Each answer 'no' ends the intake: a question deep in it depends on every answer before
    # it, which no condition of bounded size can repeat. Past the budget a condition is written
    # without the branch conditions, and the export says which.
    length = BUDGET + 10
    q = long_tree(tmp_path, "ladder", length)
    warned: list[str] = []
    exported = to_questionnaire(q, warn=warned.append)
    found = conditions(q)
    assert found.unguarded and found.unguarded[0] == f"q{BUDGET + 1}"
    assert len(warned) == 1 and f"'q{BUDGET + 1}'" in warned[0] and "Smart Forms" in warned[0]
    assert all(_atoms_of(t) <= BUDGET for t in found.terms.values())
    # Still right where a hidden item counts as unanswered (no answers kept): every path.
    terms = found.terms
    for stop in range(length + 1):
        answers: dict[str, Answer] = {f"q{i}": "y" for i in range(stop)}
        if stop < length:
            answers[f"q{stop}"] = "n"
        asked = [f"q{i}" for i in range(min(stop + 1, length))]
        assert enabled(q, terms, answers) == asked
    assert len(exported["item"]) == length


def _atoms_of(term: Term) -> int:
    if isinstance(term, And | Or):
        return sum(_atoms_of(t) for t in term.items)
    if isinstance(term, Neg):
        return _atoms_of(term.item)
    return 0 if isinstance(term, Const) else 1
