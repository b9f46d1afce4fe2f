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

The classes the literature vignettes found (each written out here again, independently of the
questionnaire's own rules):

- A sudden injury at the sit bone (pain placed there, sitting that hurts at once, a tender
  ischium, a gap, or a pop felt in the buttock; on an unsure onset with a pop or a bruise)
  inside the 42-day repair window, or on a day not known: at least soon, with an MRI or
  ultrasound of the hamstring origin (an adult) or a pelvic X-ray (under 18); at least urgent
  with a large bruise (even one that appeared days later) or on a fluoroquinolone or a systemic
  steroid. A phone triage of it never gets less than the same
  history examined and found normal.
- The "ruptures are often missed" note never stands beside a routine level or no imaging.
- Under 18 with sit-bone pain, sitting that hurts at once, a tender ischium or a gap, whatever
  the onset and whether or not there was a past injury: a pelvic X-ray.
- Under 18 with a fever who cannot bear weight: emergency. Under 25 with unexplained bone pain,
  pain at night or a growing lump: at least urgent, an X-ray or ultrasound within 48 hours.
- Gradual pain failing about 12 weeks of rehabilitation with nothing pointing to the back: an
  MRI.
- At 65 or over, not bearing weight after a sudden or unclear onset: emergency, an X-ray of the
  pelvis first.
- No reason cites "during activity", or "an atypical mechanism" when no mechanism was asked.
- A fluoroquinolone: at least urgent, and advice to stop it and contact the prescriber. Adding
  a fluoroquinolone or a steroid never lowers the rupture score.
- A swollen or painful calf: a leg-vein ultrasound within 4 hours, after nothing less pressing.
- Bone stress risk with gradual pain: at least soon, pelvic imaging, and advice to stop running.
- A strain more than a year after the injury, a tendinopathy with a gap, no hamstring
  activation or a negative tendon test, referred pain with a positive tendon test and a
  negative straight leg raise: never a high-confidence lead.

Each check names the hazards of ``docs/safety/hazard-log.yaml`` it controls with
``@pytest.mark.hazard``, as the tests that run it do (``tests/test_hazards.py`` holds them to it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from hamstring_cli.engine import Session
from hamstring_cli.model import LEVEL_RANK, LEVEL_TIMEFRAMES, TIMEFRAME_RANK, Answer, Questionnaire
from hamstring_cli.scoring import score

EMERGENCY_FLAGS = ("saddle_or_bladder", "both_legs", "tense_thigh")
CONFIDENCE_RANK = {"low": 0, "moderate": 1, "high": 2}
TENDON_DRUGS = ("fluoroquinolone", "corticosteroid")
#: An examination that finds nothing: what a phone triage is compared with.
NORMAL_EXAM = {
    "ischial_tenderness": "no",
    "palpable_gap": "no",
    "knee_flexion_strength": "normal",
    "bent_knee_stretch": "negative",
    "slr": "negative",
}

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


@pytest.mark.hazard("H01", "H02", "H03", "H07", "H14", "H19")
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
    check_classes(answers, result)


def at_sit_bone(answers: Mapping[str, Answer]) -> bool:
    """Pain placed at the sit bone, sitting that hurts at once, a tender ischium or a gap."""
    return (
        answers.get("pain_site") == "sit_bone"
        or answers.get("sitting_pain") in ("immediate", "cannot_sit")
        or answers.get("ischial_tenderness") == "yes"
        or answers.get("palpable_gap") in ("yes", "obscured")
    )


def sit_bone_injury(answers: Mapping[str, Answer]) -> bool:
    """A sudden injury at the sit bone (an unsure onset counts with a pop or a bruise)."""
    onset = answers["onset"]
    injured = onset == "sudden" or (
        onset == "unsure"
        and (answers.get("pop") == "yes" or answers.get("bruising") in ("local", "extensive"))
    )
    pop_in_buttock = answers.get("pop") == "yes" and answers.get("pain_site") == "deep_buttock"
    return injured and (at_sit_bone(answers) or pop_in_buttock)


def in_repair_window(answers: Mapping[str, Answer]) -> bool:
    """Within 42 days of the injury, or on a day not known."""
    return answers.get("days_since_injury", 0) <= 42  # type: ignore[operator]


@pytest.mark.hazard("H01", "H04", "H05", "H06", "H08", "H09", "H11", "H12", "H13", "H14")
def check_classes(answers: Mapping[str, Answer], result: Mapping[str, Any]) -> None:
    """The properties of the classes the literature vignettes found (see the docstring)."""
    flags = set(answers["red_flags"])  # type: ignore[arg-type]
    age: int = answers["age"]  # type: ignore[assignment]
    level = result["triage"]["level"]
    studies = result["imaging"]["studies"]
    seen = {(s["modality"], s["site"]) for s in studies}
    context = (dict(answers), level, studies)
    hurry = bool(flags & set(TENDON_DRUGS)) or answers.get("bruising") == "extensive"
    if sit_bone_injury(answers) and in_repair_window(answers):
        assert rank(level) <= rank("urgent" if hurry else "soon"), context
        if age >= 18:
            assert seen & {("MRI", "hamstring origin"), ("ultrasound", "hamstring origin")}, context
        else:
            assert ("X-ray", "pelvis") in seen, context
    if any("often missed" in note["text"] for note in result["notes"]):
        assert studies and level != "routine", context
    if age < 18 and at_sit_bone(answers):
        assert ("X-ray", "pelvis") in seen, context
    if age < 18 and "fever_unwell" in flags and answers.get("walking") == "unable":
        assert level == "emergency", context
    if age < 25 and flags & {"cancer_or_weight_loss", "growing_lump"}:
        assert rank(level) <= rank("urgent"), context
        within_48 = TIMEFRAME_RANK["within 48 hours"]
        assert any(
            s["modality"] in ("X-ray", "ultrasound") and TIMEFRAME_RANK[s["timeframe"]] <= within_48
            for s in studies
        ), context
    if (
        answers["onset"] == "gradual"
        and answers.get("rehab_response") == "not_improving"
        and answers.get("weeks_since_onset", 0) >= 12  # type: ignore[operator]
        and not lumbar(answers)
    ):
        assert "MRI" in {s["modality"] for s in studies}, context
    if age >= 65 and answers["onset"] != "gradual" and answers.get("walking") == "unable":
        assert level == "emergency", context
        assert (studies[0]["modality"], studies[0]["site"]) == ("X-ray", "pelvis"), context
    reasons = [text for c in result["differential"] for text in (*c["for"], *c["against"])]
    assert not any("during activity" in text for text in reasons), context
    if "mechanism" not in answers:
        assert not any("atypical mechanism" in text for text in reasons), context
    advice = " ".join(flag["advice"] for flag in result["red_flags"])
    if "fluoroquinolone" in flags:
        assert rank(level) <= rank("urgent"), context
        assert "stop it" in advice and "prescriber" in advice, context
    if "calf_swelling" in flags:
        veins = next(i for i, s in enumerate(studies) if s["site"] == "leg veins")
        assert studies[veins]["modality"] == "ultrasound", context
        assert TIMEFRAME_RANK[studies[veins]["timeframe"]] <= TIMEFRAME_RANK["within 4 hours"]
        for study in studies[:veins]:
            assert TIMEFRAME_RANK[study["timeframe"]] <= TIMEFRAME_RANK["within 4 hours"], context
    if answers["onset"] == "gradual" and answers.get("bone_stress_risk") == "yes":
        assert rank(level) <= rank("soon"), context
        assert any(s["site"] == "pelvis" for s in studies), context
        assert "stop running" in advice, context
    if leading_contradicted(answers, result["leading"]):
        assert result["confidence"] != "high", (context, result["differential"][:2])


def lumbar(answers: Mapping[str, Answer]) -> bool:
    """Back pain, numbness below the knee, back-and-leg pain or a positive straight-leg raise."""
    return (
        answers.get("back_pain") == "yes"
        or answers.get("numbness") == "below_knee"
        or answers.get("pain_site") == "back_and_leg"
        or answers.get("slr") == "positive"
    )


def leading_contradicted(answers: Mapping[str, Answer], leading: str) -> bool:
    """An answer speaks against the leading condition: a strain over a year old, a tendinopathy
    with a torn-tendon sign, referred pain with a bent-knee stretch test that is positive."""
    return (
        (leading == "muscle_strain" and answers.get("days_since_injury", 0) > 365)  # type: ignore[operator]
        or (
            leading == "tendinopathy"
            and (
                answers.get("palpable_gap") == "yes"
                or answers.get("knee_flexion_strength") == "no_activation"
                or answers.get("bent_knee_stretch") == "negative"
            )
        )
        or (
            leading == "referred_pain"
            and answers.get("bent_knee_stretch") == "positive"
            and answers.get("slr") == "negative"
        )
    )


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


@pytest.mark.hazard("H01", "H02", "H03", "H04", "H05", "H06", "H07", "H08", "H14")
def check_variants(
    q: Questionnaire,
    answers: Mapping[str, Answer],
    result: Mapping[str, Any],
    scorer: Callable[[Questionnaire, Mapping[str, Answer]], Mapping[str, Any]] = result_of,
) -> None:
    """The properties that compare a result with the result of one changed answer, each as
    ``scorer`` gives it (:func:`result_of`, or the same results kept by a caller that has
    already scored some of those answers)."""
    level = rank(result["triage"]["level"])
    rupture = rupture_score(result)
    for qid, weaker, stronger in STRONGER:
        if answers.get(qid) == weaker:
            changed = scorer(q, {**answers, qid: stronger})
            context = (qid, dict(answers), result["triage"]["level"], changed["triage"]["level"])
            assert rank(changed["triage"]["level"]) <= level, context
            assert rupture_score(changed) >= rupture, (context, rupture, rupture_score(changed))
    flags: tuple[str, ...] = tuple(answers["red_flags"])  # type: ignore[arg-type]
    for flag in q.question("red_flags").values:
        if flag not in flags:
            changed = scorer(q, {**answers, "red_flags": (*flags, flag)})
            context = (flag, dict(answers), result["triage"]["level"], changed["triage"]["level"])
            assert rank(changed["triage"]["level"]) <= level, context
            if flag in TENDON_DRUGS:
                # A medicine that weakens tendons never makes a tear less likely.
                assert rupture_score(changed) >= rupture, context
    if answers.get("examined") == "no" and sit_bone_injury(answers):
        # A phone triage leans towards imaging: never less than an examination finding nothing.
        examined = scorer(q, {**answers, "examined": "yes", **NORMAL_EXAM})
        context = (dict(answers), result["triage"]["level"], examined["triage"]["level"])
        assert rank(result["triage"]["level"]) <= rank(examined["triage"]["level"]), context
        if examined["imaging"]["advised"]:
            assert result["imaging"]["advised"], context
    if result["leading"] == "acute_rupture":
        confidence = CONFIDENCE_RANK[result["confidence"]]
        for qid, supporting, unknowns in MADE_UNKNOWN:
            if answers.get(qid) != supporting:
                continue
            for unknown in unknowns:
                changed = scorer(q, {**answers, qid: unknown})
                context = (qid, unknown, dict(answers), result["confidence"], changed["confidence"])
                assert CONFIDENCE_RANK[changed["confidence"]] <= confidence, context


@pytest.mark.hazard("H01", "H02", "H03", "H04", "H05", "H06", "H07", "H08", "H14", "H19")
def check_all(q: Questionnaire, answers: Mapping[str, Answer]) -> dict[str, Any]:
    """Every safety property for one complete answer set; the result."""
    result = result_of(q, answers)
    check_result(answers, result)
    check_variants(q, answers, result)
    return result
