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
    Place,
    diagnostic,
    did_you_mean,
)
from hamstring_cli.fhir import HELP_SUFFIX, canonical, questionnaire_url, system
from hamstring_cli.model import Answer, Question, Questionnaire, describe_type
from hamstring_cli.sourcemap import DataPath, SourceMap


class FhirCode:
    """The diagnostics of reading a QuestionnaireResponse (codes E401 to E411)."""

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
    NO_LINK_ID = Detail(
        "E407", "{json_path}: the item has no linkId; the questionnaire's linkIds: {allowed}"
    )
    TAKES_NO_ANSWER = Detail(
        "E408",
        "{json_path}: '{link_id}' is the help text of '{owner}', a display item: it takes no "
        "answer; give the answer on the item '{owner}'",
    )
    NESTED_QUESTION = Detail(
        "E409",
        "{json_path}: the item '{link_id}' is nested in '{parent}'; the questionnaire asks it "
        "at the top level, so its item belongs in QuestionnaireResponse.item",
    )
    ANSWER_AND_ITEMS = Detail(
        "E410",
        "{json_path}: the item '{link_id}' has answers and child items as well (FHIR rule "
        "qrs-1): an item holds one or the other",
    )
    BAD_STATUS = Detail("E411", "{json_path}: {what}; allowed: {allowed}")


#: The statuses of a response that is read: R4's QuestionnaireResponseStatus without
#: ``entered-in-error`` (a response recorded in error is not to be used).
STATUSES = ("completed", "amended", "in-progress", "stopped")
_MISSING = object()


def json_path(path: DataPath, root: str = "QuestionnaireResponse") -> str:
    """A data path as FHIRPath-like text: ``QuestionnaireResponse.item[3].answer[0]``."""
    out = root
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def check_response(data: Any, source_map: SourceMap, q: Questionnaire) -> AnswerSet:
    """Read a QuestionnaireResponse's answers and check each against its question.

    Every answer is read where the Questionnaire puts its item (the top level), or the
    response is refused at the answer's place: nothing in it is ever passed over.

    Returns:
        The answers, with their places and the response's ``status``.

    Raises:
        AnswerError: every problem found: a resource of another type (``E401``), a response to
            another questionnaire (``E402``), an unknown linkId (``E403``), a code from another
            system (``E404``), several answers to a question that takes one or an item given
            twice (``E405``), an element of the wrong shape, a key that is not text among them
            (``E406``), an item without a linkId (``E407``), an answer on a help text item
            (``E408``), a question's item nested in another item (``E409``), an item with both
            answers and child items (``E410``), a status that is missing, not a status, or
            ``entered-in-error`` (``E411``), and the answer errors of answer files (``E202``
            to ``E204``, ``E208``).
    """
    reader = _Reader(source_map, q)
    reader.keys(data)
    if reader.problems:  # a key that is not text (YAML allows 1:, true:, null:): stop here
        raise AnswerError(reader.problems)
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
    status = reader.status(data)
    reader.items(data, (), None)
    if reader.problems:
        raise AnswerError(reader.problems)
    answers = AnswerSet()
    for qid, (value, place) in reader.found.items():
        answers[qid] = value
        answers.places[qid] = place
    answers.status = status
    _fill_empty_multi(q, answers)
    return answers


def _fill_empty_multi(q: Questionnaire, answers: AnswerSet) -> None:
    # A multi question left empty has no item: on the path, it is answered with none. One
    # session, extended by each answer, so a long tree is walked once.
    from hamstring_cli.engine import Session

    session = Session(q, answers)
    while True:
        _, pending = session.walk()
        if pending is None or pending.type != "multi" or pending.id in answers:
            return
        answers[pending.id] = session.answer(())


