"""The checker: each rule with a small questionnaire, asserting codes and places."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import BUNDLED, codes, diagnostics_of, only, where, write_questionnaire

from hamstring_cli.checks import check, static_graph
from hamstring_cli.errors import Code
from hamstring_cli.loader import load_report
from hamstring_cli.model import (
    All,
    Answered,
    Compare,
    ConditionDef,
    Equals,
    Leading,
    Option,
    Outcomes,
    Question,
    Questionnaire,
    Route,
    ScoreRule,
    TriageRule,
)

# Three questions in a row; 'onset' branches, 'mechanism' is asked only after a sudden onset.
TREE = """\
questions:
  - id: onset
    type: choice
    prompt: How did it start?
    options:
      - {value: sudden, label: Suddenly, next: mechanism}
      - {value: gradual, label: Gradually, next: age}
  - id: mechanism
    type: choice
    prompt: How?
    options:
      - {value: sprint, label: Sprinting}
      - {value: stretch, label: Overstretch}
  - id: age
    type: integer
    prompt: Age?
    min: 5
    max: 110
"""

OUTCOMES = """\
outcomes:
  conditions:
    - id: rupture
      label: Rupture
      triage:
        - {level: routine, advice: Usual care., source: R1}
    - id: strain
      label: Strain
      triage:
        - {level: routine, advice: Usual care., source: R1}
