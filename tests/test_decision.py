"""The decision: live red-flag alerts read the result's evaluation, and a withdrawn flag says why.

An intake shows a red flag as soon as the answers so far make it certain; the summary then lists
every flag shown that the final answers no longer raise (an answer changed at the review), with
the answer that withdrew it, in the JSON, the text and the Markdown report alike.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.engine import Session
from hamstring_cli.model import Answer, Questionnaire
from hamstring_cli.render.markdown import render_markdown
from hamstring_cli.render.text import decision_text, render_text
from hamstring_cli.scoring import alerts, score

QUESTIONNAIRE = (
    Path(__file__).resolve().parent.parent / "questionnaires" / "proximal_hamstring.yaml"
)
CASES = Path(__file__).resolve().parent / "cases"

#: A fall from a ladder at 64, limping: a fracture to exclude (tests/cases, major trauma).
FALL: dict[str, Answer] = {
    "red_flags": ("major_trauma",),
    "anticoagulants": "no",
    "age": 64,
    "onset": "sudden",
    "mechanism": "other",
    "pop": "no",
    "could_continue": "no",
    "days_since_injury": 2,
    "bruising": "local",
    "walking": "limp",
    "pain_site": "sit_bone",
    "sitting_pain": "immediate",
    "numbness": "none",
    "back_pain": "no",
    "prior_hamstring_injury": "no",
    "examined": "no",
}


@pytest.fixture(scope="module")
def q() -> Questionnaire:
    return load_questionnaire(QUESTIONNAIRE)


def alerted_ids(q: Questionnaire, answers: dict[str, Answer]) -> list[str]:
    return [rule.id for rule in alerts(q, answers)]


def prefix(answers: dict[str, Answer], last: str) -> dict[str, Answer]:
    keys = list(answers)
    return {k: answers[k] for k in keys[: keys.index(last) + 1]}


def test_a_flag_is_alerted_once_nothing_still_to_come_can_take_it_back(q: Questionnaire) -> None:
    # The saddle: nothing else decides it, so it is alerted on the safety screen at once.
    assert alerted_ids(q, {"red_flags": ("saddle_or_bladder",)}) == ["cauda_equina"]
    # A tense thigh: which compartment syndrome depends on the blood thinners, asked next.
    assert alerted_ids(q, {"red_flags": ("tense_thigh",)}) == []
    assert alerted_ids(q, {"red_flags": ("tense_thigh",), "anticoagulants": "unsure"}) == [
        "compartment_syndrome_anticoagulated"
    ]
    # A fall under 65: a fracture to exclude, or a hip fracture if the patient cannot walk.
    assert "fracture" not in alerted_ids(q, prefix(FALL, "bruising"))
    assert "fracture" in alerted_ids(q, prefix(FALL, "walking"))


def test_a_flag_on_the_leading_condition_is_alerted_only_at_the_end(q: Questionnaire) -> None:
    # Months of buttock ache, then a gap below a tender sit bone (tests/cases, torn tendon):
    # the flag holds only if neither a rupture nor a bony avulsion leads, known at the end.
    case = yaml.safe_load((CASES / "torn_tendon_gradual_gap_weak.yaml").read_text("utf-8"))
    answers = {k: q.question(k).validate(v) for k, v in case["answers"].items()}
    session = Session(q, answers)
    assert session.finished
    path = session.path_answers
    result = score(q, path)
    assert "torn_tendon" in [f.id for f in result.red_flags]
    for last in list(path)[:-1]:
        assert "torn_tendon" not in alerted_ids(q, prefix(path, last)), last
    # At the end the live evaluation is the result's own.
    assert alerted_ids(q, path) == [f.id for f in sorted(result.red_flags, key=_order(q))]


def _order(q: Questionnaire):  # type: ignore[no-untyped-def]
    ids = [rule.id for rule in q.outcomes.red_flags]
    return lambda flag: ids.index(flag.id)


def test_a_flag_withdrawn_by_a_changed_answer_is_shown_with_why(q: Questionnaire) -> None:
    shown_on = dict(FALL)
    # At the review the walking answer becomes 'unable': a hip fracture, not a fracture.
    final = {**FALL, "walking": "unable"}
    result = score(q, Session(q, final).path_answers, alerted={"fracture": shown_on})
    ids = [f.id for f in result.red_flags]
    assert "hip_fracture" in ids and "fracture" not in ids
    (gone,) = result.decision.withdrawn
    walking = q.question("walking")
    assert gone.id == "fracture"
    assert walking.prompt in gone.why
    assert walking.words("limp") in gone.why and walking.words("unable") in gone.why
    data = result.to_dict()["decision"]
    assert data["withdrawn"][0]["id"] == "fracture"  # type: ignore[index]
    for shown in (render_text(result, width=80), render_markdown(result)):
        flat = " ".join(shown.split())
        assert "now withdrawn" in flat and " ".join(gone.why.split()) in flat
        assert " ".join(gone.advice.split()) in flat
    assert "now withdrawn" in decision_text(result, width=80)


def test_a_flag_still_raised_is_not_withdrawn(q: Questionnaire) -> None:
    result = score(q, Session(q, FALL).path_answers, alerted={"fracture": dict(FALL)})
    assert result.decision.withdrawn == ()
    assert "withdrawn" not in render_text(result)


def test_the_decision_in_the_json(q: Questionnaire) -> None:
    data = score(q, Session(q, FALL).path_answers).to_dict()
    decision = data["decision"]
    assert isinstance(decision, dict)
    assert decision["level"] == data["triage"]["level"] == "urgent"  # type: ignore[index]
    assert decision["timeframe"] == data["triage"]["timeframe"]  # type: ignore[index]
    assert decision["studies"] == data["imaging"]["studies"]  # type: ignore[index]
    assert decision["red_flags"] == data["red_flags"]
    assert decision["safety_net"] == data["safety_net"]
    assert decision["otherwise"] is False and decision["emergency"] == []
    assert "within days" in decision["action"]
    sources = {r["id"] for r in data["references"]}  # type: ignore[attr-defined]
    assert {item["source"] for item in decision["safety_net"]} <= sources


@pytest.mark.parametrize(
    ("anticoagulants", "words", "absent"),
    [
        ("yes", ["anti-inflammatory painkillers", "spreads"], ["medication list"]),
        ("unsure", ["medication list", "anti-inflammatory painkillers", "spreads"], []),
        ("no", [], ["anti-inflammatory painkillers", "medication list"]),
    ],
)
def test_the_safety_net_is_tailored_to_blood_thinners(
    q: Questionnaire, anticoagulants: str, words: list[str], absent: list[str]
) -> None:
    answers = {**FALL, "red_flags": (), "anticoagulants": anticoagulants}
    net = " ".join(i.text for i in score(q, Session(q, answers).path_answers).decision.safety_net)
    for word in words:
        assert word in net, word
    for word in absent:
        assert word not in net, word
    # Always: where to go at once for the signs that cannot wait.
    assert "saddle area" in net and "fever" in net and "foot drop" in net


def test_the_safety_net_does_not_repeat_a_flag_already_raised(q: Questionnaire) -> None:
    answers = {**FALL, "red_flags": ("saddle_or_bladder", "fever_unwell")}
    net = " ".join(i.text for i in score(q, Session(q, answers).path_answers).decision.safety_net)
    assert "saddle area" not in net and "fever" not in net and "foot drop" in net


def test_the_fhir_bundle_carries_the_decision(q: Questionnaire) -> None:
    from hamstring_cli.fhir.bundle import to_bundle

    answers = {**FALL, "red_flags": ("saddle_or_bladder",), "anticoagulants": "unsure"}
    data = score(q, Session(q, answers).path_answers).to_dict()
    observation = to_bundle(q, data)["entry"][2]["resource"]  # type: ignore[index]
    assert observation["component"][0]["valueString"] == "now"
    notes = " ".join(note["text"] for note in observation["note"])
    assert "Otherwise most likely: " in notes
    for item in data["safety_net"]:  # type: ignore[attr-defined]
        assert item["text"] in notes
