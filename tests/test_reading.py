"""Reading YAML and JSON: numbers as YAML 1.2 reads them, JSON errors as JSON, short echoes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import BUNDLED, chain_questions, in_process, questionnaire_text, write

from hamstring_cli.answers import read_answers
from hamstring_cli.cache import load_questionnaire
from hamstring_cli.errors import AnswerError, Code, QuestionnaireError
from hamstring_cli.safe_yaml import read_document

CHAIN_LENGTH = 5000


def data(text: str) -> object:
    return read_document(text=text)[0]


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("050", 50),
        ("034", 34),
        ("010", 10),
        ("-07", -7),
        ("+5", 5),
        ("0", 0),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("-2.0", -2.0),
        ("'0x1F'", "0x1F"),
        ('"1:30"', "1:30"),
        ("no", "no"),
        ("true", True),
    ],
)
def test_numbers_read_as_yaml_1_2_reads_them(written: str, read: object) -> None:
    value = data(f"a: {written}\n")
    assert value == {"a": read}
    assert type(value["a"]) is type(read)  # type: ignore[index]


@pytest.mark.parametrize(
    "written", ["0x1F", "0o17", "0b101", "1_000", "1:30", "-1:30", "1_0.5", ".inf", "-.inf", ".nan"]
)
def test_other_number_forms_are_located_errors(written: str) -> None:
    with pytest.raises(QuestionnaireError) as raised:
        read_document(text=f"a: 1\nb: [2, {written}]\n", name="f.yaml")
    (error,) = raised.value.errors
    assert error.code == Code.BAD_NUMBER.code
    assert str(error.place) == "f.yaml:2:8"
    assert written in error.message
    assert "allowed:" in error.message


def test_a_zero_padded_answer_is_decimal(tmp_path: Path) -> None:
    questionnaire = load_questionnaire(BUNDLED)
    answers = write(tmp_path, "days_since_injury: 050\nage: 034\n", "a.yaml")
    found = read_answers(answers, questionnaire)
    assert found["days_since_injury"] == 50
    assert found["age"] == 34


def test_an_octal_looking_answer_is_refused_with_its_place(tmp_path: Path) -> None:
    questionnaire = load_questionnaire(BUNDLED)
    answers = write(tmp_path, "age: 34\ndays_since_injury: 0o50\n", "a.yaml")
    with pytest.raises(AnswerError) as raised:
        read_answers(answers, questionnaire)
    assert [str(e.place) for e in raised.value.errors] == [f"{answers}:2:20"]


def test_a_huge_number_is_a_range_error_shortened(tmp_path: Path) -> None:
    body = questionnaire_text(
        "questions:\n  - {id: a, type: integer, prompt: A?, min: 0, max: 9}\n"
    ).replace("outcomes:\n", "outcomes:\n  confidence: {high_margin: 1" + "0" * 400 + "}\n", 1)
    path = write(tmp_path, body)
    with pytest.raises(QuestionnaireError) as raised:
        load_questionnaire(path)
    (error,) = raised.value.errors
    assert error.code == Code.BAD_VALUE.code
    assert "401-digit number" in error.message
    assert "from 0 to 1,000" in error.message
    assert len(error.message) < 200


def test_an_integer_too_long_to_read_is_an_error_not_a_crash() -> None:
    with pytest.raises(QuestionnaireError) as raised:
        read_document(text="a: " + "9" * 5000 + "\n")
    assert raised.value.errors[0].code == Code.BAD_NUMBER.code
    assert len(raised.value.errors[0].message) < 200


def test_inf_and_nan_anywhere_in_a_questionnaire_are_located(tmp_path: Path) -> None:
    body = questionnaire_text(
        "questions:\n  - {id: a, type: integer, prompt: A?, min: 0, max: 9}\n"
    ).replace("title: A test questionnaire", "title: .nan")
    path = write(tmp_path, body)
    with pytest.raises(QuestionnaireError) as raised:
        load_questionnaire(path)
    assert [e.code for e in raised.value.errors] == [Code.BAD_NUMBER.code]
    assert raised.value.errors[0].place.line == body.splitlines().index("title: .nan") + 1


def test_a_json_syntax_error_is_a_json_error_with_its_place(tmp_path: Path) -> None:
    path = write(tmp_path, '{"a": 1,\n "b": [1, 2\n', "x.json")
    with pytest.raises(QuestionnaireError) as raised:
        read_document(path)
    (error,) = raised.value.errors
    assert error.code == Code.JSON_SYNTAX.code
    assert "JSON" in error.message and "YAML" not in error.message
    assert (error.place.line, error.place.column) == (3, 1)


def test_a_file_that_is_not_a_questionnaire_is_not_echoed(tmp_path: Path) -> None:
    lines = [f"user{i}:x:{i}:{i}:User {i}:/home/user{i}:/bin/sh" for i in range(40)]
    path = write(tmp_path, "\n".join(lines) + "\n", "passwd")
    with pytest.raises(QuestionnaireError) as raised:
        load_questionnaire(path)
    message = raised.value.errors[0].message
    assert "user0" in message and "user39" not in message
    assert len(message) < 200


def test_a_merge_key_inside_a_merged_mapping_is_merged() -> None:
    text = "base: &b {x: 1}\nmid: &m\n  <<: *b\n  y: 2\ntop:\n  <<: *m\n  y: 3\n"
    assert data(text) == {
        "base": {"x": 1},
        "mid": {"y": 2, "x": 1},
        "top": {"y": 3, "x": 1},
    }


def test_a_merge_of_a_mapping_into_itself_is_refused() -> None:
    with pytest.raises(QuestionnaireError) as raised:
        read_document(text="a: &a\n  x: 1\n  <<: *a\n")
    assert raised.value.errors[0].code == Code.TOO_COMPLEX.code


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("chain")
    questionnaire = folder / "chain.yaml"
    questionnaire.write_text(questionnaire_text(chain_questions(CHAIN_LENGTH)), encoding="utf-8")
    answers = folder / "answers.yaml"
    answers.write_text("".join(f"q{i}: y\n" for i in range(CHAIN_LENGTH)), encoding="utf-8")
    return questionnaire, answers


def hamstring(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {"HAMSTRING_NO_CACHE": "1", "PATH": "/usr/bin:/bin", "XDG_STATE_HOME": str(tmp)}
    return subprocess.run(
        [sys.executable, "-m", "hamstring_cli", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )


@pytest.mark.slow
def test_a_5000_question_chain_checks_and_runs(chain: tuple[Path, Path], tmp_path: Path) -> None:
    questionnaire, answers = chain
    checked = hamstring("check", str(questionnaire), tmp=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "5000 questions" in checked.stdout + checked.stderr
    run = hamstring(
        "triage",
        "-q",
        str(questionnaire),
        "--answers",
        str(answers),
        "--format",
        "json",
        tmp=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    result = json.loads(run.stdout)
    assert len(result["answers"]) == CHAIN_LENGTH
    assert result["leading"] == "c1"


@pytest.mark.slow
def test_a_deep_chain_runs_in_plain_mode(tmp_path: Path) -> None:
    # Deeper than Python's recursion limit, so any recursive walk of the tree would fail;
    # shorter than the 5,000 above because plain mode saves the session after every answer.
    length = 1500
    questionnaire = tmp_path / "chain.yaml"
    questionnaire.write_text(questionnaire_text(chain_questions(length)), encoding="utf-8")
    env = {"HAMSTRING_NO_CACHE": "1", "PATH": "/usr/bin:/bin", "XDG_STATE_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "hamstring_cli", "triage", "-q", str(questionnaire), "--plain"],
        input="1\n" * (length + 5),
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert "Condition one" in done.stdout + done.stderr


@pytest.mark.parametrize("weight", [".inf", "-.inf", ".nan", "1e400"])
def test_a_non_finite_weight_fails_check_at_its_place(tmp_path: Path, weight: str) -> None:
    body = questionnaire_text(
        "questions:\n  - {id: a, type: integer, prompt: A?, min: 0, max: 9}\n"
        "outcomes:\n  conditions:\n    - id: c1\n      label: C\n"
        "      triage: [{level: routine, advice: x, source: R1}]\n"
        f"  scores:\n    - {{condition: c1, when: {{answered: a}}, weight: {weight}, "
        "reason: r, source: R1}\n"
    )
    path = write(tmp_path, body)
    done = in_process("check", path)
    line = next(i for i, text in enumerate(body.splitlines(), 1) if "weight:" in text)
    column = body.splitlines()[line - 1].index(weight) + 1
    assert done.status == 1
    assert f"{path}:{line}:{column}: error E018" in done.err
    assert "Traceback" not in done.err


def test_json_is_never_written_with_nan_or_infinity() -> None:
    from hamstring_cli.report import to_json

    with pytest.raises(ValueError, match="JSON compliant"):
        to_json({"score": float("inf")})


def test_reference_url_and_verified_and_a_red_flag_timeframe_reach_the_model(
    tmp_path: Path,
) -> None:
    body = (
        questionnaire_text(
            "questions:\n  - {id: a, type: integer, prompt: A?, min: 0, max: 9}\n"
            "outcomes:\n  conditions:\n    - id: c1\n      label: C\n"
            "      triage: [{level: routine, advice: x, source: R1}]\n"
            "  red_flags:\n    - {id: f, when: {answered: a}, level: urgent, advice: x, "
            "source: R1, timeframe: same day}\n"
        )
        .replace(
            "{id: R1, citation: Source one.}",
            "{id: R1, citation: Source one., url: 'https://doi.org/10.1/x'}",
        )
        .replace("{id: R2, citation: Source two.}", "{id: R2, citation: Two., verified: false}")
    )
    q = load_questionnaire(write(tmp_path, body))
    first, second = q.references
    assert (first.url, first.verified) == ("https://doi.org/10.1/x", True)
    assert (second.url, second.verified) == (None, False)
    assert q.outcomes.red_flags[0].timeframe == "same day"