"""


def found_in(tmp_path: Path, body: str) -> list:
    return diagnostics_of(write_questionnaire(tmp_path, body))


def with_scores(*whens: str) -> str:
    rules = "".join(
        f"    - {{condition: rupture, weight: 1, reason: r{i}, source: R1, when: {w}}}\n"
        for i, w in enumerate(whens)
    )
    return TREE + OUTCOMES + "  scores:\n" + rules


# Line of the first score rule in with_scores(): TREE (18 lines) + OUTCOMES (10) + 'scores:'.
FIRST_SCORE = 30


def test_the_tree_is_clean(tmp_path: Path) -> None:
    assert found_in(tmp_path, TREE + OUTCOMES) == []


# -- targets ------------------------------------------------------------------------------------


def test_unknown_next_targets_everywhere(tmp_path: Path) -> None:
    body = (
        TREE.replace("next: mechanism}", "next: mechansim}")
        .replace(
            "      - {value: stretch, label: Overstretch}",
            "      - {value: stretch, label: O}\n    next: agee",
        )
        .replace(
            "    max: 110",
            "    max: 110\n    routes:\n"
            "      - when: {question: age, lt: 18}\n        next: nowhere",
        )
    )
    found = found_in(tmp_path, "start: onsett\n" + body)
    assert codes(found) == [Code.UNKNOWN_NEXT.code] * 4
    # Each at its 'next:' value, not at the option, question or route that holds it.
    assert [d.place.line for d in found] == [1, 7, 15, 23]
    assert "'mechanism'" in found[1].message and "'onset'" in found[0].message


def test_unknown_required_question(tmp_path: Path) -> None:
    found = found_in(tmp_path, "required: [onset, agge]\n" + TREE)
    assert where(found, Code.UNKNOWN_REQUIRED.code) == [(1, 19)]


# -- conditions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "code"),
    [
        ("{question: onsett, equals: sudden}", Code.UNKNOWN_QUESTION_REF),
        ("{answered: agee}", Code.UNKNOWN_QUESTION_REF),
        ("{question: onset, equals: suden}", Code.VALUE_NOT_OPTION),
        ("{question: onset, one_of: [sudden, 3]}", Code.VALUE_NOT_OPTION),
        ("{question: age, equals: old}", Code.VALUE_NOT_OPTION),
        ("{question: onset, gte: 3}", Code.NUMERIC_ON_NON_INTEGER),
        ("{question: onset, contains: sudden}", Code.CONTAINS_ON_NON_MULTI),
        ("{question: age, lt: 200}", Code.OUT_OF_RANGE_IN_CONDITION),
        ("{question: age, one_of: [1, 20]}", Code.OUT_OF_RANGE_IN_CONDITION),
        ("{leading: rupturee}", Code.UNKNOWN_CONDITION),
        ("{not: {leading: rupturee}}", Code.UNKNOWN_CONDITION),
    ],
)
def test_condition_rules(tmp_path: Path, when: str, code: object) -> None:
    found = found_in(tmp_path, with_scores(when))
    assert codes(found) == [code.code]  # type: ignore[attr-defined]
    assert found[0].place.line == FIRST_SCORE


def test_a_value_not_an_option_has_a_hint_and_the_allowed_values(tmp_path: Path) -> None:
    error = only(found_in(tmp_path, with_scores("{question: onset, equals: suden}")), "E103")
    assert error.allowed == ("sudden", "gradual") and "'sudden'" in error.message
    assert error.question == "onset"


def test_equals_on_a_multi_question_never_holds(tmp_path: Path) -> None:
    body = TREE.replace(
        "  - id: age\n",
        "  - id: flags\n    type: multi\n    prompt: Which?\n    options:\n"
        "      - {value: a, label: A}\n  - id: age\n",
    )
    rule = (
        "    - {condition: rupture, weight: 1, reason: r, source: R1,"
        " when: {question: flags, equals: a}}\n"
    )
    found = found_in(tmp_path, body + OUTCOMES + "  scores:\n" + rule)
    assert codes(found) == [Code.EQUALS_ON_MULTI.code]


def test_leading_is_refused_in_routes(tmp_path: Path) -> None:
    body = TREE.replace(
        "    max: 110",
        "    max: 110\n    routes:\n      - when: {leading: rupture}\n        next: end",
    )
    found = found_in(tmp_path, body + OUTCOMES)
    assert where(found, Code.LEADING_IN_ROUTE.code) == [(20, 15)]


# -- outcomes -----------------------------------------------------------------------------------


def test_score_rules_name_known_conditions(tmp_path: Path) -> None:
    body = with_scores("{answered: age}").replace("condition: rupture,", "condition: rupure,")
    error = only(found_in(tmp_path, body), Code.UNKNOWN_CONDITION.code)
    assert error.place.line == FIRST_SCORE
    assert error.allowed == ("rupture", "strain") and "'rupture'" in error.message


def test_sources_must_be_references(tmp_path: Path) -> None:
    body = with_scores("{answered: age}").replace("source: R1, when", "source: R3, when")
    body = body.replace("advice: Usual care., source: R1}", "advice: Usual care., source: R12}", 1)
    found = found_in(tmp_path, body)
    assert where(found, Code.UNKNOWN_REFERENCE.code) == [(24, 11), (FIRST_SCORE, 7)]


def test_placeholders_name_questions(tmp_path: Path) -> None:
    body = (TREE + OUTCOMES).replace(
        "advice: Usual care., source: R1}", "advice: 'Age {age}, since {agee}', source: R1}", 1
    )
    found = found_in(tmp_path, body)
    error = only(found, Code.UNKNOWN_PLACEHOLDER.code)
    assert error.place.line == 24 and "{agee}" in error.message and "'age'" in error.message


def test_a_timeframe_lies_within_its_level(tmp_path: Path) -> None:
    body = (
        (TREE + OUTCOMES).replace(
            "advice: Usual care., source: R1}", "advice: x, source: R1, timeframe: same day}", 1
        )
        + "  red_flags:\n"
        + "    - {id: f, when: {answered: age}, level: urgent, advice: x, source: R1,"
        + " timeframe: within 48 hours}\n"
        + "    - {id: g, when: {answered: age}, level: soon, advice: x, source: R1,"
        + " timeframe: now}\n"
        + "  imaging:\n"
        + "    - {when: {answered: age}, modality: MRI, urgency: emergency, reason: x,"
        + " source: R1, site: lumbar spine, timeframe: within 4 hours}\n"
        + "    - {when: {answered: age}, modality: X-ray, urgency: urgent, reason: x,"
        + " source: R1, site: pelvis, timeframe: routine}\n"
    )
    found = [d for d in found_in(tmp_path, body) if d.code == Code.TIMEFRAME_OUTSIDE_LEVEL.code]
    assert [(d.place.line, d.place.column) for d in found] == [(24, 11), (31, 7), (34, 7)]
    assert "triage rule 1 of 'rupture'" in found[0].message and "routine's" in found[0].message
    assert "red flag 'g'" in found[1].message and "within 2 weeks" in found[1].message
    assert "imaging rule 2" in found[2].message and "'routine'" in found[2].message


def test_every_condition_needs_a_default_triage_rule(tmp_path: Path) -> None:
    body = (TREE + OUTCOMES).replace(
        "        - {level: routine, advice: Usual care., source: R1}\n    - id: strain",
        "        - {level: routine, advice: Usual care., source: R1, when: {answered: age}}\n"
        "    - id: strain",
    )
    found = found_in(tmp_path, body)
    assert where(found, Code.LEVEL_WITHOUT_DEFAULT.code) == [(21, 7)]


def test_triage_rules_after_the_default_are_dead(tmp_path: Path) -> None:
    body = (TREE + OUTCOMES).replace(
        "        - {level: routine, advice: Usual care., source: R1}\n    - id: strain",
        "        - {level: routine, advice: Usual care., source: R1}\n"
        "        - {level: urgent, advice: Later., source: R1, when: {answered: age}}\n"
        "    - id: strain",
    )
    found = found_in(tmp_path, body)
    assert where(found, Code.UNREACHABLE_OUTCOME.code) == [(25, 11)]


def test_a_questionnaire_with_no_questions(tmp_path: Path) -> None:
    found = found_in(tmp_path, "questions: []\n")
    assert codes(found) == [Code.NO_QUESTIONS.code]


# -- paths --------------------------------------------------------------------------------------


def test_a_cycle_is_reported_with_its_path(tmp_path: Path) -> None:
    body = TREE.replace("    max: 110", "    max: 110\n    next: mechanism")
    found = found_in(tmp_path, body)
    error = only(found, Code.CYCLE.code)
    assert "mechanism -> age -> mechanism" in error.message
    assert error.place.line == 8
    # There is a way out (gradual goes to age, which loops): only the cycle is an error,
    # and every path still loops, so it never ends either.
    assert Code.NEVER_ENDS.code in codes(found)


def test_a_loop_with_an_exit_does_not_claim_it_never_ends(tmp_path: Path) -> None:
    body = TREE.replace(
        "    max: 110",
        "    max: 110\n    routes:\n      - when: {question: age, lt: 18}\n        next: onset",
    )
    found = found_in(tmp_path, body)
    assert codes(found) == [Code.CYCLE.code]
    assert "onset -> age -> onset" in found[0].message


def test_a_question_pointing_to_itself(tmp_path: Path) -> None:
    body = TREE.replace("    max: 110", "    max: 110\n    next: age")
    found = found_in(tmp_path, body)
    assert "age -> age" in only(found, Code.CYCLE.code).message
    assert where(found, Code.NEVER_ENDS.code) == [(14, 5)]


def test_unreachable_questions_are_warnings(tmp_path: Path) -> None:
    body = TREE.replace("next: mechanism}", "next: age}")
    report = load_report(write_questionnaire(tmp_path, body))
    assert where(report.warnings, Code.UNREACHABLE_QUESTION.code) == [(8, 5)]


def test_a_choice_whose_options_all_route_never_falls_through() -> None:
    q = Questionnaire(
        id="t",
        version="1",
        title="t",
        questions=(
            Question(
                "a",
                "choice",
                "A?",
                options=(Option("x", "X", next="c"), Option("y", "Y", next="end")),
            ),
            Question("b", "integer", "B?", minimum=0, maximum=1),
            Question("c", "integer", "C?", minimum=0, maximum=1),
        ),
        outcomes=Outcomes(
            conditions=(ConditionDef("c1", "C", triage=(TriageRule("routine", "x", ""),)),),
        ),
    )
    assert static_graph(q) == {"a": ["c", "end"], "b": ["c"], "c": ["end"]}
    assert codes(check(q)) == [Code.UNREACHABLE_QUESTION.code]


def test_a_required_question_skipped_by_a_path(tmp_path: Path) -> None:
    body = "required: [onset, mechanism, age]\n" + TREE
    found = found_in(tmp_path, body)
    error = only(found, Code.REQUIRED_SKIPPED.code)
    assert error.question == "mechanism"
    assert "onset -> age -> end" in error.message
    assert (error.place.line, error.place.column) == (1, 19)


def test_required_questions_on_every_path_pass(tmp_path: Path) -> None:
    assert found_in(tmp_path, "required: [onset, age]\n" + TREE) == []


# -- rules no path can satisfy ------------------------------------------------------------------


@pytest.mark.parametrize(
    "when",
    [
        # mechanism is asked only after a sudden onset
        "{all: [{question: onset, equals: gradual}, {question: mechanism, equals: sprint}]}",
        "{all: [{question: onset, equals: gradual}, {answered: mechanism}]}",
        # the same question cannot take two values
        "{all: [{question: onset, equals: gradual}, {question: onset, equals: sudden}]}",
        "{question: age, gt: 40, lt: 30}",
        "{at_least: 2, of: [{question: onset, equals: gradual},"
        " {question: mechanism, equals: sprint}]}",
        "{not: {answered: onset}}",
    ],
)
def test_rules_no_path_can_satisfy_are_warnings(tmp_path: Path, when: str) -> None:
    found = found_in(tmp_path, with_scores(when))
    assert where(found, Code.UNREACHABLE_OUTCOME.code) == [(FIRST_SCORE, 7)]


@pytest.mark.parametrize(
    "when",
    [
        "{all: [{question: onset, equals: sudden}, {question: mechanism, equals: sprint}]}",
        "{not: {answered: mechanism}}",
        "{any: [{question: onset, equals: gradual}, {question: mechanism, equals: sprint}]}",
        "{all: [{question: age, gte: 18, lt: 19}, {question: onset, equals: gradual}]}",
        "{at_least: 1, of: [{question: onset, equals: gradual},"
        " {question: mechanism, equals: sprint}]}",
        # 'leading' depends on the scores: never claimed impossible
        "{all: [{leading: rupture}, {leading: strain}]}",
        "{all: [{leading: strain}, {question: age, gte: 60}]}",
    ],
)
def test_rules_some_path_satisfies_are_quiet(tmp_path: Path, when: str) -> None:
    assert found_in(tmp_path, with_scores(when)) == []


def test_red_flags_imaging_and_notes_are_searched_too(tmp_path: Path) -> None:
    never = "{all: [{question: onset, equals: gradual}, {answered: mechanism}]}"
    body = (
        TREE
        + OUTCOMES
        + f"""\
  red_flags:
    - {{id: f, when: {never}, level: urgent, advice: x, source: R1}}
  imaging:
    - {{when: {never}, modality: MRI, urgency: soon, reason: x, source: R1}}
  notes:
    - {{text: x, source: R1, when: {never}}}
