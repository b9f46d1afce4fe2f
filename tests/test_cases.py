"""The case library: clinical vignettes run through the bundled questionnaire.

Each ``tests/cases/*.yaml`` holds a one-line ``story``, the ``answers`` on its path (contract ids
and values), what the result must be (``expected``, the key teaching cases use too) and the
``source`` its pattern comes from.
A case that fails means a rule is wrong, not the case: never bend a vignette to fit a rule.

``expected`` keys: ``leading``, ``level``, ``imaging: {modality, urgency}`` (``null`` for none,
optionally ``reason_contains`` / ``reason_not_contains``), ``red_flags`` (the exact set of ids),
and optionally ``confidence`` (one level, or a list of the levels allowed), ``advice_contains``
(words in the triage advice), ``notes_sources`` (sources of evidence notes that must be shown),
``studies`` (every advised study as ``[modality, urgency, site, timeframe]``, in order) and
``timeframe`` (the result's, one of the machine-readable timeframes), and ``scope`` (whether
the questionnaire's rule applies: true or false).

The vignettes of the default questionnaire stand in ``tests/cases/``; those of another bundled
questionnaire in a folder named by its id (``tests/cases/ottawa-ankle/``), run against it. A new
questionnaire's library is a new folder: nothing here changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import timing_contradictions

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.engine import Session
from hamstring_cli.model import Questionnaire
from hamstring_cli.resources import DEFAULT_QUESTIONNAIRE, resolve_questionnaire
from hamstring_cli.scoring import score

ROOT = Path(__file__).resolve().parent.parent
QUESTIONNAIRE = ROOT / "questionnaires" / "proximal_hamstring.yaml"
LIBRARY = Path(__file__).resolve().parent / "cases"
CASES = sorted(LIBRARY.glob("*.yaml"))
#: Every library by the id of its questionnaire: the default's, then one a folder.
LIBRARIES: dict[str, list[Path]] = {
    DEFAULT_QUESTIONNAIRE: CASES,
    **{d.name: sorted(d.glob("*.yaml")) for d in sorted(LIBRARY.iterdir()) if d.is_dir()},
}
EXPECT_KEYS = {
    "leading",
    "level",
    "imaging",
    "red_flags",
    "confidence",
    "advice_contains",
    "notes_sources",
    "studies",
    "timeframe",
    "scope",
}


_LOADED: dict[str, Questionnaire] = {}


def bundled(questionnaire_id: str) -> Questionnaire:
    """A bundled questionnaire by id, loaded once."""
    if questionnaire_id not in _LOADED:
        _LOADED[questionnaire_id] = load_questionnaire(resolve_questionnaire(questionnaire_id))
    return _LOADED[questionnaire_id]


def questionnaire_of(path: Path) -> Questionnaire:
    """The questionnaire a vignette belongs to: its folder's, or the default one."""
    return bundled(DEFAULT_QUESTIONNAIRE if path.parent == LIBRARY else path.parent.name)


