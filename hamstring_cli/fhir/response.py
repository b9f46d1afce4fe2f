"""A ``QuestionnaireResponse`` read as an answer file (``triage --answers response.json``).

Layer 2, pure. Ours or one a renderer exported (LHC-Forms leaves ``questionnaire`` unset, and
keeps answers of items that an ``enableWhenExpression`` hid): every answer is checked as an
answer file's would be, and kept with its place; answers the path does not reach are reported
as unused by the walk, exactly as for our own answer files. A multi question on the path with
no item in the response was left empty (``[]``).

Problems are collected and raised at once, each at its place (``file:line:column``) with the
JSON path in the message and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hamstring_cli.answers import AnswerSet
from hamstring_cli.errors import (
    AnswerError,
    Detail,
    Diagnostic,
    InvalidAnswer,
    diagnostic,
    did_you_mean,
)
from hamstring_cli.fhir import HELP_SUFFIX, canonical, questionnaire_url, system
from hamstring_cli.loader import DataPath, SourceMap
from hamstring_cli.model import Answer, Question, Questionnaire, describe_type


class FhirCode:
    """The diagnostics of reading a QuestionnaireResponse (codes E401 to E406)."""

    NOT_RESPONSE = Detail(
        "E401",
        "{json_path}: the resource is {actual}, not a QuestionnaireResponse; allowed: {allowed}",
    )
    OTHER_QUESTIONNAIRE = Detail(
        "E402",
        "{json_path}: the response answers '{named}', not this questionnaire; allowed: {allowed}",
    )
    UNKNOWN_LINK_ID = Detail(
        "E403",
        "{json_path}: unknown linkId '{link_id}'{hint}; the questionnaire's linkIds: {allowed}",
    )
    OTHER_SYSTEM = Detail(
        "E404",
        "{json_path}: the code '{code}' for '{question}' is from the system '{actual}'; "
        "allowed: {allowed}",
    )
    TOO_MANY_ANSWERS = Detail(
        "E405",
        "{json_path}: '{question}' takes one answer, and the response gives {count}{what}; "
        "allowed: one of {allowed}",
    )
    WRONG_SHAPE = Detail("E406", "{json_path}: {what} must be {expected}, not {actual}")


def json_path(path: DataPath, root: str = "QuestionnaireResponse") -> str:
    """A data path as FHIRPath-like text: ``QuestionnaireResponse.item[3].answer[0]``."""
    out = root
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def check_response(data: Any, source_map: SourceMap, q: Questionnaire) -> AnswerSet:
    """Read a QuestionnaireResponse's answers and check each against its question.

    Raises:
        AnswerError: every problem found: a resource of another type (``E401``), a response to
            another questionnaire (``E402``), an unknown linkId (``E403``), a code from another
            system (``E404``), several answers to a question that takes one or an item given
            twice (``E405``), an element of the wrong shape (``E406``), and the answer errors
            of answer files (``E202`` to ``E204``, ``E208``).
    """
    reader = _Reader(source_map, q)
    kind = data.get("resourceType")
    if kind != "QuestionnaireResponse":
        reader.root = kind if isinstance(kind, str) and kind.isalnum() else "Resource"
        reader.fail(
            FhirCode.NOT_RESPONSE,
            ("resourceType",),
            allowed=(
                "QuestionnaireResponse (take it out of the Bundle)"
                if kind == "Bundle"
                else "QuestionnaireResponse",
            ),
            actual=f"a {kind}" if isinstance(kind, str) else describe_type(kind),
        )
        raise AnswerError(reader.problems)
    named = data.get("questionnaire")
    if named is not None and named not in (canonical(q), questionnaire_url(q)):
        reader.fail(
            FhirCode.OTHER_QUESTIONNAIRE,
            ("questionnaire",),
            allowed=(canonical(q), questionnaire_url(q)),
            named=named,
        )
    reader.items(data, ())
    if reader.problems:
        raise AnswerError(reader.problems)
    answers = AnswerSet()
    for qid, (value, place) in reader.found.items():
        answers[qid] = value
        answers.places[qid] = place
    _fill_empty_multi(q, answers)
    return answers


def _fill_empty_multi(q: Questionnaire, answers: AnswerSet) -> None:
    # A multi question left empty has no item: on the path, it is answered with none.
    from hamstring_cli.engine import Session

    while True:
        _, pending = Session(q, answers).walk()
        if pending is None or pending.type != "multi" or pending.id in answers:
            return
        answers[pending.id] = ()


class _Reader:
    def __init__(self, source_map: SourceMap, q: Questionnaire) -> None:
        self.source_map = source_map
        self.q = q
        self.root = "QuestionnaireResponse"
        self.problems: list[Diagnostic] = []
        self.found: dict[str, tuple[Answer, Any]] = {}
        self.link_ids = [*q.by_id, *(question.id + HELP_SUFFIX for question in q.questions)]

    def fail(
        self,
        detail: Detail,
        path: DataPath,
        *,
        question: str | None = None,
        allowed: tuple[str, ...] | list[str] = (),
        **fields: object,
    ) -> None:
        self.problems.append(
            diagnostic(
                detail,
                self.source_map.value(path),
                question=question,
                allowed=tuple(allowed),
                json_path=json_path(path, self.root),
                **fields,
            )
        )

    def _list(self, data: Mapping[str, Any], key: str, path: DataPath) -> list[Any]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.fail(
                FhirCode.WRONG_SHAPE,
                (*path, key),
                what=f"'{key}'",
                expected="a list",
                actual=describe_type(value),
            )
            return []
        return value

    def items(self, data: Mapping[str, Any], path: DataPath) -> None:
        for index, item in enumerate(self._list(data, "item", path)):
            here = (*path, "item", index)
            if not isinstance(item, dict):
                self.fail(
                    FhirCode.WRONG_SHAPE,
                    here,
                    what="an item",
                    expected="a mapping",
                    actual=describe_type(item),
                )
                continue
            self.item(item, here)

    def item(self, item: Mapping[str, Any], path: DataPath) -> None:
        link_id = item.get("linkId")
        question = self.q.by_id.get(link_id) if isinstance(link_id, str) else None
        answers = self._list(item, "answer", path)
        if question is None:
            if link_id in self.link_ids and not answers:
                return  # a help text item, with nothing in it
            self.fail(
                FhirCode.UNKNOWN_LINK_ID,
                (*path, "linkId"),
                allowed=list(self.q.by_id),
                link_id=link_id,
                hint=did_you_mean(str(link_id), self.q.by_id),
            )
            return
        if question.id in self.found:
            self.fail(
                FhirCode.TOO_MANY_ANSWERS,
                (*path, "linkId"),
                question=question.id,
                allowed=question.allowed(),
                count="a second item",
                what=f" (first at line {self.found[question.id][1].line})",
            )
            return
        self.items(item, path)  # nested items (none in our Questionnaire) are read as well
        if not answers:
            return
        if question.type != "multi" and len(answers) > 1:
            self.fail(
                FhirCode.TOO_MANY_ANSWERS,
                (*path, "answer", 1),
                question=question.id,
                allowed=question.allowed(),
                count=f"{len(answers)} answers",
                what="",
            )
            return
        raw: list[object] = []
        for index, answer in enumerate(answers):
            value = self.value(question, answer, (*path, "answer", index))
            if value is None:
                return
            raw.append(value)
        try:
            checked = question.validate(raw if question.type == "multi" else raw[0])
        except InvalidAnswer as refused:
            invalid = refused.invalid
            here = (*path, "answer")
            bad = invalid.fields.get("value")
            for index, value in enumerate(raw):
                if value == bad and type(value) is type(bad):
                    key = "valueInteger" if question.type == "integer" else "valueCoding"
                    here = (*path, "answer", index, key)
                    here = (*here, "code") if key == "valueCoding" else here
                    break
            found = diagnostic(
                invalid.detail,
                self.source_map.value(here),
                question=question.id,
                allowed=invalid.allowed or question.allowed(),
                **{k: v for k, v in invalid.fields.items() if k not in ("question", "allowed")},
            )
            self.problems.append(found._replace(message=f"{json_path(here)}: {found.message}"))
            return
        self.found[question.id] = (checked, self.source_map.key((*path, "linkId")))

    def value(self, question: Question, answer: object, path: DataPath) -> object:
        """The raw value of one answer (a code or a number), or None after a problem."""
        want = "valueInteger" if question.type == "integer" else "valueCoding"
        if not isinstance(answer, dict):
            self.fail(
                FhirCode.WRONG_SHAPE,
                path,
                what="an answer",
                expected="a mapping",
                actual=describe_type(answer),
            )
            return None
        given = [key for key in answer if key.startswith("value")]
        if given != [want]:
            self.fail(
                FhirCode.WRONG_SHAPE,
                path,
                question=question.id,
                allowed=(want,),
                what=f"the answer to '{question.id}'",
                expected=f"one {want}",
                actual=", ".join(given) if given else "no value",
            )
            return None
        value = answer[want]
        if question.type == "integer":
            return value
        here = (*path, want)
        if not isinstance(value, dict) or not isinstance(value.get("code"), str):
            self.fail(
                FhirCode.WRONG_SHAPE,
                here,
                question=question.id,
                allowed=question.values,
                what=f"the answer to '{question.id}'",
                expected="a Coding with a code",
                actual=describe_type(value),
            )
            return None
        expected = system(self.q, question.id)
        found = value.get("system")
        if found is not None and found != expected:
            self.fail(
                FhirCode.OTHER_SYSTEM,
                (*here, "system"),
                question=question.id,
                allowed=(expected,),
                code=value["code"],
                actual=found,
            )
            return None
        return value["code"]
