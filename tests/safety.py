"""The clinical safety properties of the bundled questionnaire, as checks on one answer set.

Shared by the property tests (``test_properties.py``, generated answer sets) and the exhaustive
path test (``test_exhaustive.py``, every path). Each check takes complete answers on one path and
fails with the answers and the result when a property does not hold:

- ``saddle_or_bladder``, ``both_legs`` or ``tense_thigh``: emergency.
- ``foot_drop``: at least urgent, and an MRI among the advised studies.
- Examined with a palpable gap or no hamstring activation: imaging advised, at least soon.
- An adult sudden injury with a pop, a large bruise and sitting that hurts at once or is
  impossible, within 42 days, unless the examination finds neither tenderness nor a gap: imaging
  advised and at least urgent, whatever the pain site.
- A stronger sign of rupture never lowers the level or the rupture score.
- Adding a red flag never lowers the level.
- With a rupture leading, an unsure pop, bruise or gap never raises the confidence.
- A direct fall or blow with no pop never gives a high-confidence rupture.
- No advised study is more urgent than the triage level.
- One study a site, ordered by timeframe; no study or red flag is due sooner than the result's
  timeframe, and each timeframe lies within its level; a leading rupture keeps its MRI of the
  hamstring origin whatever else is advised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hamstring_cli.engine import Session
from hamstring_cli.model import LEVEL_RANK, LEVEL_TIMEFRAMES, TIMEFRAME_RANK, Answer, Questionnaire
from hamstring_cli.scoring import score

EMERGENCY_FLAGS = ("saddle_or_bladder", "both_legs", "tense_thigh")
CONFIDENCE_RANK = {"low": 0, "moderate": 1, "high": 2}

#: One answer changed to a stronger sign of rupture: (question, weaker, stronger).
STRONGER = (
    ("pop", "no", "yes"),
    ("bruising", "none", "extensive"),
    ("could_continue", "yes", "no"),
    ("sitting_pain", "none", "cannot_sit"),
    ("walking", "normal", "unable"),
    ("palpable_gap", "no", "yes"),
    ("knee_flexion_strength", "normal", "no_activation"),
)

#: A finding that supports a rupture made unknown: (question, supporting, unknown values).
MADE_UNKNOWN = (
    ("pop", "yes", ("unsure",)),
    ("bruising", "extensive", ("unsure",)),
    ("palpable_gap", "yes", ("obscured", "not_done")),
)


def result_of(q: Questionnaire, answers: Mapping[str, Answer]) -> dict[str, Any]:
    """The JSON result for complete answers on one path."""
    session = Session(q, answers)
    assert session.finished, answers
    return score(q, session.path_answers).to_dict()


def rank(level: str) -> int:
    """A level's rank: 0 is the most pressing (emergency)."""
    return LEVEL_RANK[level]


def rupture_score(result: Mapping[str, Any]) -> float:
    return float(next(c["score"] for c in result["differential"] if c["id"] == "acute_rupture"))


def check_result(answers: Mapping[str, Answer], result: Mapping[str, Any]) -> None:
    """The properties that read one answer set and its result."""
    flags = set(answers["red_flags"])  # type: ignore[arg-type]
    level = result["triage"]["level"]
    imaging = result["imaging"]
    modalities = [s["modality"] for s in imaging["studies"]]
    context = (dict(answers), level, imaging["studies"])
    if flags & set(EMERGENCY_FLAGS):
        assert level == "emergency", context
    if "foot_drop" in flags:
        assert rank(level) <= rank("urgent"), context
        assert "MRI" in modalities, context
    if answers.get("examined") == "yes" and (
        answers.get("palpable_gap") == "yes"
        or answers.get("knee_flexion_strength") == "no_activation"
    ):
        assert imaging["advised"] and modalities, context
        assert rank(level) <= rank("soon"), context
    if direct_blow(answers) and result["leading"] == "acute_rupture":
        assert result["confidence"] != "high", (context, result["differential"][:2])
    if rupture_pattern_anywhere(answers):
        assert imaging["advised"] and modalities, context
        assert rank(level) <= rank("urgent"), context
    # No study is more urgent than the level the result gives: the two never contradict.
    for study in imaging["studies"]:
        assert rank(study["urgency"]) >= rank(level), context
    # One study a site, most urgent timeframe first (then level), and the first is the headline.
    order = [(TIMEFRAME_RANK[s["timeframe"]], rank(s["urgency"])) for s in imaging["studies"]]
    assert order == sorted(order), context
    sites = [s["site"] for s in imaging["studies"]]
    assert None not in sites and len(set(sites)) == len(sites), context
    # No line under the heading is due sooner than the heading says.
    timeframe = TIMEFRAME_RANK[result["triage"]["timeframe"]]
    assert result["triage"]["timeframe"] in LEVEL_TIMEFRAMES[level], context
    for item in (*imaging["studies"], *result["red_flags"]):
        assert TIMEFRAME_RANK[item["timeframe"]] >= timeframe, context
        assert item["timeframe"] in LEVEL_TIMEFRAMES[item.get("urgency", item.get("level"))]
    # A red flag's study is added beside the others: a rupture keeps its hamstring-origin MRI.
    if result["leading"] == "acute_rupture":
        assert "hamstring origin" in sites, context
    if imaging["advised"]:
        first = imaging["studies"][0]
        assert (imaging["modality"], imaging["urgency"]) == (first["modality"], first["urgency"])
    else:
        assert imaging["studies"] == [], context


