"""Scoring turns a path's answers into the contract's result, with no terminal at all."""

from __future__ import annotations

from types import MappingProxyType

from helpers import CONTRACT_KEYS

from hamstring_cli.model import (
    Compare,
    ConditionDef,
    Contains,
    Equals,
    ImagingRule,
    LevelText,
    Note,
    Option,
    Outcomes,
    Question,
    Questionnaire,
    RedFlagRule,
    Reference,
    ScoreRule,
    TriageRule,
)
from hamstring_cli.scoring import score


def questionnaire() -> Questionnaire:
    yes_no_unsure = (
        Option("yes", "Yes"),
        Option("no", "No"),
        Option("unsure", "Unsure", uncertain=True),
    )
    levels = {
        name: LevelText(name.capitalize(), f"{name} time", f"{name} words.")
        for name in ("emergency", "urgent", "soon", "routine")
    }
    return Questionnaire(
        id="t",
        version="1.0.0",
        title="T",
        disclaimer="Not a diagnosis.",
        references=(Reference("R1", "One"), Reference("R2", "Two"), Reference("R3", "Three")),
        questions=(
            Question(
                "flags",
                "multi",
                "Flags?",
                options=(Option("saddle", "Saddle"), Option("lump", "Lump")),
            ),
            Question("pop", "choice", "Pop?", options=yes_no_unsure),
            Question("sit", "choice", "Sitting?", options=yes_no_unsure),
            Question("days", "integer", "Days?", minimum=0, maximum=100, unit="days"),
        ),
        outcomes=Outcomes(
            conditions=(
                ConditionDef(
                    "rupture",
                    "Rupture",
                    triage=(
                        TriageRule(
                            "urgent",
                            "Day {days}: act within the window.",
                            "R1",
                            Compare("days", "lte", 42),
                        ),
                        TriageRule("soon", "Late.", "R1"),
                    ),
                ),
                ConditionDef("tendon", "Tendon", triage=(TriageRule("routine", "Load it.", "R2"),)),
            ),
            scores=(
                ScoreRule("rupture", Equals("pop", "yes"), 5, "a pop", "R1"),
                ScoreRule("rupture", Equals("pop", "no"), -1, "no pop", "R1"),
                ScoreRule("tendon", Equals("sit", "yes"), 3, "pain sitting", "R2"),
            ),
            red_flags=(
                RedFlagRule("cauda", Contains("flags", ("saddle",)), "emergency", "Go now.", "R3"),
                RedFlagRule("lump", Contains("flags", ("lump",)), "soon", "Ultrasound.", "R3"),
            ),
            imaging=(
                ImagingRule(
                    Contains("flags", ("lump",)), "ultrasound", "soon", "For the lump.", "R3"
                ),
                ImagingRule(Equals("pop", "yes"), "MRI", "urgent", "For the tendon.", "R1"),
                ImagingRule(Equals("sit", "yes"), None, None, "Not needed for a tendon.", "R2"),
            ),
            levels=MappingProxyType(levels),
            notes=(Note("No validated rule.", "R2"),),
        ),
    )


def test_a_pop_leads_to_rupture_with_its_reasons_and_day_count() -> None:
    result = score(questionnaire(), {"flags": (), "pop": "yes", "sit": "no", "days": 12}).to_dict()
    assert result.keys() >= CONTRACT_KEYS
    assert result["leading"] == "rupture"
    assert result["differential"][0]["for"] == ["a pop"]  # type: ignore[index]
    assert result["triage"]["level"] == "urgent"  # type: ignore[index]
    assert "Day 12: act within the window." in result["triage"]["advice"]  # type: ignore[index]
    assert result["imaging"] == {
        "advised": True,
        "modality": "MRI",
        "urgency": "urgent",
        "reason": "For the tendon.",
        "source": "R1",
        "studies": [
            {
                "modality": "MRI",
                "urgency": "urgent",
                "reason": "For the tendon.",
                "source": "R1",
                "site": None,
                "timeframe": "within days",
                "sources": ["R1"],
            }
        ],
    }
    assert result["red_flags"] == []
    assert result["confidence"] == "high"


def test_a_red_flag_raises_the_level_above_the_leading_condition() -> None:
    result = score(questionnaire(), {"flags": ("saddle",), "pop": "no", "sit": "yes", "days": 1})
    assert result.leading == "tendon"
    assert result.triage.level == "emergency"
    assert result.triage.advice.startswith("emergency words. Go now.")
    assert result.triage.condition_advice == "Load it."
    assert [f.id for f in result.red_flags] == ["cauda"]


def test_the_most_urgent_imaging_wins_and_none_explains_itself() -> None:
    both = score(questionnaire(), {"flags": ("lump",), "pop": "yes", "sit": "no", "days": 1})
    assert (both.imaging.modality, both.imaging.urgency) == ("MRI", "urgent")
    none = score(questionnaire(), {"flags": (), "pop": "no", "sit": "yes", "days": 1})
    assert (none.imaging.advised, none.imaging.modality, none.imaging.urgency) == (
        False,
        None,
        None,
    )
    assert none.imaging.reason == "Not needed for a tendon."


def test_negative_weights_count_against_and_ties_keep_file_order() -> None:
    result = score(questionnaire(), {"flags": (), "pop": "no", "sit": "no", "days": 1}).to_dict()
    rupture = next(d for d in result["differential"] if d["id"] == "rupture")  # type: ignore[attr-defined]
    assert rupture["against"] == ["no pop"]
    tie = score(questionnaire(), {"flags": (), "pop": "unsure", "sit": "unsure", "days": 1})
    assert [r.id for r in tie.differential] == ["rupture", "tendon"]
    assert tie.confidence == "low"


