"""Decision rules in the format: named rules, triage on advised studies, scope, placeholders.

Each feature with a small questionnaire written inline, so the line numbers a diagnostic names
can be read beside the assertion.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import codes, diagnostics_of, only, where, write_questionnaire

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.engine import Session
from hamstring_cli.errors import Code
from hamstring_cli.model import Answer, Questionnaire
from hamstring_cli.scoring import score

# A small decision rule: an X-ray when the zone hurts and the bone is tender or the patient
# cannot bear weight; the tenderness is asked only when the zone hurts.
RULE = """\
rules:
  - id: cannot_bear_weight
    when: {question: weight, equals: "no"}
    description: unable to take four steps
  - id: xray
    when:
      all:
        - {question: zone, equals: "yes"}
        - any:
            - {question: tender, equals: "yes"}
            - {rule: cannot_bear_weight}
questions:
  - id: age
    type: integer
    prompt: Age?
    min: 0
    max: 110
  - id: weight
    type: choice
    prompt: Can the patient take four steps?
    options:
      - {value: "yes", label: "Yes"}
      - {value: "no", label: "No"}
  - id: zone
    type: choice
    prompt: Pain in the zone?
    options:
      - {value: "yes", label: "Yes", next: tender}
      - {value: "no", label: "No", next: end}
  - id: tender
    type: choice
    prompt: Bone tenderness?
    options:
      - {value: "yes", label: "Yes"}
      - {value: "no", label: "No"}
outcomes:
  scope:
    reason: The rule applies.
    exclusions:
      - when: {question: age, lt: 5}
        reason: Under 5 the rule does not apply ({age} years).
        source: R2
  triage:
    - when: {advised: X-ray}
      level: urgent
      advice: X-ray the same day.
      source: R1
  conditions:
    - id: fracture
      label: Possible fracture
      triage:
        - {level: routine, advice: "If the X-ray is clear, treat as a sprain.", source: R1}
    - id: sprain
      label: Sprain
      triage:
        - {level: routine, advice: Manage as a sprain., source: R1}
  scores:
    - condition: fracture
      when: {rule: xray}
      weight: 1
      reason: the rule is positive
      source: R1
    - condition: sprain
      when: {not: {rule: xray}}
      weight: 2
      reason: the rule is negative
      source: R1
  imaging:
    - when: {all: [{rule: xray}, {not: {question: age, lt: 5}}]}
      modality: X-ray
      urgency: urgent
      reason: X-ray of the zone.
      source: R1
  red_flags:
    - id: cannot_walk
      name: Cannot walk
      when: {rule: cannot_bear_weight}
      level: soon
      advice: Cannot walk - crutches.
      source: R1
    - id: unnamed_flag
      when: {question: age, gte: 100}
      level: routine
      advice: A centenarian.
      source: R1
"""


@pytest.fixture(scope="module")
def rule_tree(tmp_path_factory: pytest.TempPathFactory) -> Questionnaire:
    return load_questionnaire(write_questionnaire(tmp_path_factory.mktemp("rule"), RULE))


def run(q: Questionnaire, **answers: Answer) -> dict[str, object]:
    session = Session(q, answers)
    assert session.finished, session.current
    return score(q, session.path_answers).to_dict()


def test_a_named_rule_reads_as_its_condition_wherever_it_is_named(rule_tree: Questionnaire) -> None:
    tender = run(rule_tree, age=30, weight="yes", zone="yes", tender="yes")
    walking = run(rule_tree, age=30, weight="no", zone="yes", tender="no")
    negative = run(rule_tree, age=30, weight="yes", zone="yes", tender="no")
    assert tender["leading"] == walking["leading"] == "fracture"
    assert negative["leading"] == "sprain"
    assert [f["id"] for f in walking["red_flags"]] == ["cannot_walk"]  # type: ignore[index]
    assert [r.name for r in rule_tree.rules] == ["cannot_bear_weight", "xray"]
    assert rule_tree.rules[0].description == "unable to take four steps"


def test_the_level_follows_the_advised_study_whatever_condition_leads(
    rule_tree: Questionnaire,
) -> None:
    result = run(rule_tree, age=30, weight="yes", zone="yes", tender="yes")
    triage = result["triage"]
    assert triage["level"] == "urgent"  # type: ignore[index]
    # The fracture's own rule is routine: the outcome rule on the advised X-ray sets the level.
    assert "X-ray the same day." in triage["advice"]  # type: ignore[index]
    negative = run(rule_tree, age=30, weight="yes", zone="yes", tender="no")
    assert negative["triage"]["level"] == "routine"  # type: ignore[index]


def test_scope_says_when_the_rule_does_not_apply_apart_from_no_imaging(
    rule_tree: Questionnaire,
) -> None:
    inside = run(rule_tree, age=30, weight="yes", zone="no")
    outside = run(rule_tree, age=3, weight="no", zone="yes", tender="yes")
    assert inside["scope"] == {"applies": True, "reason": "The rule applies.", "source": None}
    assert inside["imaging"]["advised"] is False  # type: ignore[index]
    assert outside["scope"] == {
        "applies": False,
        "reason": "Under 5 the rule does not apply (3 years).",
        "source": "R2",
    }
    assert outside["imaging"]["advised"] is False  # type: ignore[index]
    assert "R2" in [r["id"] for r in outside["references"]]  # type: ignore[index, union-attr]


def test_a_questionnaire_without_a_scope_always_applies(tmp_path: Path) -> None:
    q = load_questionnaire(
        write_questionnaire(tmp_path, RULE.split("  scope:", maxsplit=1)[0] + OUTRO)
    )
    result = run(q, age=3, weight="yes", zone="no")
    assert result["scope"]["applies"] is True  # type: ignore[index]


OUTRO = """\
  conditions:
    - id: c1
      label: One
      triage:
        - {level: routine, advice: Usual care., source: R1}
