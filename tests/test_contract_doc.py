"""docs/contract.md names every key of the result, and each vocabulary document every id of its
questionnaire: the documents scripts are written against cannot fall behind the JSON."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.engine import Session
from hamstring_cli.resources import (
    DEFAULT_QUESTIONNAIRE,
    bundled_id,
    bundled_questionnaires,
    resolve_questionnaire,
)
from hamstring_cli.scoring import score

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "docs" / "contract.md"
VOCABULARIES = sorted((ROOT / "docs" / "questionnaires").glob("*.md"))
BUNDLED = [bundled_id(path) for path in bundled_questionnaires()]


def keys(value: object) -> set[str]:
    """Every key of a JSON value, at any depth (the answers' keys are question ids: left out)."""
    out: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            out.add(key)
            if key != "answers":
                out |= keys(item)
    elif isinstance(value, list):
        for item in value:
            out |= keys(item)
    return out


@pytest.mark.parametrize("questionnaire_id", BUNDLED)
def test_the_contract_names_every_key_of_the_result(questionnaire_id: str) -> None:
    q = load_questionnaire(resolve_questionnaire(questionnaire_id))
    library = ROOT / "tests" / "cases"
    folder = library if questionnaire_id == DEFAULT_QUESTIONNAIRE else library / questionnaire_id
    text = CONTRACT.read_text(encoding="utf-8")
    named = set(re.findall(r"`([a-z_]+)`", text)) | set(re.findall(r'"([a-z_]+)":', text))
    seen: set[str] = set()
    for path in sorted(folder.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))["answers"]
        answers = {qid: q.question(qid).validate(v) for qid, v in raw.items()}
        seen |= keys(score(q, Session(q, answers).path_answers).to_dict())
    assert seen - named == set(), "keys of the result that docs/contract.md does not name"


def test_the_contract_links_a_vocabulary_for_each_bundled_questionnaire() -> None:
    text = CONTRACT.read_text(encoding="utf-8")
    for path in VOCABULARIES:
        assert f"(questionnaires/{path.name})" in text, path.name


@pytest.mark.parametrize("path", VOCABULARIES, ids=lambda p: p.stem)
def test_a_vocabulary_lists_every_question_of_its_questionnaire(path: Path) -> None:
    assert path.stem in BUNDLED, f"{path.name} is for no bundled questionnaire"
    q = load_questionnaire(resolve_questionnaire(path.stem))
    text = path.read_text(encoding="utf-8")
    for question in q.questions:
        assert f"`{question.id}`" in text, question.id
        for value in question.values:
            assert f"`{value}`" in text, (question.id, value)
    for condition in q.outcomes.conditions:
        assert f"`{condition.id}`" in text, condition.id
