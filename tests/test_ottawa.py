"""The Ottawa ankle and foot rules, checked against the published rule on every answer set.

The rule (Stiell 1993, refined): an ankle X-ray series when the malleolar zone hurts and a
malleolus is tender at its posterior edge or tip, or the patient could not take four steps both
right after the injury and now; a foot X-ray series when the midfoot zone hurts and the base of
the fifth metatarsal or the navicular is tender, or the same four steps were lost. Both when both
hold, neither otherwise. Under 5, or more than 10 days after the injury, the rule does not apply:
the result says so, apart from "no X-ray needed". Red flags outside the rule (an open wound, a
pale, cold or numb foot, a gross deformity, a high-energy injury) come first, and with any of them
the rule does not apply either: it was derived on isolated, low-energy ankle injuries (Stiell
1992), so the flag's own X-ray is advised, now, and nothing anywhere says that no X-ray is needed
or that a fracture is unlikely.

:func:`expected` is that rule written out again here, independently of the questionnaire; every
combination of the rule's answers (age, day, weight bearing twice, two zones, four tender
points) is run through the engine and compared with it exactly.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.engine import Session
from hamstring_cli.model import Answer
from hamstring_cli.question_types import answer_json
from hamstring_cli.render.formats import TRIAGE_FORMATS, report_module
from hamstring_cli.resources import resolve_questionnaire
from hamstring_cli.scoring import Result, score

Q = load_questionnaire(resolve_questionnaire("ottawa-ankle"))

#: The vocabulary the contract fixes (docs/questionnaires/ottawa-ankle.md): id, type, values.
VOCABULARY: dict[str, tuple[str, tuple[str, ...]]] = {
    "red_flags": ("multi", ("open_wound", "neurovascular", "deformity", "high_energy")),
    "age": ("integer", ()),
    "days_since_injury": ("integer", ()),
    "bear_weight_immediately": ("choice", ("yes", "no", "unsure")),
    "bear_weight_now": ("choice", ("yes", "no")),
    "pain_malleolar_zone": ("choice", ("yes", "no")),
    "pain_midfoot_zone": ("choice", ("yes", "no")),
    "tender_lateral_malleolus": ("choice", ("yes", "no")),
    "tender_medial_malleolus": ("choice", ("yes", "no")),
    "tender_fifth_metatarsal": ("choice", ("yes", "no")),
    "tender_navicular": ("choice", ("yes", "no")),
}
#: The red flag each safety-screen answer raises: a flag of the same id.
FLAGS = {value: value for value in VOCABULARY["red_flags"][1]}
YES_NO = ("yes", "no")
#: How the scope's reason names each red flag.
FLAG_WORDS = {
    "open_wound": "open wound",
    "neurovascular": "pale, cold or numb foot",
    "deformity": "gross deformity",
    "high_energy": "high-energy injury",
}
#: What only a negative rule that applies may say: no X-ray needed, a fracture unlikely.
CLEARED = re.compile(
    r"no x-ray (is )?needed|without an x-ray|fracture (is )?(very )?unlikely"
    r"|rules? (are|is) negative|leaves? a fracture",
    re.IGNORECASE,
)


class Expected(NamedTuple):
    """What the published rule says for one answer set."""

    series: tuple[str, ...]
    #: Every study's (modality, urgency, timeframe).
    study: tuple[str, str, str]
    applies: bool
    level: str
    timeframe: str
    flags: frozenset[str]


def expected(answers: dict[str, Answer]) -> Expected:
    """The rule, written from the papers rather than read from the questionnaire."""
    flags = frozenset(FLAGS[value] for value in answers["red_flags"])  # type: ignore[union-attr]
    # Any red flag outside the rule puts the patient outside it, as do the age and the day.
    in_range = int(answers["age"]) >= 5 and int(answers["days_since_injury"]) <= 10
    applies = in_range and not flags
    # 'Not sure' right after the injury counts as unable: the safe side.
    lost = answers["bear_weight_immediately"] in ("no", "unsure") and (
        answers["bear_weight_now"] == "no"
    )
    ankle = answers["pain_malleolar_zone"] == "yes" and (
        answers.get("tender_lateral_malleolus") == "yes"
        or answers.get("tender_medial_malleolus") == "yes"
        or lost
    )
    foot = answers["pain_midfoot_zone"] == "yes" and (
        answers.get("tender_fifth_metatarsal") == "yes"
        or answers.get("tender_navicular") == "yes"
        or lost
    )
    series = tuple(site for site, due in (("ankle", ankle), ("foot", foot)) if due and applies)
    study = ("X-ray", "urgent", "same day")
    if flags:
        # The flag's own X-ray, now, whatever the rule says: of the zone that hurts, or of both
        # the ankle and the foot when both zones or neither hurt.
        malleolar = answers["pain_malleolar_zone"] == "yes"
        midfoot = answers["pain_midfoot_zone"] == "yes"
        due = (("ankle", malleolar or not midfoot), ("foot", midfoot or not malleolar))
        series = tuple(site for site, needed in due if needed)
        study = ("X-ray", "emergency", "now")
        level, timeframe = "emergency", "now"
    elif series or (not applies and answers["bear_weight_now"] == "no"):
        # An X-ray the rule calls for; or, outside the rule, four steps lost now.
        level, timeframe = "urgent", "same day"
    elif not applies:
        level, timeframe = "soon", "within 2 weeks"
    else:
        level, timeframe = "routine", "routine"
    return Expected(series, study, applies, level, timeframe, flags)


def answer_sets(
    ages: tuple[int, ...], days: tuple[int, ...], flag_sets: tuple[tuple[str, ...], ...]
) -> Iterator[dict[str, Answer]]:
    """Every combination of the rule's answers; tenderness only where its zone hurts."""
    zone_answers: list[dict[str, str]] = [{"pain_malleolar_zone": "no"}]
    zone_answers += [
        {
            "pain_malleolar_zone": "yes",
            "tender_lateral_malleolus": lat,
            "tender_medial_malleolus": med,
        }
        for lat, med in itertools.product(YES_NO, YES_NO)
    ]
    midfoot: list[dict[str, str]] = [{"pain_midfoot_zone": "no"}]
    midfoot += [
        {"pain_midfoot_zone": "yes", "tender_fifth_metatarsal": fifth, "tender_navicular": nav}
        for fifth, nav in itertools.product(YES_NO, YES_NO)
    ]
    for flags, age, day, before, now, ankle, foot in itertools.product(
        flag_sets, ages, days, ("yes", "no", "unsure"), YES_NO, zone_answers, midfoot
    ):
        yield {
            "red_flags": flags,
            "age": age,
            "days_since_injury": day,
            "bear_weight_immediately": before,
            "bear_weight_now": now,
            **ankle,
            **foot,
        }


