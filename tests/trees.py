"""Generated questionnaire trees for the property tests: choice, multi and integer questions;
option next, routes of every condition form (reading earlier and later questions), forward jumps
and early ends. ``test_fhir_enable`` checks the FHIR enable terms on them, ``test_explain`` the
what-if changes.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.errors import QuestionnaireError
from hamstring_cli.model import Questionnaire


def tree_settings(*, max_examples: int) -> settings:
    """The same examples on every run (derandomized, no database), without a deadline."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


def load_generated(text: str, tmp_path_factory: pytest.TempPathFactory) -> Questionnaire:
    """The generated tree loaded from a file; a tree the loader refuses is not an example."""
    path = tmp_path_factory.mktemp("tree") / "tree.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        return load_questionnaire(path)
    except QuestionnaireError:
        assume(False)
        raise


def _atom(draw: st.DrawFn, target: int, kinds: list[str]) -> dict[str, object]:
    qid = f"q{target}"
    kind = kinds[target]
    form = draw(st.sampled_from(["value", "answered"]))
    if form == "answered":
        return {"answered": qid}
    if kind == "choice":
        values = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=2))
        return {"question": qid, "one_of": sorted(set(values))}
    if kind == "multi":
        return {"question": qid, "contains_any": [draw(st.sampled_from(["x", "y"]))]}
    op = draw(st.sampled_from(["lt", "gte", "equals"]))
    return {"question": qid, op: draw(st.integers(min_value=0, max_value=3))}


def draw_condition(draw: st.DrawFn, kinds: list[str], depth: int = 0) -> dict[str, object]:
    form = draw(st.sampled_from(["atom", "atom", "not", "all", "any"] if depth < 2 else ["atom"]))
    if form == "atom":
        return _atom(draw, draw(st.integers(min_value=0, max_value=len(kinds) - 1)), kinds)
    if form == "not":
        return {"not": draw_condition(draw, kinds, depth + 1)}
    items = [draw_condition(draw, kinds, depth + 1) for _ in range(draw(st.integers(2, 3)))]
    return {form: items}


def draw_questions(draw: st.DrawFn) -> tuple[str, list[str]]:
    """The ``questions:`` block of a generated tree, and each question's type."""
    n = draw(st.integers(min_value=3, max_value=8))
    kinds = [draw(st.sampled_from(["choice", "choice", "multi", "integer"])) for _ in range(n)]
    lines = []
    for i, kind in enumerate(kinds):
        later = [f"q{j}" for j in range(i + 1, n)] + ["end"]
        question: dict[str, object] = {"id": f"q{i}", "type": kind, "prompt": f"Q{i}?"}
        if kind == "choice":
            options = []
            for value in ("a", "b", "c")[: draw(st.integers(2, 3))]:
                option: dict[str, object] = {"value": value, "label": value.upper()}
                if draw(st.integers(0, 3)) == 0:
                    option["next"] = draw(st.sampled_from(later))
                options.append(option)
            question["options"] = options
        elif kind == "multi":
            question["options"] = [{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}]
        else:
            question.update(min=0, max=3)
        routes = [
            {"when": draw_condition(draw, kinds), "next": draw(st.sampled_from(later))}
            for _ in range(draw(st.integers(0, 2)))
        ]
        if routes:
            question["routes"] = routes
        if draw(st.integers(0, 4)) == 0:
            question["next"] = draw(st.sampled_from(later))
        lines.append(f"  - {json.dumps(question)}\n")
    return "questions:\n" + "".join(lines), kinds
