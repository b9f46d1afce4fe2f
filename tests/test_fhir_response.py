"""A QuestionnaireResponse read as answers: every answer is read where the Questionnaire puts its
item, or the response is refused at its place; never a traceback, never an answer passed over.

Fast (in process, the bundled tree): the slow FHIR tests (validation with the R4B models,
FHIRPath) are in ``test_fhir.py``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml
from helpers import in_process, questionnaire_text

from hamstring_cli.answers import read_answers
from hamstring_cli.cache import load_questionnaire
from hamstring_cli.engine import Session
from hamstring_cli.errors import AnswerError, Diagnostic
from hamstring_cli.fhir import system
from hamstring_cli.fhir.bundle import to_response
from hamstring_cli.model import Answer, Questionnaire
from hamstring_cli.scoring import score

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
SADDLE = ROOT / "tests" / "cases" / "red_flag_saddle_numbness_over_tendinopathy.yaml"


@pytest.fixture(scope="module")
def q() -> Questionnaire:
    return load_questionnaire(ROOT / "questionnaires" / "proximal_hamstring.yaml")


def path_answers(q: Questionnaire, raw: dict[str, Any]) -> dict[str, Answer]:
    session = Session(q, {k: q.question(k).validate(v) for k, v in raw.items()})
    assert session.finished
    return session.path_answers


@pytest.fixture(scope="module")
def saddle(q: Questionnaire) -> dict[str, Answer]:
    """A path whose only red flag is saddle numbness (cauda equina: an emergency)."""
    return path_answers(q, yaml.safe_load(SADDLE.read_text(encoding="utf-8"))["answers"])


@pytest.fixture
def without_flag(q: Questionnaire, saddle: dict[str, Answer]) -> dict[str, Any]:
    """The same response with no red flag ticked (its red_flags item left out)."""
    return to_response(q, {**saddle, "red_flags": ()})


def flag_item(q: Questionnaire) -> dict[str, Any]:
    coding = {"system": system(q, "red_flags"), "code": "saddle_or_bladder"}
    return {"linkId": "red_flags", "answer": [{"valueCoding": coding}]}


def read(q: Questionnaire, tmp_path: Path, resource: object, name: str = "r.json") -> Any:
    path = tmp_path / name
    text = json.dumps(resource, indent=2) if name.endswith(".json") else str(resource)
    path.write_text(text, encoding="utf-8")
    return read_answers(path, q)


def refused(
    q: Questionnaire, tmp_path: Path, resource: object, name: str = "r.json"
) -> list[Diagnostic]:
    with pytest.raises(AnswerError) as raised:
        read(q, tmp_path, resource, name)
    found = list(raised.value.errors or raised.value.diagnostics)
    assert found
    return found


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [n for n, text in enumerate(lines, 1) if needle in text][nth - 1]


class Done(NamedTuple):
    """What one run of the command did."""

    returncode: int
    stdout: str
    stderr: str


def command(*args: str | Path) -> Done:
    """Run ``hamstring ARGS`` through its entry point in this process (standard input empty,
    the output streams in memory): the command line, the reading and the output a user gets."""
    run = in_process(*args)
    status = run.status
    code = 0 if status is None else status if isinstance(status, int) else 1
    return Done(code, run.out.decode("utf-8"), run.err)


# ---------------------------------------------------------------------------------------------
# Class 1: keys that are not text


@pytest.mark.parametrize("key", ["1", "true", "null", "1.5", "~", "-7", "1e3", "false"])
def test_a_key_that_is_not_text_is_a_located_error(
    q: Questionnaire, tmp_path: Path, key: str
) -> None:
    text = (
        "resourceType: QuestionnaireResponse\n"
        "status: completed\n"
        "item:\n"
        "  - linkId: age\n"
        "    answer:\n"
        f"      - {{{key}: 40}}\n"
    )
    found = refused(q, tmp_path, text, "r.yaml")
    assert [d.code for d in found] == ["E406"]
    assert found[0].place is not None
    assert (found[0].place.line, found[0].place.column) == (6, 10)
    assert "QuestionnaireResponse.item[0].answer[0]: a key must be text" in found[0].message


def test_keys_that_are_not_text_are_all_reported_wherever_they_are(
    q: Questionnaire, tmp_path: Path
) -> None:
    path = CORPUS / "answers-fhir-keys-not-text.yaml"
    with pytest.raises(AnswerError) as raised:
        read_answers(path, q)
    found = raised.value.errors
    assert [d.code for d in found] == ["E406"] * 4
    assert [d.place.line for d in found if d.place] == [8, 11, 14, 17]
    text = (
        "resourceType: QuestionnaireResponse\nstatus: completed\n5: x\n"
        "item: [{linkId: age, true: 1}]\n"
    )
    found = refused(q, tmp_path, text, "r.yaml")
    assert [(d.code, d.place.line if d.place else 0) for d in found] == [("E406", 3), ("E406", 4)]


def test_a_batch_line_with_a_key_that_is_not_text_loses_no_other_record(tmp_path: Path) -> None:
    done = command("batch", CORPUS / "batch-fhir-key-not-text.jsonl", "--format", "jsonl")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [("error" in r) for r in records] == [False, True, False]
    assert records[1]["error"]["line"] == 2
    assert [r["answers"]["age"] for r in (records[0], records[2])] == [40, 41]


# ---------------------------------------------------------------------------------------------
# Class 2: answers nested where the Questionnaire has no such item


def nest_under_answer(response: dict[str, Any], flag: dict[str, Any]) -> None:
    age = next(i for i in response["item"] if i["linkId"] == "age")
    age["answer"][0]["item"] = [flag]


def nest_under_help(response: dict[str, Any], flag: dict[str, Any]) -> None:
    response["item"].insert(0, {"linkId": "red_flags-help", "item": [flag]})


def nest_under_unanswered(response: dict[str, Any], flag: dict[str, Any]) -> None:
    response["item"].insert(0, {"linkId": "red_flags", "item": [flag]})


def nest_deep(response: dict[str, Any], flag: dict[str, Any]) -> None:
    age = next(i for i in response["item"] if i["linkId"] == "age")
    age["answer"][0]["item"] = [{"linkId": "age-help", "answer": [{"item": [flag]}]}]


@pytest.mark.parametrize(
    "nest", [nest_under_answer, nest_under_help, nest_under_unanswered, nest_deep]
)
def test_a_red_flag_nested_in_another_item_is_refused_never_dropped(
    q: Questionnaire, tmp_path: Path, without_flag: dict[str, Any], nest: Any
) -> None:
    nest(without_flag, flag_item(q))
    found = refused(q, tmp_path, without_flag)
    nested = [d for d in found if d.code == "E409"]
    assert len(nested) == 1, [str(d) for d in found]
    assert "'red_flags' is nested in" in nested[0].message
    assert "belongs in QuestionnaireResponse.item" in nested[0].message
    assert nested[0].place is not None
    # At the nested item's linkId: the last item named red_flags in the file.
    lines = (tmp_path / "r.json").read_text(encoding="utf-8").splitlines()
    last = max(n for n, text in enumerate(lines, 1) if '"linkId": "red_flags"' in text)
    assert nested[0].place.line == last


def test_the_reproducers_of_nested_answers_never_triage_without_the_flag() -> None:
    # The cauda-equina flag nested in a response: refused (exit 1, nothing on standard output),
    # never "urgent, no red flags".
    for name in (
        "answers-fhir-red-flag-under-an-answer.json",
        "answers-fhir-red-flag-under-a-help-item.json",
    ):
        done = command("triage", "--answers", CORPUS / name, "--format", "json")
        assert done.returncode == 1, name
        assert done.stdout == ""
        assert "E409" in done.stderr and "Traceback" not in done.stderr


def test_the_same_flag_at_the_top_level_is_an_emergency(
    q: Questionnaire, tmp_path: Path, without_flag: dict[str, Any], saddle: dict[str, Answer]
) -> None:
    without_flag["item"].insert(0, flag_item(q))
    answers = read(q, tmp_path, without_flag)
    assert answers["red_flags"] == ("saddle_or_bladder",)
    assert score(q, path_answers(q, dict(answers))).triage.level == "emergency"


def test_an_empty_help_item_where_the_questionnaire_puts_it_is_read(
    q: Questionnaire, tmp_path: Path, saddle: dict[str, Answer]
) -> None:
    # Under its question's answer (R4: a question's children go there), or in the item of an
    # unanswered question: a display item holds nothing to read.
    response = to_response(q, saddle)
    onset = next(i for i in response["item"] if i["linkId"] == "onset")
    onset["answer"][0]["item"] = [{"linkId": "onset-help", "text": "..."}]
    response["item"].append({"linkId": "mechanism", "item": [{"linkId": "mechanism-help"}]})
    assert dict(read(q, tmp_path, response)) == saddle


def test_an_answered_item_with_child_items_is_refused(
    q: Questionnaire, tmp_path: Path, saddle: dict[str, Answer]
) -> None:
    response = to_response(q, saddle)
    onset = next(i for i in response["item"] if i["linkId"] == "onset")
    onset["item"] = [{"linkId": "onset-help", "text": "..."}]
    found = refused(q, tmp_path, response)
    assert [d.code for d in found] == ["E410"]
    assert "QuestionnaireResponse.item[3].item: the item 'onset' has answers" in found[0].message
    assert "qrs-1" in found[0].message
    assert found[0].place is not None
    # At the child items: the first "item" after onset's linkId.
    lines = (tmp_path / "r.json").read_text(encoding="utf-8").splitlines()
    start = line_of(tmp_path / "r.json", '"linkId": "onset"')
    assert found[0].place.line == next(
        n for n, text in enumerate(lines, 1) if n > start and '"item": [' in text
    )


def test_an_answer_on_a_help_item_takes_no_answer(
    q: Questionnaire, tmp_path: Path, saddle: dict[str, Answer]
) -> None:
    response = to_response(q, {k: v for k, v in saddle.items() if k != "pop"})
    coding = {"system": system(q, "pop"), "code": "yes"}
    response["item"].append({"linkId": "pop-help", "answer": [{"valueCoding": coding}]})
    found = refused(q, tmp_path, response)
    assert [d.code for d in found] == ["E408"]
    assert "'pop-help' is the help text of 'pop'" in found[0].message
    assert "takes no answer" in found[0].message
    assert "did you mean" not in found[0].message and "unknown" not in found[0].message


@pytest.mark.parametrize("link_id", [None, "missing"])
def test_an_item_without_a_link_id(
    q: Questionnaire, tmp_path: Path, without_flag: dict[str, Any], link_id: str | None
) -> None:
    item = flag_item(q)
    if link_id is None:
        item["linkId"] = None
    else:
        del item["linkId"]
    without_flag["item"].insert(0, item)
    found = refused(q, tmp_path, without_flag)
    assert [d.code for d in found] == ["E407"]
    assert "QuestionnaireResponse.item[0]: the item has no linkId" in found[0].message
    assert "None" not in found[0].message and "red_flags, anticoagulants" in found[0].message


def test_a_link_id_that_is_not_text(
    q: Questionnaire, tmp_path: Path, saddle: dict[str, Answer]
) -> None:
    response = to_response(q, saddle)
    response["item"][0]["linkId"] = 7
    found = refused(q, tmp_path, response)
    assert [d.code for d in found] == ["E406"]
    assert "a linkId must be text, not the number 7" in found[0].message


# ---------------------------------------------------------------------------------------------
# The response's status


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("entered-in-error", "marked 'entered-in-error'"),
        ("final", "the status the text 'final' is not a response status"),
        ("complete", "(did you mean 'completed'?)"),
        (3, "the number 3"),
        (None, "the response has no status"),
    ],
)
def test_a_status_that_is_not_read(
    q: Questionnaire, tmp_path: Path, saddle: dict[str, Answer], status: object, words: str
) -> None:
    response = to_response(q, saddle)
    if status is None:
        del response["status"]
    else:
        response["status"] = status
    found = refused(q, tmp_path, response)
    assert [d.code for d in found] == ["E411"]
    assert words in found[0].message
    assert "allowed: completed, amended, in-progress, stopped" in found[0].message
    if status is not None:
        assert found[0].place is not None
        assert found[0].place.line == line_of(
            tmp_path / "r.json", f'"status": {json.dumps(status)}'
        )


@pytest.mark.parametrize("status", ["completed", "amended", "in-progress", "stopped"])
def test_the_bundle_keeps_the_status_of_the_response(
    q: Questionnaire, tmp_path: Path, saddle: dict[str, Answer], status: str
) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(to_response(q, saddle, status=status)), encoding="utf-8")
    done = command("triage", "--answers", path, "--format", "fhir")
    assert done.returncode == 0, done.stderr
    response = json.loads(done.stdout)["entry"][1]["resource"]
    assert response["status"] == status
    assert f"{status}.</p>" in response["text"]["div"]
    # One Bundle a line in a batch: the same.
    batch = command("batch", path, "--format", "fhir")
    assert batch.returncode == 0, batch.stderr
    assert json.loads(batch.stdout)["entry"][1]["resource"]["status"] == status
    # The JSON result is the contract's, whatever the status.
    plain = command("triage", "--answers", path, "--format", "json")
    assert json.loads(plain.stdout) == score(q, saddle).to_dict()


def test_answers_from_a_file_give_a_completed_response(
    q: Questionnaire, tmp_path: Path, saddle: dict[str, Answer]
) -> None:
    path = tmp_path / "a.json"
    path.write_text(
        json.dumps({k: list(v) if isinstance(v, tuple) else v for k, v in saddle.items()})
    )
    done = command("triage", "--answers", path, "--format", "fhir")
    assert json.loads(done.stdout)["entry"][1]["resource"]["status"] == "completed"


# ---------------------------------------------------------------------------------------------
# The corpus: each FHIR reproducer gives its located error


CORPUS_CODES = {
    "answers-fhir-answer-on-a-help-item.json": ["E408"],
    "answers-fhir-answered-item-with-child-items.json": ["E410", "E409"],
    "answers-fhir-entered-in-error.json": ["E411"],
    "answers-fhir-item-without-link-id.json": ["E407"],
    "answers-fhir-keys-not-text.yaml": ["E406"] * 4,
    "answers-fhir-red-flag-under-a-help-item.json": ["E409"],
    "answers-fhir-red-flag-under-an-answer.json": ["E409"],
}


def test_every_fhir_reproducer_is_listed() -> None:
    assert sorted(p.name for p in CORPUS.glob("answers-fhir-*")) == sorted(CORPUS_CODES)


@pytest.mark.parametrize("name", sorted(CORPUS_CODES))
def test_a_fhir_reproducer_gives_its_located_errors(q: Questionnaire, name: str) -> None:
    with pytest.raises(AnswerError) as raised:
        read_answers(CORPUS / name, q)
    found = raised.value.errors
    assert [d.code for d in found] == CORPUS_CODES[name]
    assert all(d.place is not None and d.place.line for d in found)


def test_a_reproducer_fixed_becomes_a_good_response(q: Questionnaire, tmp_path: Path) -> None:
    # Moved to the top level, the flag nested under an answer is read, and decides the level.
    data = json.loads((CORPUS / "answers-fhir-red-flag-under-an-answer.json").read_text())
    response = copy.deepcopy(data)
    age = next(i for i in response["item"] if i["linkId"] == "age")
    response["item"].insert(0, age["answer"][0].pop("item")[0])
    answers = read(q, tmp_path, response)
    assert score(q, path_answers(q, dict(answers))).triage.level == "emergency"


def test_a_help_item_the_questionnaire_does_not_have_is_unknown(tmp_path: Path) -> None:
    body = (
        "questions:\n"
        "  - {id: a, type: choice, prompt: A?, help: Some help., "
        "options: [{value: y, label: 'Yes'}, {value: n, label: 'No'}]}\n"
        "  - {id: b, type: choice, prompt: B?, "
        "options: [{value: y, label: 'Yes'}, {value: n, label: 'No'}]}\n"
    )
    path = tmp_path / "q.yaml"
    path.write_text(questionnaire_text(body), encoding="utf-8")
    tree = load_questionnaire(path)
    answer = [{"valueCoding": {"system": system(tree, "b"), "code": "y"}}]
    response = to_response(tree, {"a": "y"})
    response["item"].append({"linkId": "b-help", "answer": answer})
    found = refused(tree, tmp_path, response)
    assert [d.code for d in found] == ["E403"]  # b has no help item
    response["item"][-1]["linkId"] = "a-help"
    assert [d.code for d in refused(tree, tmp_path, response)] == ["E408"]