class _Reader:
    def __init__(self, source_map: SourceMap, q: Questionnaire) -> None:
        self.source_map = source_map
        self.q = q
        self.root = "QuestionnaireResponse"
        self.problems: list[Diagnostic] = []
        self.found: dict[str, tuple[Answer, Any]] = {}
        #: The display items that hold help text, by linkId: the question each belongs to.
        self.help_of = {
            question.id + HELP_SUFFIX: question.id for question in q.questions if question.help
        }

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

    def keys(self, data: object) -> None:
        """Refuse every mapping key that is not text (JSON has none; YAML reads ``1:``)."""
        stack: list[tuple[object, DataPath]] = [(data, ())]
        while stack:
            value, path = stack.pop()
            if isinstance(value, dict):
                for key, inner in value.items():
                    if not isinstance(key, str):
                        self.problems.append(
                            diagnostic(
                                FhirCode.WRONG_SHAPE,
                                self.source_map.key((*path, key)),
                                json_path=json_path(path, self.root),
                                what="a key",
                                expected="text (a name in quotes)",
                                actual=describe_type(key),
                            )
                        )
                    else:
                        stack.append((inner, (*path, key)))
            elif isinstance(value, list):
                stack.extend((inner, (*path, n)) for n, inner in enumerate(value))
        self.problems.sort(key=lambda found: (found.place or Place("")).line or 0)

    def status(self, data: Mapping[str, Any]) -> str:
        """The response's status: one of :data:`STATUSES` (else a problem, and "")."""
        status = data.get("status", _MISSING)
        if isinstance(status, str) and status in STATUSES:
            return status
        if status is _MISSING:
            what = "the response has no status"
        elif status == "entered-in-error":
            what = "the response is marked 'entered-in-error' (recorded in error): it is not read"
        else:
            hint = did_you_mean(status, STATUSES) if isinstance(status, str) else ""
            what = f"the status {describe_type(status)} is not a response status{hint}"
        self.fail(FhirCode.BAD_STATUS, ("status",), allowed=STATUSES, what=what)
        return ""

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

    def items(self, data: Mapping[str, Any], path: DataPath, parent: str | None) -> None:
        """Read the items under ``data`` and every item within them, in document order.

        ``parent`` is the linkId of the item they are in (None at the top level). A stack, not
        recursion: however deep a file nests items, reading it cannot overflow.
        """
        stack = self._children(data, path, parent)[::-1]
        while stack:
            item, here, within = stack.pop()
            if not isinstance(item, dict):
                self.fail(
                    FhirCode.WRONG_SHAPE,
                    here,
                    what="an item",
                    expected="a mapping",
                    actual=describe_type(item),
                )
                continue
            answers = self._list(item, "answer", here)
            self.item(item, answers, here, within)
            # The items within it: in its own ``item``, and in each answer's ``item``.
            link_id = item.get("linkId")
            name = link_id if isinstance(link_id, str) else json_path(here)
            if answers and item.get("item"):
                self.fail(FhirCode.ANSWER_AND_ITEMS, (*here, "item"), link_id=name)
            inner = self._children(item, here, name)
            for index, answer in enumerate(answers):
                if isinstance(answer, dict):
                    inner += self._children(answer, (*here, "answer", index), name)
            stack += inner[::-1]  # popped in document order

    def _children(
        self, data: Mapping[str, Any], path: DataPath, parent: str | None
    ) -> list[tuple[Any, DataPath, str | None]]:
        listed = self._list(data, "item", path)
        return [(item, (*path, "item", index), parent) for index, item in enumerate(listed)]

    def item(
        self, item: Mapping[str, Any], answers: list[Any], path: DataPath, parent: str | None
    ) -> None:
        link_id = item.get("linkId", _MISSING)
        if link_id is _MISSING or link_id is None:
            self.fail(FhirCode.NO_LINK_ID, path, allowed=list(self.q.by_id))
            return
        if not isinstance(link_id, str):
            self.fail(
                FhirCode.WRONG_SHAPE,
                (*path, "linkId"),
                what="a linkId",
                expected="text",
                actual=describe_type(link_id),
            )
            return
        owner = self.help_of.get(link_id)
        if owner is not None:
            # A help text: a display item, shown and never answered (it may stand anywhere
            # empty: it holds nothing to read).
            if answers:
                self.fail(
                    FhirCode.TAKES_NO_ANSWER,
                    (*path, "answer"),
                    question=owner,
                    link_id=link_id,
                    owner=owner,
                )
            return
        question = self.q.by_id.get(link_id)
        if question is None:
            self.fail(
                FhirCode.UNKNOWN_LINK_ID,
                (*path, "linkId"),
                allowed=list(self.q.by_id),
                link_id=link_id,
                hint=did_you_mean(link_id, self.q.by_id),
            )
            return
        if parent is not None:
            self.fail(
                FhirCode.NESTED_QUESTION,
                (*path, "linkId"),
                question=question.id,
                link_id=link_id,
                parent=parent,
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
        given = [key for key in answer if isinstance(key, str) and key.startswith("value")]
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
