"""FHIR for every bundled questionnaire: valid R4B resources, enabled equals asked, body sites,
and a base URL of the clinic's choosing.

``tests/test_fhir.py`` checks the default questionnaire in depth; this file runs the same checks
over each bundled one (and so over a third one added with YAML and cases alone).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhirpathpy import evaluate
from helpers import every_path
from test_fhir import INVARIANTS, R4, enabled_items

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.engine import Session
from hamstring_cli.fhir import BASE, BASE_VARIABLE, canonical
from hamstring_cli.fhir.bundle import to_bundle, to_response
from hamstring_cli.fhir.questionnaire import to_questionnaire
from hamstring_cli.model import Questionnaire
from hamstring_cli.resources import (
    DEFAULT_QUESTIONNAIRE,
    bundled_id,
    bundled_questionnaires,
    resolve_questionnaire,
)
from hamstring_cli.scoring import score

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = [bundled_id(path) for path in bundled_questionnaires()]


def load(questionnaire_id: str) -> Questionnaire:
    return load_questionnaire(resolve_questionnaire(questionnaire_id))


def vignettes(questionnaire_id: str) -> list[Path]:
    library = ROOT / "tests" / "cases"
    folder = library if questionnaire_id == DEFAULT_QUESTIONNAIRE else library / questionnaire_id
    return sorted(folder.glob("*.yaml"))


def results(q: Questionnaire, path: Path) -> dict[str, Any]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["answers"]
    answers = {qid: q.question(qid).validate(value) for qid, value in raw.items()}
    return score(q, Session(q, answers).path_answers).to_dict()


@pytest.mark.parametrize("questionnaire_id", BUNDLED)
def test_the_export_validates_and_holds_every_invariant(questionnaire_id: str) -> None:
    q = load(questionnaire_id)
    exported = to_questionnaire(q)
    FhirQuestionnaire.model_validate(exported)
    assert exported["url"] + "|" + exported["version"] == canonical(q)
    assert [item["linkId"] for item in exported["item"]] == [
        question.id for question in q.questions
    ]
    for name, expression in INVARIANTS.items():
        assert evaluate(exported, expression, {}, R4) == [True], name


@pytest.mark.parametrize("questionnaire_id", BUNDLED)
def test_enabled_equals_asked_on_every_path(questionnaire_id: str) -> None:
    q = load(questionnaire_id)
    exported = to_questionnaire(q)
    for path, answers in every_path(q):
        response = to_response(q, answers, authored="2026-01-01T00:00:00+00:00")
        QuestionnaireResponse.model_validate(response)
        assert enabled_items(exported, response) == list(path), path


@pytest.mark.parametrize("questionnaire_id", BUNDLED)
def test_each_vignette_bundle_validates_and_names_each_study_s_body_site(
    questionnaire_id: str,
) -> None:
    q = load(questionnaire_id)
    sites = 0
    for path in vignettes(questionnaire_id):
        result = results(q, path)
        bundle = to_bundle(q, result)
        Bundle.model_validate(bundle)
        requests = [
            e["resource"]
            for e in bundle["entry"]
            if e["resource"]["resourceType"] == "ServiceRequest"
        ]
        studies = result["imaging"]["studies"]
        assert len(requests) == len(studies), path.name
        for request, study in zip(requests, studies, strict=True):
            assert request["code"]["coding"][0]["code"] == study["modality"]
            if study["site"]:
                sites += 1
                assert request["bodySite"] == [{"text": study["site"]}], path.name
            else:
                assert "bodySite" not in request
    assert sites, "some vignette advises a study at a site"


def command(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "hamstring_cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("questionnaire_id", BUNDLED)
def test_a_base_of_the_clinic_s_choosing_is_used_throughout_and_reads_back(
    questionnaire_id: str, tmp_path: Path
) -> None:
    base = "https://fhir.clinic.example.org/r4"
    env = {BASE_VARIABLE: base + "/", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    exported = command("export", "-f", "fhir", "-q", questionnaire_id, env=env)
    assert exported.returncode == 0, exported.stderr
    questionnaire = json.loads(exported.stdout)
    assert questionnaire["url"] == f"{base}/Questionnaire/{questionnaire_id}"
    assert BASE not in exported.stdout
    # A result as a Bundle, its response read back as answers: the same result, the same base.
    case = tmp_path / "answers.yaml"
    raw = yaml.safe_load(vignettes(questionnaire_id)[0].read_text(encoding="utf-8"))["answers"]
    case.write_text(yaml.safe_dump(raw), encoding="utf-8")
    bundled = command("triage", "-q", questionnaire_id, "-a", case, "-f", "fhir", env=env)
    assert bundled.returncode == 0, bundled.stderr
    assert BASE not in bundled.stdout
    entries = json.loads(bundled.stdout)["entry"]
    response = next(
        e["resource"] for e in entries if e["resource"]["resourceType"] == "QuestionnaireResponse"
    )
    assert response["questionnaire"].startswith(f"{base}/Questionnaire/{questionnaire_id}|")
    saved = tmp_path / "response.json"
    saved.write_text(json.dumps(response), encoding="utf-8")
    again = command("triage", "-q", questionnaire_id, "-a", saved, "-f", "json", env=env)
    direct = command("triage", "-q", questionnaire_id, "-a", case, "-f", "json", env=env)
    assert again.returncode == direct.returncode == 0, again.stderr
    assert json.loads(again.stdout) == json.loads(direct.stdout)
    # Read under another base, the response names another questionnaire: refused, located.
    other = command("triage", "-q", questionnaire_id, "-a", saved, "-f", "json")
    assert other.returncode == 1 and "E40" in other.stderr


def test_a_base_that_is_not_an_address_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    out = tmp_path / "q.json"
    done = command("export", "-f", "fhir", "-o", out, env={BASE_VARIABLE: "ftp://a b"})
    assert done.returncode == 1
    assert f"{BASE_VARIABLE}: error E021" in done.stderr
    assert not out.exists()
