"""The JSON Schema of the format: valid draft 2020-12, and the same keys as the loader."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from helpers import BUNDLED, questionnaire_text

from hamstring_cli import loader
from hamstring_cli.safe_yaml import read_document
from hamstring_cli.schema import json_schema

jsonschema = pytest.importorskip("jsonschema")

VALID = """\
questions:
  - id: onset
    type: choice
    section: History
    prompt: How did it start?
    help: Why it is asked.
    options:
      - {value: sudden, label: Suddenly, next: age, help: One moment.}
      - {value: unsure, label: Not sure, uncertain: true}
    routes:
      - when: {question: onset, one_of: [unsure]}
        next: flags
  - id: flags
    type: multi
    prompt: Any of these?
    options:
      - {value: a, label: A}
  - id: age
    type: integer
    prompt: Age?
    min: 5
    max: 110
    unit: years
    next: end
outcomes:
  confidence: {high_margin: 4, moderate_margin: 2, max_uncertain_fraction: 0.5}
  conditions:
    - id: c1
      label: C
      description: Words.
      triage:
        - {when: {question: age, gt: 40}, level: urgent, advice: 'Day {age}.', source: R1}
        - {level: routine, advice: x, source: R1}
  scores:
    - {condition: c1, weight: -1.5, reason: r, source: R1, when: {question: age, gte: 18, lt: 26}}
    - {condition: c1, weight: 2, reason: r, source: R2, when: {all: [{answered: age}, {not: {leading: c1}}]}}
    - {condition: c1, weight: 1, reason: r, source: R1, when: {at_least: 1, of: [{question: flags, contains: a}, {question: flags, contains_any: [a]}]}}
  red_flags:
    - {id: f, when: {any: [{question: onset, equals: sudden}]}, level: urgent, advice: x, source: R1}
  imaging:
    - {when: {leading: c1}, modality: MRI, urgency: soon, reason: x, source: R1}
    - {when: {leading: c1}, modality: none, reason: x, source: R1}
  no_imaging_reason: None needed.
  notes:
    - {text: x, source: R1}
    - {text: y, source: R2, when: {answered: age}}
"""  # noqa: E501


@functools.cache
def validator() -> Any:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def data_of(body: str) -> Any:
    return read_document(text=questionnaire_text(body))[0]


def test_the_schema_is_valid_json_schema_2020_12() -> None:
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    json.dumps(schema)


def test_a_valid_questionnaire_validates_and_loads() -> None:
    data = data_of(VALID)
    assert list(validator().iter_errors(data)) == []
    loader.parse_questionnaire(*read_document(text=questionnaire_text(VALID)))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("    prompt: How did it start?", "    promt: How did it start?"),
        ("    type: choice", "    type: choise"),
        ("    min: 5\n", ""),
        ("      - {value: a, label: A}", "      - {value: a, label: A, next: age}"),
        ("    unit: years", "    unit: years\n    options: [{value: a, label: A}]"),
        ("  - id: flags", "  - id: Flags"),
        ("  - id: age", "  - id: end"),
        ("modality: MRI", "modality: CT"),
        ("modality: none, reason", "modality: none, urgency: soon, reason"),
        ("modality: MRI, urgency: soon,", "modality: MRI,"),
        ("{question: age, gt: 40}", "{question: age, gt: forty}"),
        ("{question: age, gt: 40}", "{question: age, gt: 40, equals: 3}"),
        ("{question: age, gt: 40}", "{all: []}"),
        ("{question: age, gt: 40}", "{question: age}"),
        ("level: urgent", "level: urgnet"),
        ("source: R2, when: {answered", "source: r 2, when: {answered"),
        ("weight: 2,", "weight: two,"),
        ("max_uncertain_fraction: 0.5", "max_uncertain_fraction: 1.5"),
        ("questions:\n", "questions: {}\nx:\n"),
    ],
)
def test_a_broken_questionnaire_is_rejected(old: str, new: str) -> None:
    assert old in VALID
    data = data_of(VALID.replace(old, new, 1))
    assert list(validator().iter_errors(data)), f"the schema let through {new!r}"


def test_a_missing_level_and_metadata_are_rejected() -> None:
    data = data_of(VALID)
    del data["outcomes"]["levels"]["soon"]
    del data["disclaimer"]
    assert len(list(validator().iter_errors(data))) == 2


def properties(schema: dict[str, Any], node: dict[str, Any]) -> set[str]:
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return set(node["properties"])


def test_the_schema_allows_exactly_the_loaders_keys() -> None:
    schema = json_schema()
    defs = schema["$defs"]
    resolve = functools.partial(properties, schema)
    assert set(schema["properties"]) == set(loader.TOP_KEYS)
    assert set(schema["required"]) == set(loader.TOP_REQUIRED)
    assert resolve(defs["reference"]) == set(loader.REFERENCE_KEYS)
    every_question_key = {k for keys in loader.QUESTION_KEYS.values() for k in keys}
    assert set(defs["question"]["properties"]) == every_question_key
    assert set(defs["option"]["properties"]) == set(loader.OPTION_KEYS["choice"])
    assert set(defs["outcomes"]["properties"]) == set(loader.OUTCOME_KEYS)
    assert set(defs["levels"]["properties"]) == set(loader.LEVELS)
    assert set(defs["levels"]["required"]) == set(loader.LEVELS)
    assert set(defs["level"]["properties"]) == set(loader.LEVEL_KEYS)
    assert set(defs["confidence"]["properties"]) == set(loader.CONFIDENCE_KEYS)
    assert set(defs["condition_def"]["properties"]) == set(loader.CONDITION_DEF_KEYS)
    assert set(defs["triage"]["properties"]) == set(loader.TRIAGE_KEYS)
    assert set(defs["score"]["properties"]) == set(loader.SCORE_KEYS)
    assert set(defs["red_flag"]["properties"]) == set(loader.RED_FLAG_KEYS)
    assert set(defs["imaging"]["properties"]) == set(loader.IMAGING_KEYS)
    assert set(defs["note"]["properties"]) == set(loader.NOTE_KEYS)
    condition_keys = {k for form in defs["condition"]["anyOf"] for k in form["properties"]}
    assert condition_keys == set(loader.CONDITION_KEYS)


def test_every_property_has_a_description() -> None:
    missing: list[str] = []

    def visit(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if isinstance(sub, dict) and "description" not in sub and "$ref" not in sub:
                    missing.append(f"{path}.{name}")
            for key, sub in node.items():
                visit(sub, f"{path}.{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                visit(sub, f"{path}[{i}]")

    visit(json_schema(), "")
    # Inside if/then branches properties are restrictions, not documentation.
    assert [m for m in missing if ".allOf" not in m and "levels" not in m] == []


def test_the_bundled_questionnaire_validates() -> None:
    data, _ = read_document(BUNDLED)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator().iter_errors(data)]
    assert errors == []
