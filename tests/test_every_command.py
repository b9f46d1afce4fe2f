"""Every command runs over every bundled questionnaire: nothing in the engine is one tree's.

As ``test_formats.py`` runs every output format through each consumer, this runs each command
(``triage`` in every format, from a file, from piped ``--plain`` lines and through the fast lane;
``batch`` in every format; ``explain``; ``graph``; ``export``; ``practice``; ``check``; ``list``)
over each bundled questionnaire, with a vignette of its own library as the answers. A third
questionnaire, added with YAML and cases only, is run here with no change to this file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.cases import bundled_cases, read_cases
from hamstring_cli.cli import app
from hamstring_cli.engine import Session
from hamstring_cli.fast import run_fast
from hamstring_cli.model import Answer, Questionnaire
from hamstring_cli.render.formats import BATCH_FORMATS, TRIAGE_FORMATS
from hamstring_cli.resources import (
    DEFAULT_QUESTIONNAIRE,
    bundled_dir,
    bundled_id,
    bundled_questionnaires,
    resolve_questionnaire,
)
from hamstring_cli.scoring import score

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = [bundled_id(path) for path in bundled_questionnaires()]
runner = CliRunner()


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("NO_COLOR", "1")


def load(questionnaire_id: str) -> Questionnaire:
    return load_questionnaire(resolve_questionnaire(questionnaire_id))


def library(questionnaire_id: str) -> list[Path]:
    folder = ROOT / "tests" / "cases"
    if questionnaire_id != DEFAULT_QUESTIONNAIRE:
        folder = folder / questionnaire_id
    return sorted(folder.glob("*.yaml"))


def answer_file(tmp_path: Path, questionnaire_id: str, index: int = 0) -> tuple[Path, Any]:
    """A vignette's answers as an answer file, and its expected outcome."""
    data = yaml.safe_load(library(questionnaire_id)[index].read_text(encoding="utf-8"))
    path = tmp_path / f"answers-{index}.yaml"
    path.write_text(yaml.safe_dump(data["answers"], sort_keys=False), encoding="utf-8")
    return path, data["expected"]


@pytest.mark.parametrize("fmt", TRIAGE_FORMATS)
@pytest.mark.parametrize("questionnaire_id", BUNDLED)
def test_triage_prints_every_format_from_an_answer_file(
    questionnaire_id: str, fmt: str, tmp_path: Path
) -> None:
    q = load(questionnaire_id)
    answers, expected = answer_file(tmp_path, questionnaire_id)
    args = ["triage", "-q", questionnaire_id, "--answers", str(answers), "--format", fmt]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.stderr
    out = done.stdout
    leading = q.outcomes.condition(expected["leading"])
    assert leading is not None
    if fmt == "json":
        data = json.loads(out)
        assert data["questionnaire"]["id"] == questionnaire_id
        assert (data["leading"], data["triage"]["level"]) == (
            expected["leading"],
            expected["level"],
        )
    elif fmt == "fhir":
        assert json.loads(out)["resourceType"] == "Bundle"
    else:
        assert leading.label.split(" (")[0] in " ".join(out.split())
    # The fast lane (a scripted run without typer) prints the same.
    written = tmp_path / f"report.{fmt}"
    assert run_fast([*args, "--output", str(written)]) == 0
    if fmt == "json":
        assert written.read_text(encoding="utf-8") == out