class Clearing:
    """Whether a result's JSON (every text it holds, :func:`result_words`) says what only a
    negative rule that applies may say.

    :data:`CLEARED` matches letters, spaces and hyphens only, so a match never crosses the
    quotes of a JSON string: it lies within one text of the result. The texts apart from the
    answers are the same for every answer set with the same result, so they are searched once
    for each distinct result; the answers, which differ from set to set, each time.
    """

    def __init__(self) -> None:
        #: By the result without its answers: whether its other texts say it.
        self.said: dict[Result, bool] = {}

    def __call__(self, result: Result) -> bool:
        key = result._replace(answers=())
        said = self.said.get(key)
        if said is None:
            data = result.to_dict()
            data.pop("answers")
            said = self.said[key] = bool(CLEARED.search(words(data)))
        answers = {qid: answer_json(answer) for qid, answer in result.answers}
        return said or bool(CLEARED.search(words(answers)))


def words(data: object) -> str:
    """``data`` as JSON, its whitespace made single spaces."""
    return " ".join(json.dumps(data, ensure_ascii=False).split())


def check(answers: dict[str, Answer], clearing: Clearing | None = None) -> Result:
    """Hold the result of ``answers`` to the published rule (and return it); ``clearing``
    keeps what the results seen so far say."""
    session = Session(Q, answers)
    # The contract's ids alone make a complete path: nothing missing, nothing unused.
    assert session.finished, (answers, session.current)
    assert session.unused == [], (answers, session.unused)
    result = score(Q, session.path_answers)
    want = expected(answers)
    studies = result.imaging.studies
    got = tuple(study.site for study in studies)
    assert got == want.series, (answers, got)
    assert all((s.modality, s.urgency, s.timeframe) == want.study for s in studies), (
        answers,
        studies,
    )
    assert result.imaging.advised is bool(want.series)
    assert result.scope.applies is want.applies, (answers, result.scope)
    assert (result.triage.level, result.triage.timeframe) == (want.level, want.timeframe), (
        answers,
        result.triage,
    )
    assert {flag.id for flag in result.red_flags} == want.flags, (answers, result.red_flags)
    if not want.applies:
        # "The rule does not apply" is said, and is not the rule's "no X-ray needed".
        assert "do not apply" in result.scope.reason
        assert "do not apply" in result.imaging.reason or result.imaging.advised is False
        # The reason says why, in words: a raised red flag, else the age or the day.
        reason = " ".join(result.scope.reason.split())
        if want.flags:
            assert any(FLAG_WORDS[flag] in reason for flag in want.flags), (answers, reason)
        elif int(answers["age"]) < 5:
            assert f"the patient is {answers['age']}" in reason, (answers, reason)
        else:
            assert f"{answers['days_since_injury']} days old" in reason, (answers, reason)
    # Only a negative rule that applies clears the patient; nothing else in the result does.
    cleared = want.applies and not want.series
    said = (clearing or Clearing())(result)
    assert said is cleared, (answers, result_words(result))
    return result


