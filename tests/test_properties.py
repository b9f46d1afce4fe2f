"""The safety properties of the bundled questionnaire over generated answer sets.

Hypothesis walks the tree with the engine's own routing: every branch, any subset of red flags,
every anticoagulant answer, ages 5 to 110, days 0 to 3650, weeks 0 to 520, every option of every
choice. Each generated answer set is one complete path; ``safety.check_all`` states the
properties (see its docstring). The runs are derandomized and keep no example database, so CI sees
the same examples on every run.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safety import check_all, rank

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.model import Answer, Questionnaire

#: Slow (property tests): the everyday loop is pytest -m "not slow".
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
QUESTIONNAIRE = load_questionnaire(ROOT / "questionnaires" / "proximal_hamstring.yaml")

BOUNDED = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def complete_answers(
    draw: st.DrawFn,
    q: Questionnaire = QUESTIONNAIRE,
    fixed: Mapping[str, st.SearchStrategy[Answer]] | None = None,
) -> dict[str, Answer]:
    """One complete path through the tree, each answer drawn from what the question allows.

    ``fixed`` draws some questions' answers from a narrower strategy, when the path reaches them.
    """
    answers: dict[str, Answer] = {}
    current = q.start
    while current != "end":
        question = q.question(current)
        if fixed is not None and current in fixed:
            answers[current] = draw(fixed[current], label=current)
        elif question.type == "integer":
            low = question.minimum if question.minimum is not None else 0
            high = question.maximum if question.maximum is not None else 10_000
            answers[current] = draw(st.integers(low, high), label=current)
        elif question.type == "multi":
            chosen = draw(st.sets(st.sampled_from(question.values)), label=current)
            answers[current] = tuple(v for v in question.values if v in chosen)
        else:
            answers[current] = draw(st.sampled_from(question.values), label=current)
        current = q.next_after(question, answers)
    return answers


@pytest.mark.hazard("H09")
def test_the_generator_covers_the_range_the_issue_names() -> None:
    age = QUESTIONNAIRE.question("age")
    days = QUESTIONNAIRE.question("days_since_injury")
    assert (age.minimum, age.maximum) == (5, 110)
    assert (days.minimum, days.maximum) == (0, 3650)


@pytest.mark.hazard("H01", "H02", "H03", "H05", "H06", "H07", "H14", "H19")
@BOUNDED
@given(complete_answers())
def test_every_generated_answer_set_is_safe(answers: dict[str, Answer]) -> None:
    check_all(QUESTIONNAIRE, answers)


@pytest.mark.hazard("H01", "H02")
@BOUNDED
@given(
    complete_answers().filter(
        lambda a: a["onset"] == "sudden" and (a["pop"] == "yes" or a["bruising"] == "extensive")
    )
)
def test_sudden_injuries_with_rupture_features_are_safe(answers: dict[str, Answer]) -> None:
    # The injury branch holds most of the properties: sample it on its own as well.
    check_all(QUESTIONNAIRE, answers)


@pytest.mark.hazard("H01", "H02", "H04", "H08")
@BOUNDED
@given(complete_answers().filter(lambda a: a["onset"] != "sudden"))
def test_the_gradual_and_unsure_branches_are_safe(answers: dict[str, Answer]) -> None:
    check_all(QUESTIONNAIRE, answers)


@pytest.mark.hazard("H01")
@pytest.mark.parametrize("site", QUESTIONNAIRE.question("pain_site").values)
def test_the_pain_site_alone_never_sends_a_rupture_pattern_home(site: str) -> None:
    @settings(max_examples=60, deadline=None, derandomize=True, database=None)
    @given(
        st.fixed_dictionaries(
            {
                "red_flags": st.just(()),
                "anticoagulants": st.sampled_from(["yes", "no", "unsure"]),
                "age": st.integers(18, 110),
                "mechanism": st.sampled_from(QUESTIONNAIRE.question("mechanism").values),
                "could_continue": st.sampled_from(["yes", "no"]),
                "days_since_injury": st.integers(0, 42),
                "walking": st.sampled_from(["normal", "limp", "unable"]),
                "sitting_pain": st.sampled_from(["immediate", "cannot_sit"]),
                "numbness": st.sampled_from(QUESTIONNAIRE.question("numbness").values),
                "back_pain": st.sampled_from(["yes", "no"]),
                "prior_hamstring_injury": st.sampled_from(["yes", "no"]),
            }
        )
    )
    def run(partial: dict[str, Answer]) -> None:
        answers: dict[str, Answer] = {
            **partial,
            "onset": "sudden",
            "pop": "yes",
            "bruising": "extensive",
            "pain_site": site,
            "examined": "no",
        }
        result = check_all(QUESTIONNAIRE, answers)
        assert result["leading"] == "acute_rupture", (answers, result["differential"][:2])
        # At least urgent: an emergency flag (a possible hip fracture at 65 or over who
        # cannot walk) may raise it further, never lower it.
        assert rank(result["triage"]["level"]) <= rank("urgent")
        assert "MRI" in [s["modality"] for s in result["imaging"]["studies"]]

    run()


def flags_with(*required: str) -> st.SearchStrategy[Answer]:
    """A safety screen that holds ``required`` and any of the other flags."""
    values = QUESTIONNAIRE.question("red_flags").values
    return st.sets(st.sampled_from(values)).map(
        lambda chosen: tuple(v for v in values if v in chosen or v in required)
    )


#: The classes the literature vignettes found, each sampled on its own (see safety.py).
CLASSES: dict[str, dict[str, st.SearchStrategy[Answer]]] = {
    "a sudden adult injury at the sit bone in the repair window": {
        "age": st.integers(18, 110),
        "onset": st.just("sudden"),
        "days_since_injury": st.integers(0, 42),
        "pain_site": st.sampled_from(["sit_bone", "deep_buttock"]),
    },
    "a sudden injury near the sit bone, any day, any age": {
        "onset": st.sampled_from(["sudden", "unsure"]),
        "pain_site": st.sampled_from(["sit_bone", "deep_buttock"]),
        "pop": st.sampled_from(["yes", "unsure"]),
    },
    "a phone triage of a sudden injury": {
        "onset": st.just("sudden"),
        "examined": st.just("no"),
    },
    "a child or young person": {"age": st.integers(5, 24)},
    "a child with a fever who cannot bear weight": {
        "red_flags": flags_with("fever_unwell"),
        "age": st.integers(5, 17),
        "onset": st.sampled_from(["sudden", "unsure"]),
        "walking": st.just("unable"),
    },
    "a young person with bone pain at night or a growing lump": {
        "red_flags": st.sampled_from(["cancer_or_weight_loss", "growing_lump"]).flatmap(flags_with),
        "age": st.integers(5, 24),
    },
    "deep buttock pain failing rehabilitation": {
        "onset": st.just("gradual"),
        "weeks_since_onset": st.integers(12, 520),
        "rehab_response": st.just("not_improving"),
        "pain_site": st.just("deep_buttock"),
    },
    "an older adult who cannot bear weight": {
        "age": st.integers(65, 110),
        "onset": st.sampled_from(["sudden", "unsure"]),
        "walking": st.just("unable"),
    },
    "a medicine that weakens tendons": {
        "red_flags": st.sampled_from(["fluoroquinolone", "corticosteroid"]).flatmap(flags_with),
    },
    "a swollen or painful calf": {"red_flags": flags_with("calf_swelling")},
    "a runner at risk of bone stress": {
        "onset": st.just("gradual"),
        "bone_stress_risk": st.just("yes"),
    },
    "an old injury examined": {
        "onset": st.just("sudden"),
        "days_since_injury": st.integers(85, 3650),
        "examined": st.just("yes"),
    },
}


@pytest.mark.hazard("H01", "H04", "H05", "H06", "H08", "H09", "H11", "H12", "H13", "H14")
@pytest.mark.parametrize("name", list(CLASSES))
def test_each_class_the_vignettes_found_is_safe(name: str) -> None:
    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(complete_answers(fixed=CLASSES[name]))
    def run(answers: dict[str, Answer]) -> None:
        check_all(QUESTIONNAIRE, answers)

    run()