def read_case(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: a case is a mapping"
    return data


def run_case(
    questionnaire: Questionnaire, answers: dict[str, Any]
) -> tuple[Session, dict[str, Any]]:
    validated = {qid: questionnaire.question(qid).validate(raw) for qid, raw in answers.items()}
    session = Session(questionnaire, validated)
    return session, score(questionnaire, session.path_answers).to_dict()


def test_the_library_is_large_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize(
    "path", [p for paths in LIBRARIES.values() for p in paths], ids=lambda p: p.stem
)
def test_case(path: Path) -> None:
    questionnaire = questionnaire_of(path)
    case = read_case(path)
    assert set(case) == {"story", "answers", "expected", "source"}, path.name
    assert "\n" not in case["story"].strip(), "the story is one line"
    assert questionnaire.reference(case["source"]) is not None, case["source"]
    expect = case["expected"]
    assert set(expect) <= EXPECT_KEYS, set(expect) - EXPECT_KEYS

    session, result = run_case(questionnaire, case["answers"])
    # The answers are exactly one complete path: nothing missing, nothing off the path.
    assert session.finished, f"no answer for '{session.current.id if session.current else ''}'"
    assert session.unused == [], f"answers off the path: {session.unused}"

    story = case["story"]
    assert result["leading"] == expect["leading"], (story, result["differential"])
    assert result["triage"]["level"] == expect["level"], (story, result["triage"])
    imaging = result["imaging"]
    want = expect["imaging"]
    assert (imaging["modality"], imaging["urgency"]) == (want["modality"], want["urgency"]), (
        story,
        imaging,
    )
    assert imaging["advised"] is (want["modality"] is not None)
    if "reason_contains" in want:
        assert want["reason_contains"] in imaging["reason"], imaging["reason"]
    if "reason_not_contains" in want:
        assert want["reason_not_contains"] not in imaging["reason"], imaging["reason"]
    raised = sorted(flag["id"] for flag in result["red_flags"])
    assert raised == sorted(expect.get("red_flags", [])), (story, result["red_flags"])
    if "confidence" in expect:
        allowed = expect["confidence"]
        allowed = allowed if isinstance(allowed, list) else [allowed]
        assert result["confidence"] in allowed, (story, result["differential"][:2])
    if "studies" in expect:
        studies = [
            [s["modality"], s["urgency"], s["site"], s["timeframe"]] for s in imaging["studies"]
        ]
        assert studies == expect["studies"], (story, imaging["studies"])
    if "timeframe" in expect:
        assert result["triage"]["timeframe"] == expect["timeframe"], (story, result["triage"])
    if "scope" in expect:
        assert result["scope"]["applies"] is expect["scope"], (story, result["scope"])
    for words in expect.get("advice_contains", []):
        assert words in result["triage"]["advice"], (words, result["triage"]["advice"])
    shown = {note["source"] for note in result["notes"]}
    for source in expect.get("notes_sources", []):
        assert source in shown, (source, result["notes"])

    # The leading condition is there for a reason the report can name.
    assert result["differential"][0]["for"], "the leading condition has findings for it"
    # A study's reason never names another time than the study's own (merged reasons included).
    assert timing_contradictions(result) == [], story


@pytest.mark.parametrize("questionnaire_id", LIBRARIES)
def test_the_library_covers_every_condition_and_red_flag(questionnaire_id: str) -> None:
    questionnaire = bundled(questionnaire_id)
    cases = [read_case(p) for p in LIBRARIES[questionnaire_id]]
    leading = {c["expected"]["leading"] for c in cases}
    assert leading == {c.id for c in questionnaire.outcomes.conditions}
    raised = {flag for c in cases for flag in c["expected"].get("red_flags", [])}
    assert raised == {r.id for r in questionnaire.outcomes.red_flags}
    levels = {c["expected"]["level"] for c in cases}
    assert levels == {"emergency", "urgent", "soon", "routine"}
    modalities = {c["expected"]["imaging"]["modality"] for c in cases}
    advised = {r.modality for r in questionnaire.outcomes.imaging if r.modality}
    assert modalities == {*advised, None}
    # A questionnaire that declares a scope has vignettes on both sides of it.
    if questionnaire.outcomes.scope.exclusions:
        assert {c["expected"].get("scope", True) for c in cases} == {True, False}


def test_the_default_library_covers_the_boundaries() -> None:
    cases = [read_case(p)["answers"] for p in CASES]
    ages = {a["age"] for a in cases}
    assert {17, 18, 25, 26, 64, 65} <= ages
    days = {a["days_since_injury"] for a in cases if "days_since_injury" in a}
    assert {2, 42, 43} <= days
    weeks = {a["weeks_since_onset"] for a in cases if "weeks_since_onset" in a}
    assert {11, 16} <= weeks
    assert any(a["onset"] == "unsure" for a in cases)
    assert any(a["anticoagulants"] == "unsure" for a in cases)