def test_confidence_is_moderate_between_the_margins() -> None:
    result = score(questionnaire(), {"flags": (), "pop": "no", "sit": "yes", "days": 1})
    # tendon 3, rupture -1: margin 4 is high; without the 'no pop' finding it would be 3.
    assert result.confidence == "high"
    # tendon 3, rupture 0: margin 3 would be moderate, but the unknown pop separates the two
    # and a pop (rupture 5) would put the rupture first, so the ranking hangs on it: low.
    result = score(questionnaire(), {"flags": (), "pop": "unsure", "sit": "yes", "days": 1})
    assert result.confidence == "low"


def test_a_leader_that_the_findings_contradict_is_never_high() -> None:
    base = questionnaire()
    outcomes = base.outcomes._replace(
        scores=(
            *base.outcomes.scores,
            ScoreRule("tendon", Compare("days", "gt", 90), 6, "months of pain", "R2"),
            ScoreRule("tendon", Contains("flags", ("lump",)), -4, "a lump, not a tendon", "R2"),
        )
    )
    q = Questionnaire(
        id=base.id,
        version=base.version,
        title=base.title,
        disclaimer=base.disclaimer,
        references=base.references,
        questions=base.questions,
        outcomes=outcomes,
    )
    # tendon 3 + 6 = 9 against rupture -1, nothing against the leader: high.
    clear = score(q, {"flags": (), "pop": "no", "sit": "yes", "days": 95})
    assert (clear.leading, clear.confidence) == ("tendon", "high")
    # tendon 9 - 4 = 5, still 6 ahead, but what speaks against it weighs the high margin: moderate.
    contradicted = score(q, {"flags": ("lump",), "pop": "no", "sit": "yes", "days": 95})
    assert contradicted.leading == "tendon"
    assert contradicted.differential[0].score - contradicted.differential[1].score >= 4
    assert contradicted.confidence == "moderate"


def test_answers_in_the_result_are_the_path_in_order_and_json_ready() -> None:
    result = score(
        questionnaire(), {"flags": ("lump",), "pop": "no", "sit": "no", "days": 50}
    ).to_dict()
    assert result["answers"] == {"flags": ["lump"], "pop": "no", "sit": "no", "days": 50}
    assert result["triage"]["level"] == "soon"  # type: ignore[index]
    assert [r["id"] for r in result["references"]] == ["R1", "R2", "R3"]  # type: ignore[attr-defined]


def studies_questionnaire() -> Questionnaire:
    """Imaging rules for two sites: a flag's study beside the condition's, variants, merging."""
    base = questionnaire()
    out = base.outcomes
    return Questionnaire(
        id=base.id,
        version=base.version,
        title=base.title,
        disclaimer=base.disclaimer,
        references=base.references,
        questions=base.questions,
        outcomes=out._replace(
            imaging=(
                # The most specific variant of the origin MRI first, then the general one.
                ImagingRule(
                    Compare("days", "lte", 42),
                    "MRI",
                    "urgent",
                    "Day {days}: inside the window.",
                    "R1",
                    site="origin",
                ),
                ImagingRule(Equals("pop", "yes"), "MRI", "urgent", "Torn?", "R1", site="origin"),
                # Another reason for the same site and modality, from another source.
                ImagingRule(
                    Contains("flags", ("lump",)),
                    "MRI",
                    "soon",
                    "And the lump.",
                    "R3",
                    site="origin",
                    timeframe="within 2 weeks",
                ),
                # A flag's study at another site, sooner than the origin's.
                ImagingRule(
                    Contains("flags", ("saddle",)),
                    "MRI",
                    "emergency",
                    "Spine now.",
                    "R3",
                    site="lumbar spine",
                    timeframe="within 4 hours",
                ),
            )
        ),
    )


def test_a_flags_study_goes_beside_the_others_and_a_site_is_imaged_once() -> None:
    q = studies_questionnaire()
    answers = {"flags": ("saddle", "lump"), "pop": "yes", "sit": "no", "days": 6}
    studies = score(q, answers).imaging.studies
    assert [(s.site, s.modality, s.urgency, s.timeframe) for s in studies] == [
        ("lumbar spine", "MRI", "emergency", "within 4 hours"),
        ("origin", "MRI", "urgent", "within days"),
    ]
    origin = studies[1]
    # The variant from the same source says nothing more; the other source's reason follows.
    assert origin.reason == "Day 6: inside the window. And the lump."
    assert origin.sources == ("R1", "R3")
    result = score(q, answers)
    assert (result.triage.level, result.triage.timeframe) == ("emergency", "now")


def test_the_result_is_never_later_than_a_study() -> None:
    q = studies_questionnaire()
    # The lump flag alone is 'soon'; the origin MRI (urgent, within days) makes the result urgent.
    result = score(q, {"flags": ("lump",), "pop": "yes", "sit": "no", "days": 50})
    assert [(s.site, s.timeframe) for s in result.imaging.studies] == [("origin", "within days")]
    assert result.imaging.studies[0].reason == "Torn? And the lump."
    assert (result.triage.level, result.triage.timeframe) == ("urgent", "within days")
    flags = result.to_dict()["red_flags"]
    assert flags == [
        {
            "id": "lump",
            "name": "Lump",
            "level": "soon",
            "timeframe": "within 2 weeks",
            "advice": "Ultrasound.",
            "source": "R3",
        }
    ]