def result_words(result: Result) -> str:
    """The result as JSON (every text it holds), its whitespace made single spaces."""
    return words(result.to_dict())


def report_words(result: Result) -> dict[str, str]:
    """Every report of ``triage`` (text, markdown, JSON, FHIR), its whitespace made single."""
    return {name: " ".join(report_module(name).render(result).split()) for name in TRIAGE_FORMATS}


def check_reports(
    sets: Iterator[dict[str, Answer]], results: Iterator[Result] | None = None
) -> int:
    """Every report format says "no X-ray needed" / "a fracture unlikely" exactly when a negative
    rule applies. A report is made from the result alone, so each is rendered once per distinct
    result apart from its answers (the answers part shows the questions' own words, which every
    rendered report shows too); returns how many were rendered. ``results`` are those of
    ``sets`` when already scored."""
    seen: set[Result] = set()
    for answers in sets:
        if results is not None:
            result = next(results)
        else:
            result = score(Q, Session(Q, answers).path_answers)
        key = result._replace(answers=())
        if key in seen:
            continue
        seen.add(key)
        want = expected(answers)
        cleared = want.applies and not want.series
        for name, words in report_words(result).items():
            assert bool(CLEARED.search(words)) is cleared, (name, answers, words)
    return len(seen)


def test_the_questionnaire_has_the_contract_vocabulary() -> None:
    assert Q.id == "ottawa-ankle"
    for qid, (qtype, values) in VOCABULARY.items():
        question = Q.question(qid)
        assert question.type == qtype, qid
        if values:
            assert set(question.values) == set(values), qid
    assert Q.required == ("red_flags",)


def test_every_answer_set_of_the_rule_in_adults_gives_the_rule_s_series() -> None:
    # The everyday loop: no red flag or each alone, the ages and days around the scope's edges;
    # every seventh of those sets (seven is prime to every factor of the count, so each value of
    # each answer still comes up), the slow test runs them all and more.
    flag_sets = ((), *((flag,) for flag in FLAGS))
    sets = list(answer_sets((4, 5, 30), (10, 11), flag_sets))
    assert len(sets) == 5 * 3 * 2 * 3 * 2 * 5 * 5
    for answers in sets[::7]:
        check(answers)


def test_no_report_clears_a_patient_the_rule_does_not_cover() -> None:
    # Every report format, on every 37th of the everyday loop's answer sets (the slow test
    # renders them all): red flags alone and paired, ages and days on both sides of the scope.
    flag_sets = ((), *((flag,) for flag in FLAGS), ("deformity", "high_energy"))
    sets = itertools.islice(answer_sets((4, 5), (10, 11), flag_sets), 0, None, 37)
    assert check_reports(sets) > 30


