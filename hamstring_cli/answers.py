"""Answer files: read a YAML or JSON mapping of question id to answer, and check every answer.

The file is read by :func:`hamstring_cli.safe_yaml.read_data`: fast (PyYAML's C
parser, or ``json`` for a ``.json`` file), with its places found only when a message needs one,
by reading it again with the located reader (:func:`~hamstring_cli.safe_yaml.read_document`),
so answers get the same safety and the same ``file:line:column`` places as questionnaires.
Every answer is validated by its question; every problem is collected and raised once as an
:class:`~hamstring_cli.errors.AnswerError`. A saved result (it has ``schema_version`` and
``answers``) is an answer file too, so a run can be replayed.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterable, Mapping, Sequence

from hamstring_cli.answer_set import AnswerSet
from hamstring_cli.errors import (
    AnswerError,
    Code,
    Detail,
    Diagnostic,
    InvalidAnswer,
    Place,
    diagnostic,
    did_you_mean,
)
from hamstring_cli.files import ANSWERS_LIMIT, read_capped, read_input_file
from hamstring_cli.model import Questionnaire, describe_type
from hamstring_cli.question_types import kind
from hamstring_cli.sourcemap import DataPath, SourceMap

__all__ = [
    "STDIN",
    "STDIN_NAME",
    "check_answers",
    "missing_answer",
    "read_answer_document",
    "read_answers",
    "unused_warnings",
]

#: The answer-file name that reads standard input.
STDIN = "-"
#: How places name standard input.
STDIN_NAME = "<stdin>"
#: What an answer file is called in messages.
ANSWER_FILE = "an answer file"


def read_answers(source: str | os.PathLike[str], questionnaire: Questionnaire) -> AnswerSet:
    """Read an answer file (``-`` for standard input) and check it against the questionnaire.

    YAML or JSON; a saved result is read through its ``answers`` key. Integers may be given as
    text (``"34"``). Answers to questions that the path never reaches are kept: whether the
    path reaches them is known only once the tree is walked.

    Args:
        source: a file path, or ``-`` to read standard input (which must not be a terminal).
        questionnaire: what the answers are checked against.

    Returns:
        The validated answers in file order, with their places.

    Raises:
        AnswerError: every problem found, each with ``file:line:column``: unknown ids
            (``E201``), values not allowed (``E202``), wrong types (``E203``), numbers out of
            range (``E204``), a document that is not a mapping (``E205``), and the reading
            errors of :func:`hamstring_cli.safe_yaml.read_document` (missing, empty, binary,
            YAML syntax, duplicate keys, unsafe tags).
    """
    if os.fspath(source) == STDIN:
        from hamstring_cli.safe_yaml import read_data

        # No name to go by: JSON when it reads as JSON, else YAML.
        data, source_map = read_data(_read_stdin(), STDIN_NAME, error=AnswerError)
    else:
        data, source_map = read_answer_document(source)
    return check_answers(data, source_map, questionnaire)


def read_answer_document(path: str | os.PathLike[str]) -> tuple[object, SourceMap]:
    """Read an answer file's document: a regular file of at most 10 MB (see ``files``).

    JSON when its name ends in ``.json`` (in any case), else YAML; its source map is made only
    when a place is asked of it (:func:`hamstring_cli.safe_yaml.read_data`).
    """
    # PyYAML only now: an intake with no answer file to read reaches its first prompt sooner.
    from hamstring_cli.safe_yaml import read_data

    name = os.fspath(path)
    raw = read_input_file(path, limit=ANSWERS_LIMIT, what=ANSWER_FILE, error=AnswerError, name=name)
    return read_data(raw, name, error=AnswerError, json=name.lower().endswith(".json"))


def _read_stdin() -> bytes:
    stream = sys.stdin
    if stream is None:
        raise AnswerError(
            [
                diagnostic(
                    Code.FILE_UNREADABLE, Place(STDIN_NAME), detail="there is no standard input"
                )
            ]
        )
    if stream.isatty():
        # Reading would wait for typing that a script never sends: refuse rather than hang.
        raise AnswerError(
            [
                diagnostic(
                    Code.FILE_UNREADABLE,
                    Place(STDIN_NAME),
                    detail="standard input is a terminal; pipe the answers in, or name a file",
                )
            ]
        )
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        # Capped like a file: '< /dev/zero' is refused once it passes the limit.
        return read_capped(
            buffer, ANSWERS_LIMIT, what=ANSWER_FILE, error=AnswerError, name=STDIN_NAME
        )
    data = stream.read(ANSWERS_LIMIT + 1).encode("utf-8")
    return read_capped(
        io.BytesIO(data), ANSWERS_LIMIT, what=ANSWER_FILE, error=AnswerError, name=STDIN_NAME
    )


def is_saved_result(data: object) -> bool:
    """Whether the data is a saved result (its answers are under ``answers``)."""
    return isinstance(data, dict) and "schema_version" in data and "answers" in data


def check_answers(data: object, source_map: SourceMap, questionnaire: Questionnaire) -> AnswerSet:
    """Validate answer data read by the loader, with places from its source map.

    Args:
        data: the document's data (a mapping, or a saved result).
        source_map: where each key and value of ``data`` stands.
        questionnaire: what the answers are checked against.

    Returns:
        The validated answers with their places.

    Raises:
        AnswerError: every problem found (see :func:`read_answers`).
    """
    if isinstance(data, dict) and "resourceType" in data:
        # A FHIR QuestionnaireResponse (ours, or a forms renderer's): read in its own module.
        from hamstring_cli.fhir.response import check_response

        return check_response(data, source_map, questionnaire)
    base: DataPath = ()
    if is_saved_result(data):
        assert isinstance(data, dict)
        data, base = data["answers"], ("answers",)
    if not isinstance(data, dict):
        raise AnswerError(
            [
                diagnostic(
                    Code.ANSWERS_NOT_MAPPING, source_map.value(base), actual=describe_type(data)
                )
            ]
        )
    problems: list[Diagnostic] = []
    answers = AnswerSet()
    keys: dict[str, DataPath] = {}
    ids = list(questionnaire.by_id)
    for key, raw in data.items():
        path = (*base, key)
        question = questionnaire.by_id.get(key) if isinstance(key, str) else None
        if question is None:
            problems.append(
                _problem(
                    Code.UNKNOWN_ANSWER_ID,
                    source_map.key(path),
                    str(key),
                    ids,
                    {"key": key, "hint": _unknown_key_hint(str(key), questionnaire, ids)},
                )
            )
            continue
        try:
            answers[question.id] = question.validate(raw)
        except InvalidAnswer as refused:
            invalid = refused.invalid
            problems.append(
                _problem(
                    invalid.detail,
                    _value_place(raw, invalid.fields.get("value"), path, source_map),
                    question.id,
                    invalid.allowed or question.allowed(),
                    invalid.fields,
                )
            )
            continue
        keys[question.id] = path
    if problems:
        raise AnswerError(problems)
    if keys:
        answers.locate_later(lambda: {qid: source_map.key(path) for qid, path in keys.items()})
    return answers


def _unknown_key_hint(key: str, questionnaire: Questionnaire, ids: Sequence[str]) -> str:
    """Did you mean another id, or an option ticked in a list ('red_flags: [saddle_or_bladder]')?"""
    hint = did_you_mean(key, ids)
    if hint:
        return hint
    for question in questionnaire.questions:
        if kind(question.type).many:
            close = did_you_mean(key, question.values)
            if close:
                value = close.split("'")[1]
                return f" (did you mean '{question.id}: [{value}]'?)"
    return ""


def _value_place(raw: object, bad: object, path: DataPath, source_map: SourceMap) -> Place:
    # In a list, point at the item that was refused rather than at the list.
    if isinstance(raw, list) and bad is not None:
        for index, item in enumerate(raw):
            if item == bad and type(item) is type(bad):
                return source_map.value((*path, index))
    return source_map.value(path)


def _problem(
    detail: Detail,
    place: Place | None,
    question: str,
    allowed: Sequence[str],
    fields: Mapping[str, object],
) -> Diagnostic:
    # A refusal's fields name the question and what is allowed too; diagnostic() takes both
    # once, as keywords, and fills the template's fields from them.
    rest = {name: value for name, value in fields.items() if name not in ("question", "allowed")}
    return diagnostic(detail, place, question=question, allowed=allowed, **rest)


def unused_warnings(answers: Mapping[str, object], unused: Iterable[str]) -> list[Diagnostic]:
    """``W206`` warnings for answers the path never reached, at the places they were given."""
    unused = list(unused)
    if not unused:
        return []  # the places are not looked up: the answer file is not read again
    places = answers.places if isinstance(answers, AnswerSet) else {}
    return [_problem(Code.ANSWER_UNUSED, places.get(qid), qid, (), {}) for qid in unused]


def missing_answer(questionnaire: Questionnaire, question_id: str) -> Diagnostic:
    """The ``E207`` error for the first question on the path that has no answer."""
    question = questionnaire.question(question_id)
    return _problem(
        Code.ANSWER_MISSING, None, question.id, question.allowed(), {"prompt": question.prompt}
    )
