"""The question tree as an R4 ``Questionnaire`` with SDC extensions (``hamstring export``).

Pure: the tree in, a plain ``dict`` out. ``docs/fhir.md`` describes the mapping.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from hamstring_cli.fhir import (
    ENABLE_WHEN_EXPRESSION,
    HELP_SUFFIX,
    ITEM_CONTROL,
    ITEM_CONTROL_SYSTEM,
    MAX_VALUE,
    MIN_VALUE,
    narrative,
    questionnaire_url,
    system,
    xhtml,
)
from hamstring_cli.fhir.enable import BUDGET, Term, choose, enable_when, fhirpath
from hamstring_cli.model import Question, Questionnaire
from hamstring_cli.question_types import CODING, kind

__all__ = ["computable_name", "questionnaire_json", "to_questionnaire"]


def computable_name(q: Questionnaire) -> str:
    """A ``name`` as FHIR wants it (``[A-Z][A-Za-z0-9_]{0,254}``), from the id."""
    words = re.split(r"[^A-Za-z0-9]+", q.id)
    name = "".join(w[:1].upper() + w[1:] for w in words if w)
    if not name or not name[0].isalpha():
        name = "Q" + name
    return name[:255]


def to_questionnaire(
    q: Questionnaire,
    *,
    date: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """The questionnaire as an R4 Questionnaire resource.

    Args:
        q: a questionnaire that passed its checks.
        date: the ``date`` element (default: today, in UTC).
        warn: told, in one line, of the questions whose enable condition is written without
            the branch conditions it depends on (see :func:`hamstring_cli.fhir.enable.conditions`).
    """
    if date is None:
        import datetime

        date = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    written, unguarded = choose(q)
    if unguarded and warn is not None:
        named = ", ".join(f"'{qid}'" for qid in unguarded[:3])
        more = f" and {len(unguarded) - 3} more" if len(unguarded) > 3 else ""
        warn(
            f"the enable conditions of {named}{more} would read more than {BUDGET} answers to "
            "repeat every branch condition they depend on, and are written without them: "
            "a renderer that reads the kept answers of hidden items (such as Smart Forms) may "
            "show those questions after an earlier answer changes"
        )
    description = "\n\n".join(part for part in (q.description, q.disclaimer) if part)
    return {
        "resourceType": "Questionnaire",
        "id": q.id,
        "text": narrative(
            f"<p><b>{xhtml(q.title)}</b> (version {xhtml(q.version)}): {len(q.questions)} "
            "questions, each asked when the answers before it lead to it.</p><ol>",
            *(f"<li>{xhtml(question.prompt)}</li>" for question in q.questions),
            "</ol>",
        ),
        "url": questionnaire_url(q),
        "version": q.version,
        "name": computable_name(q),
        "title": q.title,
        "status": "active",
        "subjectType": ["Patient"],
        "date": date,
        "description": description,
        "item": [_item(q, question, *written[question.id]) for question in q.questions],
    }


def _item(q: Questionnaire, question: Question, how: str, term: Term) -> dict[str, object]:
    # How the condition is written (enableWhen, an expression, or none): see enable.choose.
    item: dict[str, object] = {"linkId": question.id, "text": question.prompt}
    takes = kind(question.type)
    item["type"] = takes.fhir_type
    extensions: list[dict[str, object]] = []
    if how == "enableWhen":
        written = enable_when(q, term)
        assert written is not None
        entries, behavior = written
        item["enableWhen"] = entries
        if len(entries) > 1:
            item["enableBehavior"] = behavior
    elif how == "expression":
        expression = {"language": "text/fhirpath", "expression": fhirpath(term)}
        extensions.append({"url": ENABLE_WHEN_EXPRESSION, "valueExpression": expression})
    # A question of several answers (multi) may be left empty ("none of these"); every other
    # one needs an answer.
    item["required"] = not takes.many
    if takes.many:
        item["repeats"] = True
    if not takes.options:
        # The limits of a range, each held as the type holds an answer (valueInteger).
        limits = [(MIN_VALUE, question.minimum), (MAX_VALUE, question.maximum)]
        extensions += [
            {"url": url, takes.fhir_value: value} for url, value in limits if value is not None
        ]
    else:
        # Every option in sight (the lists are short): radio buttons, or check boxes for multi.
        control = "check-box" if takes.many else "radio-button"
        extensions.append(_item_control(control))
        item["answerOption"] = [
            {
                CODING: {
                    "system": system(q, question.id),
                    "code": option.value,
                    "display": option.label,
                }
            }
            for option in question.options
        ]
    if extensions:
        item["extension"] = extensions
    if question.help:
        item["item"] = [
            {
                "linkId": question.id + HELP_SUFFIX,
                "text": question.help,
                "type": "display",
                # Fly-over: CSIRO Smart Forms shows only this control as help text, and
                # LHC-Forms shows any display child with an item control as its help.
                "extension": [_item_control("flyover")],
            }
        ]
    return item


_CONTROL_DISPLAY = {"flyover": "Fly-over", "radio-button": "Radio Button", "check-box": "Check-box"}


def _item_control(code: str) -> dict[str, object]:
    coding = {"system": ITEM_CONTROL_SYSTEM, "code": code, "display": _CONTROL_DISPLAY[code]}
    return {"url": ITEM_CONTROL, "valueCodeableConcept": {"coding": [coding]}}


def questionnaire_json(q: Questionnaire, warn: Callable[[str], None] | None = None) -> str:
    """The Questionnaire as JSON: indented by 2, with a final newline."""
    return json.dumps(to_questionnaire(q, warn=warn), indent=2, ensure_ascii=False) + "\n"