#: Every set of red flags the screen can give: none, each alone, each pair, ..., all four.
FLAG_SETS = tuple(
    flag_set for size in range(len(FLAGS) + 1) for flag_set in itertools.combinations(FLAGS, size)
)
#: The every-combination test runs in this many parts of as many flag sets each, so that a full
#: run spreads them evenly over its cores.
PARTS = 4


@pytest.mark.slow
@pytest.mark.parametrize("part", range(PARTS), ids=lambda n: f"part{n + 1}of{PARTS}")
def test_every_combination_of_the_rule_s_answers_gives_the_rule_s_series(part: int) -> None:
    # Together, the parts take every set of flags, each part four of them of mixed sizes.
    flag_sets = FLAG_SETS[part::PARTS]
    assert len(flag_sets) == len(FLAG_SETS) // PARTS
    ages = (0, 4, 5, 17, 18, 90, 120)
    days = (0, 10, 11, 3650)
    sets = list(answer_sets(ages, days, flag_sets))
    assert len(sets) == len(flag_sets) * len(ages) * len(days) * 3 * 2 * 5 * 5
    clearing = Clearing()
    results = [check(answers, clearing) for answers in sets]
    # Every report format of every distinct result of those answer sets.
    assert check_reports(iter(sets), iter(results)) > 100


def test_both_series_are_two_studies_of_one_modality() -> None:
    answers: dict[str, Any] = {
        "red_flags": (),
        "age": 30,
        "days_since_injury": 1,
        "bear_weight_immediately": "no",
        "bear_weight_now": "no",
        "pain_malleolar_zone": "yes",
        "tender_lateral_malleolus": "no",
        "tender_medial_malleolus": "no",
        "pain_midfoot_zone": "yes",
        "tender_fifth_metatarsal": "no",
        "tender_navicular": "no",
    }
    studies = score(Q, Session(Q, answers).path_answers).to_dict()["imaging"]["studies"]
    assert [(s["modality"], s["site"]) for s in studies] == [("X-ray", "ankle"), ("X-ray", "foot")]


def test_outside_the_rule_is_not_no_x_ray_needed() -> None:
    base: dict[str, Any] = {
        "red_flags": (),
        "days_since_injury": 1,
        "bear_weight_immediately": "yes",
        "bear_weight_now": "yes",
        "pain_malleolar_zone": "no",
        "pain_midfoot_zone": "no",
    }
    inside = score(Q, Session(Q, {**base, "age": 30}).path_answers)
    outside = score(Q, Session(Q, {**base, "age": 3}).path_answers)
    # Neither advises an X-ray; only one of them is the rule's "no X-ray needed".
    assert not inside.imaging.advised and not outside.imaging.advised
    assert inside.scope.applies and not outside.scope.applies
    assert inside.imaging.reason != outside.imaging.reason
    assert "No X-ray is needed" in inside.imaging.reason
    assert "No X-ray is needed" not in outside.imaging.reason
    assert (inside.triage.level, outside.triage.level) == ("routine", "soon")


def test_the_reports_say_the_rule_does_not_apply_in_its_words() -> None:
    from hamstring_cli.render.markdown import render_markdown
    from hamstring_cli.render.text import decision_text, render_text

    answers: dict[str, Any] = {
        "red_flags": (),
        "age": 30,
        "days_since_injury": 14,
        "bear_weight_immediately": "yes",
        "bear_weight_now": "yes",
        "pain_malleolar_zone": "no",
        "pain_midfoot_zone": "no",
    }
    result = score(Q, Session(Q, answers).path_answers)
    reason = " ".join(result.scope.reason.split())
    assert "14 days" in reason
    assert f"Outside the rule: {reason}" in " ".join(decision_text(result).split())
    assert f"Does not apply: {reason}" in " ".join(render_text(result).split())
    assert f"the rule **does not apply**. {reason}" in render_markdown(result)
