"""docs/clinical-logic.md is generated from the bundled questionnaire and kept up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.clinical_doc import (
    describe,
    document_name,
    regenerate,
    render_clinical_logic,
)
from hamstring_cli.model import (
    Advised,
    All,
    Answered,
    AnyOf,
    AtLeast,
    Compare,
    ConditionDef,
    Contains,
    Equals,
    Leading,
    Named,
    Not,
    OneOf,
    Option,
    Outcomes,
    Question,
    Questionnaire,
    TriageRule,
)
from hamstring_cli.resources import bundled_id, bundled_questionnaires, resolve_questionnaire

ROOT = Path(__file__).resolve().parent.parent
QUESTIONNAIRE = ROOT / "questionnaires" / "proximal_hamstring.yaml"
DOC = ROOT / "docs" / "clinical-logic.md"


@pytest.fixture(scope="module")
def bundled() -> Questionnaire:
    return load_questionnaire(QUESTIONNAIRE)


BUNDLED = [bundled_id(path) for path in bundled_questionnaires()]


@pytest.mark.parametrize("questionnaire_id", BUNDLED)
def test_the_document_is_up_to_date(questionnaire_id: str) -> None:
    q = load_questionnaire(resolve_questionnaire(questionnaire_id))
    doc = ROOT / "docs" / document_name(questionnaire_id)
    expected = render_clinical_logic(q)
    actual = doc.read_text(encoding="utf-8") if doc.exists() else ""
    assert actual == expected, (
        f"docs/{doc.name} is out of date with {Path(q.source).name}; "
        f"regenerate it from the repository root with: {regenerate(questionnaire_id)}"
    )


@pytest.mark.parametrize("questionnaire_id", BUNDLED)
def test_the_document_says_nothing_of_another_questionnaire(questionnaire_id: str) -> None:
    # The words around the rules are the format's: none is borrowed from another questionnaire.
    q = load_questionnaire(resolve_questionnaire(questionnaire_id))
    text = render_clinical_logic(q)
    own = Path(q.source).read_text(encoding="utf-8").lower()
    for word in ("hamstring", "sit bone", "ankle", "tendon", "bony avulsion"):
        if word not in own:
            assert word not in text.lower(), word


def test_the_document_lists_every_question_rule_and_reference(bundled: Questionnaire) -> None:
    text = render_clinical_logic(bundled)
    for question in bundled.questions:
        assert f"`{question.id}`" in text
        assert question.prompt in text
    out = bundled.outcomes
    for condition in out.conditions:
        assert f"(`{condition.id}`)" in text
        for rule in condition.triage:
            assert rule.advice.split()[0] in text
    for score in out.scores:
        assert f"{score.reason} [{score.source}]" in text
    for flag in out.red_flags:
        assert (
            f"`{flag.id}` ({flag.title}), **{flag.level}**: {flag.advice} [{flag.source}]" in text
        )
    for imaging in out.imaging:
        assert f"{imaging.reason} [{imaging.source}]" in text
    for note in out.notes:
        assert f"{note.text} [{note.source}]" in text
    for reference in bundled.references:
        assert f"**{reference.id}** {reference.citation}" in text


def test_the_module_prints_the_document() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hamstring_cli.clinical_doc"],
        capture_output=True,
        check=True,
        cwd=ROOT,
    )
    assert done.stdout.decode("utf-8") == DOC.read_text(encoding="utf-8")


def small() -> Questionnaire:
    yes_no = (Option("yes", "Yes"), Option("no", "No"))
    return Questionnaire(
        id="small",
        version="1",
        title="Small",
        questions=(
            Question("age", "integer", "Age?", minimum=0, maximum=99),
            Question("pop", "choice", "Pop?", options=yes_no),
            Question("flags", "multi", "Flags?", options=(Option("a_b", "A"), Option("c", "C"))),
        ),
        outcomes=Outcomes(
            conditions=(ConditionDef("x", "Ex", triage=(TriageRule("routine", "Fine.", "R1"),)),)
        ),
    )


@pytest.mark.parametrize(
    ("condition", "words"),
    [
        (Equals("pop", "yes"), "pop is yes"),
        (Not(Equals("pop", "yes")), "pop is not yes"),
        (OneOf("pop", ("yes", "no")), "pop is yes or no"),
        (Not(OneOf("pop", ("yes", "no"))), "pop is neither yes nor no"),
        (Compare("age", "lt", 18), "age is under 18"),
        (Compare("age", "gte", 65), "age is at least 65"),
        (
            All((Compare("age", "gte", 18), Compare("age", "lte", 25))),
            "age is at least 18 and at most 25",
        ),
        (Contains("flags", ("a_b",)), "flags include a b"),
        (Contains("flags", ("a_b", "c")), "flags include any of a b, c"),
        (Answered("age"), "age was asked"),
        (Leading("x"), "the leading condition is Ex (`x`)"),
        (
            Named("old", Compare("age", "gte", 55), None, "aged 55 or more"),
            "rule `old` (aged 55 or more)",
        ),
        (Not(Named("old", Compare("age", "gte", 55))), "not rule `old`"),
        (Advised("X-ray", None, "ankle"), "an X-ray of the ankle is advised"),
        (
            All((Equals("pop", "yes"), AnyOf((Compare("age", "gt", 40), Equals("pop", "no"))))),
            "all of (pop is yes; any of (age is over 40; pop is no))",
        ),
        (
            AtLeast(2, (Equals("pop", "yes"), Compare("age", "lt", 5), Answered("flags"))),
            "at least 2 of (pop is yes; age is under 5; flags was asked)",
        ),
        (
            Not(AnyOf((Equals("pop", "yes"), Answered("age")))),
            "none of (pop is yes; age was asked)",
        ),
    ],
)
def test_conditions_in_plain_words(condition: object, words: str) -> None:
    assert describe(condition, small()) == words  # type: ignore[arg-type]


def test_a_small_questionnaire_renders() -> None:
    text = render_clinical_logic(small())
    assert text.startswith("# Clinical logic: Small\n")
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert "a path asks at most 3 questions" in text
    assert "1. otherwise: **routine, routine**. Fine. [R1]" in text
