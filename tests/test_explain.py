"""Contributions and what-if changes: every change listed replays to what it claims."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import BUNDLED, chain_questions, questionnaire_text
from hypothesis import given
from hypothesis import strategies as st
from trees import draw_condition, draw_questions, load_generated, tree_settings

from hamstring_cli import explain as explain_module
from hamstring_cli.cache import load_questionnaire
from hamstring_cli.engine import Session
from hamstring_cli.explain import alternatives, contributions, explain, integer_alternatives
from hamstring_cli.model import (
    All,
    Answer,
    Compare,
    ConditionDef,
    Contains,
    Equals,
    Option,
    Outcomes,
    Question,
    Questionnaire,
    RedFlagRule,
    ScoreRule,
    TriageRule,
)
from hamstring_cli.paths import iter_paths
from hamstring_cli.scoring import Result, score


def tree() -> Questionnaire:
    """flags -> age -> onset -(sudden)-> pop -> site -> end; onset -(gradual)-> weeks -> site."""
    yes_no = (Option("yes", "Yes"), Option("no", "No"))
    return Questionnaire(
        id="t",
        version="1",
        title="T",
        questions=(
            Question(
                "flags", "multi", "Flags?", options=(Option("saddle", "S"), Option("lump", "L"))
            ),
            Question("age", "integer", "Age?", minimum=5, maximum=110),
            Question(
                "onset",
                "choice",
                "Onset?",
                options=(
                    Option("sudden", "Sudden", next="pop"),
                    Option("gradual", "Gradual", next="weeks"),
                ),
            ),
            Question("weeks", "integer", "Weeks?", minimum=0, maximum=520, next="site"),
            Question("pop", "choice", "Pop?", options=yes_no),
            Question(
                "site",
                "choice",
                "Site?",
                options=(Option("sit_bone", "Sit bone"), Option("mid_thigh", "Mid thigh")),
                next="end",
            ),
        ),
        outcomes=Outcomes(
            conditions=(
                ConditionDef("rupture", "Rupture", triage=(TriageRule("urgent", "", "R1"),)),
                ConditionDef(
                    "tendinopathy",
                    "Tendinopathy",
                    triage=(
                        TriageRule("soon", "", "R1", Compare("weeks", "gte", 12)),
                        TriageRule("routine", "", "R1"),
                    ),
                ),
                ConditionDef("strain", "Strain", triage=(TriageRule("routine", "", "R1"),)),
                ConditionDef("avulsion", "Avulsion", triage=(TriageRule("urgent", "", "R1"),)),
            ),
            scores=(
                ScoreRule("rupture", Equals("pop", "yes"), 2, "a pop", "R1"),
                ScoreRule(
                    "rupture",
                    All((Equals("onset", "sudden"), Equals("site", "sit_bone"))),
                    2,
                    "an injury at the sit bone",
                    "R1",
                ),
                ScoreRule("rupture", Compare("age", "lt", 18), -3, "under 18", "R2"),
                ScoreRule(
                    "avulsion",
                    All((Compare("age", "lt", 18), Equals("onset", "sudden"))),
                    4,
                    "an injury under 18",
                    "R2",
                ),
                ScoreRule("tendinopathy", Equals("onset", "gradual"), 3, "gradual", "R3"),
                ScoreRule("strain", Equals("onset", "sudden"), 1, "sudden", "R3"),
                ScoreRule("strain", Equals("site", "mid_thigh"), 2, "mid-thigh pain", "R3"),
            ),
            red_flags=(
                RedFlagRule("cauda", Contains("flags", ("saddle",)), "emergency", "", "R4"),
            ),
        ),
    )


BASE: dict[str, Answer] = {
    "flags": (),
    "age": 34,
    "onset": "sudden",
    "pop": "yes",
    "site": "sit_bone",
}


def replay(
    q: Questionnaire, answers: dict[str, Answer], qid: str, value: Answer
) -> tuple[str, str]:
    """Walk the tree again with one answer changed and score the path it takes."""
    steps, pending = Session(q, {**answers, qid: value}).walk()
    assert pending is None, f"{qid}={value!r} needs {pending.id}"
    result = score(q, {s.question.id: s.answer for s in steps})
    return result.leading, result.triage.level


def test_contributions_group_rules_by_the_answers_they_read() -> None:
    q = tree()
    rupture = contributions(q, BASE)[0]
    assert rupture.id == "rupture"
    assert [(c.questions, c.weight) for c in rupture.contributions] == [
        (("onset", "site"), 2),
        (("pop",), 2),
    ]
    assert sum(c.weight for c in rupture.contributions) == rupture.score


def test_contributions_sum_to_each_condition_score() -> None:
    q = tree()
    for answers in (BASE, {**BASE, "age": 15}, {**BASE, "site": "mid_thigh", "pop": "no"}):
        for condition in contributions(q, answers):
            assert sum(c.weight for c in condition.contributions) == condition.score


def test_what_if_finds_what_replaying_finds_on_the_small_tree() -> None:
    q = tree()
    for answers in (BASE, {**BASE, "age": 12}, {**BASE, "pop": "no", "site": "mid_thigh"}):
        assert_same_as_replay(q, answers)


def test_what_if_lists_the_changes_that_alter_the_outcome() -> None:
    q = tree()
    found = {(c.question, c.after): (c.leading, c.level) for c in explain(q, BASE).what_if}
    assert found == {
        ("flags", ("saddle",)): ("rupture", "emergency"),
        ("age", 17): ("avulsion", "urgent"),
        ("site", "mid_thigh"): ("strain", "routine"),
    }


def test_every_what_if_replays_to_what_it_claims() -> None:
    q = tree()
    for answers in (BASE, {**BASE, "age": 12}, {**BASE, "pop": "no", "site": "mid_thigh"}):
        base = score(q, answers)
        for change in explain(q, answers).what_if:
            assert answers[change.question] == change.before
            leading, level = replay(q, answers, change.question, change.after)
            assert (leading, level) == (change.leading, change.level)
            assert (leading, level) != (base.leading, base.triage.level)
            assert change.changes_leading == (leading != base.leading)
            assert change.changes_level == (level != base.triage.level)


def test_a_change_that_routes_to_new_questions_needs_more_answers() -> None:
    explanation = explain(tree(), BASE)
    assert [(o.question, o.after, o.asks) for o in explanation.needs_more_answers] == [
        ("onset", "gradual", "weeks")
    ]
    assert all(c.question != "onset" for c in explanation.what_if)


def test_integer_alternatives_take_the_nearest_value_of_each_range() -> None:
    q = tree()
    # The conditions part age at 18 only: one value on the other side is enough.
    assert integer_alternatives(q, q.question("age"), 34) == [17]
    assert integer_alternatives(q, q.question("age"), 10) == [18]
    # weeks is read at 12: from 3 the nearest value over the line is 12, and back again 11.
    assert integer_alternatives(q, q.question("weeks"), 3) == [12]
    assert integer_alternatives(q, q.question("weeks"), 30) == [11]


def test_multi_alternatives_toggle_one_option_at_a_time() -> None:
    q = tree()
    assert alternatives(q, q.question("flags"), ("lump",)) == [("saddle", "lump"), ()]
    assert alternatives(q, q.question("onset"), "sudden") == ["gradual"]


def test_json_lists_contributions_and_changes() -> None:
    data: Any = explain(tree(), BASE).to_dict()
    assert data["leading"] == "rupture"
    assert data["contributions"][0]["answers"][0] == {
        "questions": ["onset", "site"],
        "answers": {"onset": "sudden", "site": "sit_bone"},
        "weight": 2,
        "findings": [{"text": "an injury at the sit bone", "weight": 2, "source": "R1"}],
    }
    assert {"question": "flags", "from": [], "to": ["saddle"]}.items() <= data["what_if"][0].items()
    assert data["needs_more_answers"] == [
        {"question": "onset", "from": "sudden", "to": "gradual", "asks": "weeks"}
    ]


# ---------------------------------------------------------------------------------------------
# The what-if walks, against the plain method: each change walked from the start and scored


def outcome_of(result: Result) -> tuple[object, ...]:
    """What a what-if compares: the leader, the level, the studies and the scope."""
    studies = tuple((s.modality, s.site) for s in result.imaging.studies)
    return (result.leading, result.triage.level, studies, result.scope.applies)


def what_if_by_replay(
    q: Questionnaire, answers: dict[str, Answer]
) -> tuple[list[tuple[str, Answer, str, str]], list[tuple[str, Answer, str]]]:
    """What explain must find, the slow way: every change walked again from the start, and
    every finished path scored in full."""
    base = score(q, answers)
    changes, open_changes = [], []
    for qid, before in answers.items():
        for after in alternatives(q, q.question(qid), before):
            steps, pending = Session(q, {**answers, qid: after}).walk()
            if pending is not None:
                open_changes.append((qid, after, pending.id))
                continue
            new = score(q, {s.question.id: s.answer for s in steps})
            if outcome_of(new) != outcome_of(base):
                changes.append((qid, after, new.leading, new.triage.level))
    return changes, open_changes


def assert_same_as_replay(q: Questionnaire, answers: dict[str, Answer]) -> None:
    explanation = explain(q, answers)
    found = [(c.question, c.after, c.leading, c.level) for c in explanation.what_if]
    opened = [(o.question, o.after, o.asks) for o in explanation.needs_more_answers]
    assert (found, opened) == what_if_by_replay(q, answers), answers


@pytest.mark.slow
def test_what_if_finds_what_replaying_finds_on_every_case_and_branch() -> None:
    q = load_questionnaire(BUNDLED)
    walks = [w.answers for w in iter_paths(q, values="routing")]
    for path in sorted((BUNDLED.parent.parent / "tests" / "cases").glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))["answers"]
        given = {k: q.question(k).validate(v) for k, v in raw.items()}
        walks.append(Session(q, given).path_answers)
    for answers in walks:
        assert_same_as_replay(q, answers)


@st.composite
def trees_with_outcomes(draw: st.DrawFn) -> str:
    """A generated tree (choice, multi and integer questions, routes of every form) with score
    rules, red flags (some reading the leading condition) and conditional triage rules."""
    questions, kinds = draw_questions(draw)
    conditions = []
    for n, default in enumerate(draw(st.lists(st.sampled_from(LEVELS), min_size=2, max_size=3))):
        triage: list[dict[str, object]] = []
        if draw(st.booleans()):
            when = draw_condition(draw, kinds)
            triage.append({"when": when, "level": draw(st.sampled_from(LEVELS)), "advice": "x"})
        triage.append({"level": default, "advice": "y"})
        for rule in triage:
            rule["source"] = "R1"
        conditions.append({"id": f"c{n}", "label": f"C{n}", "triage": triage})
    scores = [
        {
            "condition": f"c{draw(st.integers(0, len(conditions) - 1))}",
            "when": draw_condition(draw, kinds),
            "weight": draw(st.sampled_from([-2, -1, 1, 1.5, 2, 3, 0.01])),
            "reason": "r",
            "source": "R1",
        }
        for _ in range(draw(st.integers(1, 6)))
    ]
    flags = []
    for n in range(draw(st.integers(0, 2))):
        when = draw_condition(draw, kinds)
        if draw(st.booleans()):
            when = {"all": [when, {"leading": f"c{draw(st.integers(0, len(conditions) - 1))}"}]}
        flags.append(
            {
                "id": f"f{n}",
                "when": when,
                "level": draw(st.sampled_from(LEVELS)),
                "advice": "z",
                "source": "R1",
            }
        )
    outcomes = {"conditions": conditions, "scores": scores}
    if flags:
        outcomes["red_flags"] = flags
    body = "".join(f"  {key}: {json.dumps(value)}\n" for key, value in outcomes.items())
    return questionnaire_text(questions + "outcomes:\n" + body)


LEVELS = ["emergency", "urgent", "soon", "routine"]


@pytest.mark.slow
@tree_settings(max_examples=200)
@given(text=trees_with_outcomes())
def test_what_if_finds_what_replaying_finds_on_generated_trees(
    text: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    q = load_generated(text, tmp_path_factory)
    for walk in itertools.islice(iter_paths(q, values="distinct"), 30):
        assert_same_as_replay(q, walk.answers)


@pytest.mark.slow
def test_explain_is_near_linear_on_a_5000_question_chain(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Counted, not timed: the routing steps and the scorings explain takes. Replaying each of
    # the 5,000 changes from the start would take 25 million steps and 5,000 full scorings.
    length = 5000
    rules = (
        "outcomes:\n  conditions:\n"
        "    - {id: c1, label: One, triage: [{level: routine, advice: x, source: R1}]}\n"
        "    - {id: c2, label: Two, triage: [{level: urgent, advice: y, source: R1}]}\n"
        "  scores:\n"
        "    - {condition: c1, when: {question: q10, equals: y}, weight: 1, reason: r, "
        "source: R1}\n"
        "    - {condition: c2, when: {question: q4000, equals: n}, weight: 2, reason: s, "
        "source: R1}\n"
    )
    path = tmp_path / "chain.yaml"
    path.write_text(questionnaire_text(chain_questions(length) + rules), encoding="utf-8")
    q = load_questionnaire(path)
    answers: dict[str, Answer] = {f"q{i}": "y" for i in range(length)}
    counted = {"steps": 0, "scored": 0}
    step, full = Questionnaire.next_after, explain_module.score

    def counting_step(self: Questionnaire, question: Question, given: Any) -> str:
        counted["steps"] += 1
        return step(self, question, given)

    def counting(function: Any) -> Any:
        def wrapped(*args: Any) -> Any:
            counted["scored"] += 1
            return function(*args)

        return wrapped

    monkeypatch.setattr(Questionnaire, "next_after", counting_step)
    monkeypatch.setattr(explain_module, "score", counting(full))
    explanation = explain(q, answers)
    # One step a change (each rejoins the path at once), and a scoring for the two answers
    # the score rules read.
    assert counted["steps"] <= 2 * length
    assert counted["scored"] <= 5
    assert [(c.question, c.after) for c in explanation.what_if] == [("q4000", "n")]


def ottawa_answers(**changes: Answer) -> dict[str, Answer]:
    """An adult with a tender lateral malleolus and a painless midfoot: one ankle series."""
    answers: dict[str, Answer] = {
        "red_flags": (),
        "age": 30,
        "days_since_injury": 1,
        "bear_weight_immediately": "yes",
        "bear_weight_now": "yes",
        "pain_malleolar_zone": "yes",
        "tender_lateral_malleolus": "yes",
        "tender_medial_malleolus": "no",
        "pain_midfoot_zone": "yes",
        "tender_fifth_metatarsal": "no",
        "tender_navicular": "no",
    }
    return {**answers, **changes}


def test_a_change_of_the_imaging_alone_is_listed_and_replays() -> None:
    from hamstring_cli.cache import load_questionnaire
    from hamstring_cli.resources import resolve_questionnaire

    q = load_questionnaire(resolve_questionnaire("ottawa-ankle"))
    answers = Session(q, ottawa_answers()).path_answers
    found = {(c.question, c.after): c for c in explain(q, answers).what_if}
    # A tender navicular adds the foot series: the leader and the level stay, the imaging does not.
    navicular = found[("tender_navicular", "yes")]
    assert navicular.changes == ["imaging"]
    assert navicular.studies == ("X-ray of the ankle", "X-ray of the foot")
    # Under 5 the rule does not apply: the scope and the imaging change.
    young = found[("age", 4)]
    assert {"imaging", "scope"} <= set(young.changes) and young.applies is False
    for change in found.values():
        replayed = score(q, Session(q, {**answers, change.question: change.after}).path_answers)
        assert replayed.leading == change.leading
        assert replayed.triage.level == change.level
        assert replayed.scope.applies is change.applies
        names = tuple(f"{s.modality} of the {s.site}" for s in replayed.imaging.studies)
        assert names == change.studies
    data: Any = explain(q, answers).to_dict()
    entry = next(w for w in data["what_if"] if w["question"] == "tender_navicular")
    assert entry["changes"] == ["imaging"]
    assert entry["studies"] == ["X-ray of the ankle", "X-ray of the foot"]
    assert "imaging: X-ray of the ankle; X-ray of the foot" in explain(q, answers).to_text()
