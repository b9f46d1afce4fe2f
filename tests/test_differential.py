"""The parser and the JSON Schema, both made from the one declaration, agree on what is broken.

Each case changes one thing in a valid questionnaire. The parser's verdict is whether the file
loads; the schema's is whether ``hamstring schema``'s output (checked as draft 2020-12) accepts
the data. Cases that only the whole-questionnaire checker can judge (a ``next`` to a question
that does not exist) are not shape and are left out.

One note on numbers: YAML gives ``5.0`` the float tag and ``5`` the int tag, and the format
follows YAML's types (``min: 5.0`` is refused, with "5, not 5.0"). JSON Schema's data model
has one number type in which 5.0 *is* an integer, so the validator here is given YAML's
meaning of "integer" (an int, not a float), and "number" is finite (JSON has no NaN or
Infinity; YAML has .nan and .inf, which the format refuses); everything else is the stock
draft 2020-12 validator.
"""

from __future__ import annotations

import functools
import json
import math
import subprocess
import sys
from typing import Any

import pytest
import yaml
from helpers import questionnaire_text
from test_schema import VALID

from hamstring_cli.errors import QuestionnaireError
from hamstring_cli.loader import parse_questionnaire
from hamstring_cli.safe_yaml import read_document

jsonschema = pytest.importorskip("jsonschema")


@functools.cache
def validator() -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "hamstring_cli", "schema"], capture_output=True, check=True
    )
    schema = json.loads(done.stdout)
    base = jsonschema.Draft202012Validator
    base.check_schema(schema)
    checker = base.TYPE_CHECKER.redefine_many(
        {
            "integer": lambda _checker, value: (
                isinstance(value, int) and not isinstance(value, bool)
            ),
            "number": lambda _checker, value: (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and (isinstance(value, int) or math.isfinite(value))
            ),
        }
    )
    return jsonschema.validators.extend(base, type_checker=checker)(schema)


def parser_accepts(text: str) -> bool:
    try:
        parse_questionnaire(*read_document(text=text))
    except QuestionnaireError:
        return False
    return True


def schema_accepts(text: str) -> bool:
    # The data an editor's YAML 1.2 reader sees; where this project's reader refuses a number
    # (.nan, 0x1F), PyYAML's own YAML 1.1 reading of it.
    try:
        data, _ = read_document(text=text)
    except QuestionnaireError:
        data = yaml.safe_load(text)
    return bool(validator().is_valid(data))