"""


def test_a_red_flag_has_a_name_in_the_result(rule_tree: Questionnaire) -> None:
    flags = run(rule_tree, age=100, weight="no", zone="no")["red_flags"]
    names = {f["id"]: f["name"] for f in flags}  # type: ignore[union-attr]
    assert names == {"cannot_walk": "Cannot walk", "unnamed_flag": "Unnamed flag"}


def test_an_unknown_named_rule_is_refused_with_its_place(tmp_path: Path) -> None:
    path = write_questionnaire(
        tmp_path, RULE.replace("- {rule: cannot_bear_weight}", "- {rule: cannot_bear}")
    )
    found = only(diagnostics_of(path), Code.UNKNOWN_RULE.code)
    assert (found.place.line, found.place.column) == (11, 22)  # type: ignore[union-attr]
    assert "did you mean 'cannot_bear_weight'" in found.message


def test_named_rules_that_read_each_other_are_refused(tmp_path: Path) -> None:
    body = RULE.replace('when: {question: weight, equals: "no"}', "when: {not: {rule: xray}}")
    found = only(diagnostics_of(write_questionnaire(tmp_path, body)), Code.RULE_CYCLE.code)
    assert "xray" in found.message and "cannot_bear_weight" in found.message


def test_leading_through_a_named_rule_cannot_route(tmp_path: Path) -> None:
    body = RULE.replace(
        'when: {question: weight, equals: "no"}', "when: {leading: fracture}"
    ).replace(
        '      - {value: "no", label: "No", next: end}',
        '      - {value: "no", label: "No", next: end}\n'
        "    routes:\n      - {when: {rule: cannot_bear_weight}, next: end}",
    )
    found = diagnostics_of(write_questionnaire(tmp_path, body))
    # Named where the route reads it: line 31, the route's reference.
    assert where(found, Code.LEADING_IN_ROUTE.code) == [(31, 16)]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # 'advised' in an imaging rule: the studies are what it decides.
        ("    - when: {all: [{rule: xray}", "    - when: {all: [{advised: MRI}"),
        # ... and in a red flag, read through a named rule.
        ("      when: {rule: cannot_bear_weight}\n", "      when: {rule: studied}\n"),
    ],
)
def test_advised_is_read_only_after_the_studies_are_known(
    tmp_path: Path, old: str, new: str
) -> None:
    body = RULE.replace(old, new).replace(
        "rules:\n", "rules:\n  - id: studied\n    when: {advised: X-ray}\n"
    )
    assert Code.ADVISED_TOO_EARLY.code in codes(diagnostics_of(write_questionnaire(tmp_path, body)))


def test_a_placeholder_off_the_path_is_refused_unless_it_has_words_for_it(tmp_path: Path) -> None:
    # 'tender' is asked only when the zone hurts; the sprain's advice is shown without it.
    body = RULE.replace("advice: Manage as a sprain.", 'advice: "Manage as a sprain ({tender})."')
    found = only(
        diagnostics_of(write_questionnaire(tmp_path, body)), Code.PLACEHOLDER_OFF_PATH.code
    )
    assert found.place is not None and found.place.line == 56  # the sprain's rule
    assert "zone" in found.message  # the path that skips it

    fixed = RULE.replace(
        "advice: Manage as a sprain.", 'advice: "Manage as a sprain (tender {tender|not asked})."'
    )
    q = load_questionnaire(write_questionnaire(tmp_path, fixed, "fixed.yaml"))
    result = run(q, age=30, weight="yes", zone="no")
    assert "tender not asked" in result["triage"]["condition_advice"]  # type: ignore[index]
    asked = run(q, age=30, weight="yes", zone="yes", tender="no")
    assert "tender No" in asked["triage"]["condition_advice"]  # type: ignore[index]


def test_a_placeholder_its_condition_reads_or_every_path_asks_is_accepted(
    tmp_path: Path,
) -> None:
    body = RULE.replace(
        "reason: the rule is positive", "reason: the rule is positive (tender {tender}, age {age})"
    )
    assert codes(diagnostics_of(write_questionnaire(tmp_path, body))) == []


def test_a_number_in_quotes_for_an_integer_question_names_the_quotes(tmp_path: Path) -> None:
    body = RULE.replace("when: {question: age, gte: 100}", 'when: {question: age, equals: "100"}')
    found = only(diagnostics_of(write_questionnaire(tmp_path, body)), Code.VALUE_NOT_OPTION.code)
    assert found.code == Code.QUOTED_NUMBER.code == "E103"
    assert "without the quotes" in found.message and "'age'" in found.message
    assert "not an option" not in found.message