def direct_blow(answers: Mapping[str, Answer]) -> bool:
    """A fall or blow with no pop, no overstretch and no torn-tendon sign on examination."""
    return (
        "major_trauma" in answers["red_flags"]  # type: ignore[operator]
        and answers.get("onset") == "sudden"
        and answers.get("pop") != "yes"
        and answers.get("mechanism") != "overstretch"
        and answers.get("palpable_gap") != "yes"
        and answers.get("knee_flexion_strength") != "no_activation"
    )


def rupture_pattern_anywhere(answers: Mapping[str, Answer]) -> bool:
    """The adult rupture pattern of the issue, whatever the pain site."""
    if answers.get("onset") != "sudden" or answers["age"] < 18:  # type: ignore[operator]
        return False
    if not (
        answers.get("pop") == "yes"
        and answers.get("bruising") == "extensive"
        and answers.get("sitting_pain") in ("immediate", "cannot_sit")
        and answers.get("days_since_injury", 10**6) <= 42  # type: ignore[operator]
    ):
        return False
    examined_clear = (
        answers.get("examined") == "yes"
        and answers.get("ischial_tenderness") == "no"
        and answers.get("palpable_gap") == "no"
    )
    return not examined_clear


def check_variants(
    q: Questionnaire, answers: Mapping[str, Answer], result: Mapping[str, Any]
) -> None:
    """The properties that compare a result with the result of one changed answer."""
    level = rank(result["triage"]["level"])
    rupture = rupture_score(result)
    for qid, weaker, stronger in STRONGER:
        if answers.get(qid) == weaker:
            changed = result_of(q, {**answers, qid: stronger})
            context = (qid, dict(answers), result["triage"]["level"], changed["triage"]["level"])
            assert rank(changed["triage"]["level"]) <= level, context
            assert rupture_score(changed) >= rupture, (context, rupture, rupture_score(changed))
    flags: tuple[str, ...] = tuple(answers["red_flags"])  # type: ignore[arg-type]
    for flag in q.question("red_flags").values:
        if flag not in flags:
            changed = result_of(q, {**answers, "red_flags": (*flags, flag)})
            context = (flag, dict(answers), result["triage"]["level"], changed["triage"]["level"])
            assert rank(changed["triage"]["level"]) <= level, context
    if result["leading"] == "acute_rupture":
        confidence = CONFIDENCE_RANK[result["confidence"]]
        for qid, supporting, unknowns in MADE_UNKNOWN:
            if answers.get(qid) != supporting:
                continue
            for unknown in unknowns:
                changed = result_of(q, {**answers, qid: unknown})
                context = (qid, unknown, dict(answers), result["confidence"], changed["confidence"])
                assert CONFIDENCE_RANK[changed["confidence"]] <= confidence, context


def check_all(q: Questionnaire, answers: Mapping[str, Answer]) -> dict[str, Any]:
    """Every safety property for one complete answer set; the result."""
    result = result_of(q, answers)
    check_result(answers, result)
    check_variants(q, answers, result)
    return result
