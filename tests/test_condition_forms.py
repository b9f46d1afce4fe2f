"""Every form of condition through every consumer, as test_formats does for output formats.

The forms are the members of the one union, ``model.Condition`` (``typing.get_args``): a form
added there without an example here fails the first test, and each consumer that has no branch
for it fails at its ``assert_never`` below. Each example stands in a small questionnaire (in a
route where routes may read it, and in an evidence note), which is loaded and checked, walked
on every path by the engine, drawn by the graph, written by the clinical document and exported
as a FHIR Questionnaire whose enable conditions must show exactly the questions the engine asks.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import get_args

import helpers
import pytest
from test_fhir import enabled_items
from type_consumers import EXTRA

from hamstring_cli import graph
from hamstring_cli import model as m
from hamstring_cli.cache import load_questionnaire
from hamstring_cli.checks import check
from hamstring_cli.clinical_doc import describe as doc_words
from hamstring_cli.clinical_doc import render_clinical_logic
from hamstring_cli.engine import Session
from hamstring_cli.fhir.bundle import to_response
from hamstring_cli.fhir.enable import from_condition
from hamstring_cli.fhir.questionnaire import to_questionnaire
from hamstring_cli.model import Condition, holds, holds_so_far, walk_condition
from hamstring_cli.paths import iter_paths
from hamstring_cli.scoring import score

FORMS: tuple[type, ...] = get_args(Condition)

#: Each form as a questionnaire writes it, and whether a route may read it (the leading
#: condition and the advised studies are known only at the end).
WRITTEN: dict[type, tuple[str, bool]] = {
    m.Equals: ("{question: onset, equals: sudden}", True),
    m.OneOf: ("{question: onset, one_of: [sudden, unsure]}", True),
    m.Contains: ("{question: signs, contains: bruise}", True),
    m.Compare: ("{question: age, gte: 40}", True),
    m.Answered: ("{answered: signs}", True),
    m.All: ("{all: [{question: onset, equals: sudden}, {question: age, lt: 40}]}", True),
    m.AnyOf: (
        "{any: [{question: onset, equals: gradual}, {question: signs, contains: lump}]}",
        True,
    ),
    m.Not: ("{not: {question: signs, contains: bruise}}", True),
    m.AtLeast: (
        "{at_least: 2, of: [{question: onset, equals: sudden}, {question: signs, contains: bruise},"
        " {question: age, gte: 40}]}",
        True,
    ),
    m.Named: ("{rule: sudden_young}", True),
    m.Leading: ("{leading: rupture}", False),
    m.Advised: ("{advised: MRI}", False),
}

NOTE = "The form under test held."


def questionnaire_text(form: type) -> str:
    written, routable = WRITTEN[form]
    # Where a route may not read the form, the route reads a plain answer and the form stands
    # in the outcome rules alone.
    route = written if routable else "{question: onset, equals: gradual}"
    head = textwrap.dedent(
        f"""\
        rules:
          - id: sudden_young
            description: a sudden onset before 40
            when: {{all: [{{question: onset, equals: sudden}}, {{question: age, lt: 40}}]}}
        questions:
          - id: onset
            type: choice
            prompt: How did it start?
            options:
              - {{value: sudden, label: Suddenly}}
              - {{value: gradual, label: Gradually, next: age}}
              - {{value: unsure, label: Not sure, uncertain: true}}
          - id: signs
            type: multi
            prompt: Which signs are there?
            options:
              - {{value: bruise, label: A bruise}}
              - {{value: lump, label: A lump}}
          - id: age
            type: integer
            prompt: How old is the patient?
            min: 10
            max: 90
            unit: years
            routes:
              - when: {route}
                next: extra
            next: end
        """
    )
    outcomes = textwrap.dedent(
        f"""\
        outcomes:
          conditions:
            - id: rupture
              label: Tendon rupture
              triage:
                - {{level: urgent, advice: See a surgeon., source: R1}}
            - id: tendinopathy
              label: Tendinopathy
              triage:
                - {{level: routine, advice: Load it gradually., source: R1}}
          scores:
            - {{condition: rupture, when: {{question: onset, equals: sudden}}, weight: 3,
                reason: a sudden onset, source: R1}}
            - {{condition: tendinopathy, when: {{question: onset, equals: gradual}}, weight: 3,
                reason: a gradual onset, source: R1}}
          imaging:
            - {{when: {{question: signs, contains: bruise}}, modality: MRI, urgency: urgent,
                reason: A bruise calls for a scan., source: R1}}
          notes:
            - {{text: {NOTE}, source: R1, when: {written}}}
        """
    )
    return helpers.questionnaire_text(head + EXTRA + outcomes)


@pytest.fixture(params=FORMS, ids=lambda form: form.__name__)
def form(request: pytest.FixtureRequest) -> type:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def tree(form: type, tmp_path: Path) -> m.Questionnaire:
    path = tmp_path / "forms.yaml"
    path.write_text(questionnaire_text(form), encoding="utf-8")
    return load_questionnaire(path)


def the_form(q: m.Questionnaire) -> Condition:
    when = q.outcomes.notes[0].when
    assert when is not None
    return when


def walks(q: m.Questionnaire) -> list[tuple[tuple[str, ...], dict[str, m.Answer]]]:
    return [(walk.path, walk.answers) for walk in iter_paths(q)]


def test_every_form_of_the_union_is_written_here() -> None:
    assert set(WRITTEN) == set(FORMS)
    assert len(FORMS) == len(set(FORMS))


def test_the_loader_reads_the_form_and_the_checker_finds_nothing(
    form: type, tree: m.Questionnaire
) -> None:
    assert isinstance(the_form(tree), form)
    assert [d for d in check(tree) if d.severity == "error"] == []
    if WRITTEN[form][1]:
        (route,) = tree.question("age").routes
        assert route.when == the_form(tree)


def test_the_engine_tells_paths_apart_by_the_form(form: type, tree: m.Questionnaire) -> None:
    condition = the_form(tree)
    shown: set[bool] = set()
    for path, answers in walks(tree):
        result = score(tree, Session(tree, answers).path_answers)
        studies = frozenset(m.study_key(s.modality, s.site) for s in result.imaging.studies)
        held = holds(condition, answers, result.leading, studies)
        assert (NOTE in [n.text for n in result.notes]) == held, path
        # Three-valued at the end of the path: what the engine says, or unknown for the studies.
        so_far = holds_so_far(condition, answers, lambda _qid: False, result.leading)
        assert so_far == (None if form is m.Advised else held), path
        if WRITTEN[form][1]:
            assert ("extra" in path) == holds(condition, answers), path
        shown.add(held)
    assert shown == {True, False}, "the example must hold on some paths and not on others"


def test_the_graph_and_the_document_put_the_form_in_words(
    form: type, tree: m.Questionnaire
) -> None:
    condition = the_form(tree)
    for words in (graph.describe(condition), doc_words(condition, tree)):
        assert words
        assert not any(f"{name.__name__}(" in words for name in FORMS), words
    document = render_clinical_logic(tree)
    assert doc_words(condition, tree) in document
    drawn = graph.render(tree, "mermaid") + graph.render(tree, "dot")
    if WRITTEN[form][1]:
        assert graph.describe(condition).split(" (")[0] in drawn


def test_fhir_enables_exactly_what_the_engine_asks(form: type, tree: m.Questionnaire) -> None:
    condition = the_form(tree)
    exported = to_questionnaire(tree, date="2026-01-01")
    if not WRITTEN[form][1]:
        with pytest.raises(ValueError, match="cannot route"):
            from_condition(tree, condition)
    for path, answers in walks(tree):
        response = to_response(tree, answers, authored="2026-01-01T00:00:00+00:00")
        assert enabled_items(exported, response) == list(path), path


def test_a_double_not_of_a_group_reads_in_words(tmp_path: Path) -> None:
    # Once, the document read an 'all' under two 'not's as a range of one integer answer.
    text = questionnaire_text(m.All).replace(
        "when: {all: [{question: onset, equals: sudden}, {question: age, lt: 40}]}}",
        "when: {not: {not: {all: [{question: onset, equals: sudden}, {question: age, lt: 40}]}}}}",
    )
    path = tmp_path / "forms.yaml"
    path.write_text(text, encoding="utf-8")
    q = load_questionnaire(path)
    condition = the_form(q)
    assert isinstance(condition, m.Not)
    words = doc_words(condition, q)
    assert "onset is sudden" in words and "age is under 40" in words
    assert [part for part in walk_condition(condition) if isinstance(part, m.All)]