@pytest.mark.parametrize("questionnaire_id", BUNDLED)
def test_triage_reads_plain_numbered_lines_from_a_pipe(
    questionnaire_id: str, tmp_path: Path
) -> None:
    q = load(questionnaire_id)
    raw = yaml.safe_load(library(questionnaire_id)[0].read_text(encoding="utf-8"))["answers"]
    answers = Session(q, {k: q.question(k).validate(v) for k, v in raw.items()}).path_answers
    lines = [plain_line(q, qid, answer) for qid, answer in answers.items()]
    done = subprocess.run(
        [sys.executable, "-m", "hamstring_cli", "triage", "-q", questionnaire_id, "--plain"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")},
    )
    assert done.returncode == 0, done.stderr
    result = score(q, answers)
    flat = " ".join(done.stdout.split())
    assert f"Most likely: {result.differential[0].label}" in flat
    assert result.triage.label.upper() in flat


def plain_line(q: Questionnaire, qid: str, answer: Answer) -> str:
    """The line a person types at a --plain prompt for this answer."""
    question = q.question(qid)
    if isinstance(answer, int):
        return str(answer)
    if isinstance(answer, tuple):
        return " ".join(str(question.values.index(v) + 1) for v in answer) or "0"
    return str(question.values.index(answer) + 1)


@pytest.mark.parametrize("fmt", BATCH_FORMATS)
@pytest.mark.parametrize("questionnaire_id", BUNDLED)
def test_batch_writes_one_record_an_input_in_every_format(
    questionnaire_id: str, fmt: str, tmp_path: Path
) -> None:
    folder = tmp_path / "inputs"
    folder.mkdir()
    count = min(3, len(library(questionnaire_id)))
    for index in range(count):
        answer_file(folder, questionnaire_id, index)
    done = runner.invoke(app, ["batch", "-q", questionnaire_id, "-f", fmt, str(folder)])
    assert done.exit_code == 0, done.stderr
    lines = done.stdout.strip("\n").split("\n")
    records = lines[1:] if fmt == "csv" else lines
    assert len(records) == count
    if fmt == "jsonl":
        assert {json.loads(line)["questionnaire"]["id"] for line in records} == {questionnaire_id}


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("questionnaire_id", BUNDLED)
def test_explain_lists_contributions_and_what_ifs(
    questionnaire_id: str, fmt: str, tmp_path: Path
) -> None:
    answers, expected = answer_file(tmp_path, questionnaire_id)
    done = runner.invoke(app, ["explain", "-q", questionnaire_id, "-a", str(answers), "-f", fmt])
    assert done.exit_code == 0, done.stderr
    if fmt == "json":
        data = json.loads(done.stdout)
        assert data["leading"] == expected["leading"]
        assert data["what_if"], "some single change would change the outcome"
        for change in data["what_if"]:
            assert set(change["changes"]) <= {"leading", "level", "imaging", "scope"}
            assert change["changes"]
    else:
        assert "What if" in done.stdout


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
@pytest.mark.parametrize("questionnaire_id", BUNDLED)
def test_graph_draws_every_question_and_outcome(questionnaire_id: str, fmt: str) -> None:
    q = load(questionnaire_id)
    done = runner.invoke(app, ["graph", "-q", questionnaire_id, "-f", fmt])
    assert done.exit_code == 0, done.stderr
    for question in q.questions:
        assert f"q_{question.id}" in done.stdout
    for condition in q.outcomes.conditions:
        assert f"c_{condition.id}" in done.stdout


@pytest.mark.parametrize("questionnaire_id", BUNDLED)
def test_export_writes_the_fhir_questionnaire(questionnaire_id: str, tmp_path: Path) -> None:
    out = tmp_path / "q.json"
    done = runner.invoke(app, ["export", "-q", questionnaire_id, "-f", "fhir", "-o", str(out)])
    assert done.exit_code == 0, done.stderr
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported["url"].endswith(f"/Questionnaire/{questionnaire_id}")
    assert [i["linkId"] for i in exported["item"]] == [
        q.id for q in load(questionnaire_id).questions
    ]


@pytest.mark.parametrize("questionnaire_id", BUNDLED)
def test_check_passes_the_questionnaire_and_its_teaching_cases(questionnaire_id: str) -> None:
    path = resolve_questionnaire(questionnaire_id)
    cases = [
        c.source
        for c in read_cases(bundled_cases(bundled_dir()))
        if c.questionnaire == questionnaire_id
    ]
    assert cases, f"{questionnaire_id} has teaching cases"
    done = runner.invoke(app, ["check", str(path), *cases])
    assert done.exit_code == 0, done.stderr
    assert f"{path}: ok:" in done.stderr
    assert done.stderr.count(": ok: teaching case") == len(cases)


@pytest.mark.parametrize("questionnaire_id", BUNDLED)
def test_practice_lists_grades_and_runs_the_cases_of_the_questionnaire(
    questionnaire_id: str,
) -> None:
    listed = runner.invoke(app, ["practice", "--list", "-q", questionnaire_id])
    assert listed.exit_code == 0, listed.stderr
    ids = [line.split("\t")[0] for line in listed.stdout.splitlines()]
    cases = {c.id: c for c in read_cases(bundled_cases(bundled_dir()))}
    assert ids and all(cases[i].questionnaire == questionnaire_id for i in ids)
    case = cases[ids[0]]
    graded = runner.invoke(
        app,
        [
            "practice",
            "--case",
            case.id,
            "--guess",
            case.expected.leading,
            "--level",
            case.expected.level,
            "--imaging",
            case.expected.imaging,
            "--format",
            "json",
        ],
    )
    assert graded.exit_code == 0, graded.stderr
    assert json.loads(graded.stdout)["correct"]["all"] is True


def test_list_shows_every_bundled_questionnaire() -> None:
    done = runner.invoke(app, ["list"])
    assert done.exit_code == 0
    listed = [line.split("\t")[0] for line in done.stdout.splitlines()]
    assert listed == BUNDLED
    assert {"proximal-hamstring", "ottawa-ankle"} <= set(listed)


@pytest.mark.parametrize("questionnaire_id", BUNDLED)
def test_practice_takes_a_call_on_plain_lines(questionnaire_id: str, tmp_path: Path) -> None:
    q = load(questionnaire_id)
    case = next(
        c for c in read_cases(bundled_cases(bundled_dir())) if c.questionnaire == questionnaire_id
    )
    conditions = [c.id for c in q.outcomes.conditions]
    levels = list(q.outcomes.levels)
    from hamstring_cli.practice import imaging_choices

    call = [
        conditions.index(case.expected.leading) + 1,
        levels.index(case.expected.level) + 1,
        imaging_choices(q).index(case.expected.imaging) + 1,
        2,  # no more feedback
        2,  # no other case
    ]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "hamstring_cli",
            "practice",
            "--plain",
            "-q",
            questionnaire_id,
            "--case",
            case.id,
            "--auto",
        ],
        input="".join(f"{n}\n" for n in call),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 of 3 answers right" in done.stdout