#: (what is changed, what it becomes): every one of these is broken.
BROKEN = [
    # the drift the issue names
    ("title: A test questionnaire", "title: '  '"),
    ("level: urgent, advice: x", "level: urgent, advice: ' '"),
    ("format: 1", "format: 1.0"),
    ("min: 5", "min: 5.0"),
    ("{question: age, gt: 40}", "{question: age, gt: 40.0}"),
    ("{at_least: 1, of:", "{at_least: 1.0, of:"),
    ("weight: -1.5", "weight: .nan"),
    ("weight: -1.5", "weight: .inf"),
    ("weight: -1.5", "weight: -.inf"),
    ("  - id: onset\n", '  - id: "onset\\n"\n'),
    ("id: test\n", 'id: "test\\n"\n'),
    ("id: R1,", 'id: "R1\\n",'),
    # uncertain belongs to choice options only
    ("{value: a, label: A}", "{value: a, label: A, uncertain: true}"),
    ("{value: a, label: A}", "{value: a, label: A, next: age}"),
    # kinds, keys and sets
    ("max: 110", "max: 1" + "0" * 400),
    ("high_margin: 4", "high_margin: 1" + "0" * 400),
    ("max_uncertain_fraction: 0.5", "max_uncertain_fraction: 1.5"),
    ("high_margin: 4", "high_margin: -1"),
    ("level: urgent, advice: 'Day", "level: urgnet, advice: 'Day"),
    ("modality: MRI", "modality: CT"),
    ("modality: none, reason", "modality: none, urgency: soon, reason"),
    ("modality: MRI, urgency: soon,", "modality: MRI,"),
    ("modality: none, reason", "modality: none, site: pelvis, reason"),
    ("modality: MRI, urgency: soon,", "modality: MRI, urgency: soon, timeframe: soon,"),
    (
        "level: urgent, advice: x, source: R1}",
        "level: urgent, advice: x, source: R1, timeframe: the same day}",
    ),
    ("type: multi", "type: multiple"),
    ("    unit: years\n", "    unit: years\n    options: [{value: a, label: A}]\n"),
    ("    prompt: Any of these?\n", "    prompt: Any of these?\n    min: 1\n"),
    ("  - id: age\n", "  - id: end\n"),
    ("  - id: age\n", "  - id: Age\n"),
    ("{value: a, label: A}", "{value: ' ', label: A}"),
    ("{value: a, label: A}", "{value: 1, label: A}"),
    ("{value: a, label: A}", "{value: a, label: ''}"),
    ("{value: a, label: A}", "{value: a, labl: A}"),
    ("    prompt: Any of these?\n", ""),
    ("    options:\n      - {value: a, label: A}\n", "    options: []\n"),
    ("{question: onset, one_of: [unsure]}", "{question: onset, one_of: []}"),
    ("{question: onset, one_of: [unsure]}", "{question: onset, one_of: [unsure], equals: x}"),
    ("{question: onset, one_of: [unsure]}", "{question: onset}"),
    ("{question: onset, one_of: [unsure]}", "{question: onset, one_of: [true]}"),
    ("{answered: age}}", "{answered: age, all: []}}"),
    ("{answered: age}}", "{}}"),
    ("{question: age, gte: 18, lt: 26}", "{question: age, gte: 18, lt: x}"),
    ("source: R2, when: {answered: age}", "source: 'R 2', when: {answered: age}"),
    ("disclaimer: Not advice.", "disclaimer: 12"),
    ("version: 1.0.0", "version: 1.0"),
    ("  no_imaging_reason: None needed.\n", "  no_imaging_reason: [x]\n"),
    ("  - {id: R1, citation: Source one.}", "  - {id: R1, citation: Source one., url: ftp://x}"),
    (
        "  - {id: R1, citation: Source one.}",
        "  - {id: R1, citation: Source one., url: 'https://a b'}",
    ),
    ("  - {id: R1, citation: Source one.}", "  - {id: R1, citation: Source one., doi: x}"),
    ("  - {id: R1, citation: Source one.}", "  - {id: R1, citation: Source one., verified: no}"),
    (
        "  - {id: R1, citation: Source one.}",
        "  - {id: R1, citation: Source one., url: 'https://x'}",
    ),
    (
        "level: urgent, advice: x, source: R1}",
        "level: urgent, advice: x, source: R1, timeframe: ''}",
    ),
    (
        "level: urgent, advice: x, source: R1}",
        "level: urgent, advice: x, source: R1, timeframe: 3}",
    ),
    ("format: 1", "format: 2"),
    ("format: 1", "format: '1'"),
    ("    unit: years\n", "    unit: years\n    uncertain: true\n"),
]

#: Changes both must accept: the declaration's optional keys and edge values.
FINE = [
    (
        "  - {id: R1, citation: Source one.}",
        "  - {id: R1, citation: Source one., url: 'https://doi.org/10.1/x'}",
    ),
    ("  - {id: R1, citation: Source one.}", "  - {id: R1, citation: Source one., verified: false}"),
    (
        "level: urgent, advice: x, source: R1}",
        "level: urgent, advice: x, source: R1, timeframe: same day}",
    ),
    (
        "modality: MRI, urgency: soon,",
        "modality: MRI, urgency: soon, site: hamstring origin, timeframe: within 2 weeks,",
    ),
    ("weight: -1.5", "weight: -1000"),
    ("max_uncertain_fraction: 0.5", "max_uncertain_fraction: 1"),
    ("max: 110", "max: 050"),
    ("  no_imaging_reason: None needed.\n", "  no_imaging_reason: ''\n"),
    ("high_margin: 4", "high_margin: 4.5"),
    ("weight: -1.5", "weight: 2e1"),
]


def mutate(old: str, new: str) -> str:
    text = questionnaire_text(VALID)
    assert old in text, old
    return text.replace(old, new, 1)


def test_the_valid_questionnaire_is_valid_to_both() -> None:
    text = questionnaire_text(VALID)
    assert parser_accepts(text) and schema_accepts(text)


@pytest.mark.parametrize(("old", "new"), BROKEN)
def test_both_refuse(old: str, new: str) -> None:
    text = mutate(old, new)
    assert (parser_accepts(text), schema_accepts(text)) == (False, False)


@pytest.mark.parametrize(("old", "new"), FINE)
def test_both_accept(old: str, new: str) -> None:
    text = mutate(old, new)
    assert (parser_accepts(text), schema_accepts(text)) == (True, True)