"""
    )
    found = found_in(tmp_path, body)
    assert where(found, Code.UNREACHABLE_OUTCOME.code) == [(30, 7), (32, 7), (34, 7)]


def _routed(*scores: ScoreRule) -> Questionnaire:
    # 'b' is reached only through a route on a = x; otherwise 'a' ends the path.
    return Questionnaire(
        id="t",
        version="1",
        title="t",
        questions=(
            Question(
                "a",
                "choice",
                "A?",
                options=(Option("x", "X"), Option("y", "Y")),
                routes=(Route(Equals("a", "x"), "b"),),
                next="end",
            ),
            Question("b", "integer", "B?", minimum=0, maximum=9),
        ),
        outcomes=Outcomes(
            conditions=(ConditionDef("c1", "C", triage=(TriageRule("routine", "x", ""),)),),
            scores=scores,
        ),
    )


def test_the_search_follows_routes_not_just_the_graph() -> None:
    # On the static graph a and b lie on one path; the routing allows b only after a = x.
    never = ScoreRule("c1", All((Equals("a", "y"), Answered("b"))), 1, "r", "")
    assert codes(check(_routed(never))) == [Code.UNREACHABLE_OUTCOME.code]
    possible = ScoreRule("c1", All((Equals("a", "x"), Compare("b", "gte", 9))), 1, "r", "")
    assert check(_routed(possible)) == []
    assert check(_routed(ScoreRule("c1", Leading("c1"), 1, "r", ""))) == []


# -- purity and the bundled file ----------------------------------------------------------------


def test_the_checker_imports_no_yaml_and_no_terminal() -> None:
    code = (
        "import sys, hamstring_cli.checks; "
        "print(sorted(m for m in ('yaml', 'rich', 'typer', 'questionary') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_bundled_questionnaire_has_no_errors() -> None:
    report = load_report(BUNDLED)
    assert all(d.severity == "warning" for d in check(report.questionnaire))


def test_without_the_search_only_the_rule_warnings_go(tmp_path: Path) -> None:
    never = "{all: [{question: onset, equals: gradual}, {answered: mechanism}]}"
    q = load_report(write_questionnaire(tmp_path, with_scores(never))).questionnaire
    assert codes(check(q)) == [Code.UNREACHABLE_OUTCOME.code]
    assert check(q, search=False) == []
