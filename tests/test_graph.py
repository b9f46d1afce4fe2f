"""The tree as a picture: every question named, labels escaped for Mermaid and for DOT."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.graph import describe, dot, edges, mermaid, render, short_prompt
from hamstring_cli.model import (
    All,
    AnyOf,
    AtLeast,
    Compare,
    ConditionDef,
    Contains,
    Equals,
    Not,
    OneOf,
    Option,
    Outcomes,
    Question,
    Questionnaire,
    RedFlagRule,
    Route,
    TriageRule,
)


def tree() -> Questionnaire:
    """A small tree with awkward text: quotes, ampersands, angle brackets, a backslash."""
    return Questionnaire(
        id="t",
        version="1",
        title='Thigh "pain" & <friends>',
        questions=(
            Question(
                "screen",
                "multi",
                "Any of these? (tick all)",
                options=(Option("saddle", "S"), Option("lump", "L")),
            ),
            Question(
                "onset",
                "choice",
                'Start? "sudden" | "gradual" \\ or not sure',
                options=(
                    Option("sudden", "Sudden", next="pop"),
                    Option("gradual", "Gradual", next="weeks"),
                    Option("unsure", "Unsure"),
                ),
                routes=(Route(Contains("screen", ("lump",)), "site"),),
            ),
            Question("weeks", "integer", "Weeks?", minimum=0, maximum=52, next="site"),
            Question(
                "pop",
                "choice",
                "Pop?",
                options=(Option("yes", "Yes", next="end"), Option("no", "No")),
            ),
            Question("site", "choice", "Site?", options=(Option("a", "A"), Option("b", "B"))),
        ),
        outcomes=Outcomes(
            conditions=(
                ConditionDef(
                    "rupture", 'Rupture "avulsion"', triage=(TriageRule("urgent", "", "R"),)
                ),
                ConditionDef("strain", "Strain & sprain", triage=(TriageRule("routine", "", "R"),)),
            ),
            red_flags=(
                RedFlagRule("cauda", Contains("screen", ("saddle",)), "emergency", "", "R"),
            ),
        ),
    )


def test_edges_carry_options_routes_and_the_fall_through() -> None:
    found = {(e.source, e.target): e.label for e in edges(tree())}
    assert found == {
        ("screen", "onset"): "",
        ("onset", "pop"): "sudden",
        # 'unsure' reads the routes, then falls through to the next question in the file.
        ("onset", "weeks"): "gradual; unsure (otherwise)",
        ("onset", "site"): "screen includes lump",
        ("weeks", "site"): "",
        ("pop", "end"): "yes",
        ("pop", "site"): "no",
        ("site", "end"): "",
    }


def test_describe_in_plain_words() -> None:
    assert describe(OneOf("onset", ("sudden", "unsure"))) == "onset is sudden or unsure"
    assert describe(Compare("age", "lt", 18)) == "age under 18"
    assert describe(Compare("days", "gt", 42)) == "days over 42"
    assert (
        describe(All((Compare("age", "gte", 18), Not(Contains("f", ("a", "b"))))))
        == "age 18 or more and not f includes a or b"
    )
    assert (
        describe(AtLeast(2, (Equals("a", "x"), AnyOf((Equals("b", "y"), Equals("c", "z"))))))
        == "at least 2 of (a is x, b is y or c is z)"
    )


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_the_graph_names_every_question(fmt: str) -> None:
    q = tree()
    text = render(q, fmt)
    for question in q.questions:
        assert f"q_{question.id}" in text
        assert question.id in text
    for condition in q.outcomes.conditions:
        assert f"c_{condition.id}" in text


def test_mermaid_escapes_labels() -> None:
    text = mermaid(tree())
    assert text.startswith("flowchart TD\n")
    # No raw double quote inside a quoted label: every label is "..." with entity codes inside.
    for line in text.splitlines()[2:]:
        for label in re.findall(r'\["(.*?)"\]', line):
            assert '"' not in label and "<" not in label.replace("<br/>", "")
    assert "#quot;sudden#quot; #124; #quot;gradual#quot;" in text
    assert "Strain #amp; sprain" in text
    assert "path_end" in text


def test_dot_escapes_labels() -> None:
    text = dot(tree())
    assert text.startswith('digraph "t" {')
    assert 'Start? \\"sudden\\" | \\"gradual\\" \\\\ or not sure' in text
    assert 'label="Thigh \\"pain\\" & <friends>"' in text
    assert text.rstrip().endswith("}")


def test_short_prompt_cuts_at_a_word() -> None:
    question = Question("x", "choice", "word " * 30)
    cut = short_prompt(question, 20)
    assert cut.endswith("…") and len(cut) <= 21
    assert not cut[:-1].endswith(" ")


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="mermaid, dot"):
        render(tree(), "svg")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_graphviz_parses_the_dot_output() -> None:
    done = subprocess.run(
        ["dot", "-Tsvg"], input=dot(tree()), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


BUNDLED = Path(__file__).resolve().parent.parent / "questionnaires" / "proximal_hamstring.yaml"


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_the_bundled_tree_is_drawn_whole(fmt: str) -> None:
    q = load_questionnaire(BUNDLED)
    text = render(q, fmt)
    for question in q.questions:
        assert re.search(rf"\bq_{question.id}\b", text), question.id
    for flag in q.outcomes.red_flags:
        assert f"f_{flag.id}" in text
    # Each question has its arrows, and only to places its routing can take it.
    drawn = edges(q)
    for question in q.questions:
        targets = {e.target for e in drawn if e.source == question.id}
        assert targets, question.id
        assert targets <= set(q.successors(question))


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_graphviz_parses_the_bundled_tree() -> None:
    done = subprocess.run(
        ["dot", "-Tsvg"],
        input=dot(load_questionnaire(BUNDLED)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
@pytest.mark.parametrize("questionnaire_id", ["proximal-hamstring", "ottawa-ankle"])
def test_the_picture_shows_every_study_its_site_and_its_condition(
    fmt: str, questionnaire_id: str
) -> None:
    from hamstring_cli.graph import imaging_nodes
    from hamstring_cli.resources import resolve_questionnaire

    q = load_questionnaire(resolve_questionnaire(questionnaire_id))
    text = render(q, fmt)
    studies = [r for r in q.outcomes.imaging if r.modality]
    nodes = imaging_nodes(q)
    assert len(nodes) == len(studies)
    for rule, (node, study, when) in zip(studies, nodes, strict=True):
        assert rule.modality in study and (rule.site is None or rule.site in study)
        assert when.startswith("when ")
        assert node in text
    for flag in q.outcomes.red_flags:
        assert flag.title in text
    assert "Imaging" in text


def test_a_named_rule_and_an_advised_study_read_as_words() -> None:
    from hamstring_cli.model import Advised, Named

    assert describe(Named("in_scope", Equals("pop", "yes"))) == "rule in_scope"
    assert describe(Advised("X-ray", None, "foot")) == "X-ray of the foot advised"
