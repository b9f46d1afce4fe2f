"""A result as an R4 ``Bundle`` (``triage --format fhir``; one a line for ``batch``).

Pure. The Bundle (``type: collection``) holds, linked by ``urn:uuid`` full URLs:

- an anonymous ``Patient`` (the subject the other resources require; no identifying data);
- the ``QuestionnaireResponse``: the answers on the path, in the Questionnaire's order;
- an ``Observation`` for the triage level (category ``survey``, ``derivedFrom`` the response,
  ``method`` the rule set and its version, the advice and red flags as notes);
- a ``RiskAssessment`` with one ``prediction`` per condition of the differential;
- a ``ServiceRequest`` (``intent: proposal``) per advised imaging study.

Built from the result's JSON (:meth:`hamstring_cli.scoring.Result.to_dict`) and the
questionnaire, so a batch record can be written the same way as a single report.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from hamstring_cli.errors import Diagnostic
from hamstring_cli.fhir import canonical, narrative, questionnaire_url, system, xhtml
from hamstring_cli.model import TIMEFRAME_WORDS, Answer, Questionnaire
from hamstring_cli.question_types import CODING, kind

__all__ = ["bundle_json", "ndjson_line", "to_bundle", "to_response"]

OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
SNOMED = "http://snomed.info/sct"
RISK_PROBABILITY = "http://terminology.hl7.org/CodeSystem/risk-probability"
#: Our triage levels as FHIR request priorities (routine < urgent < asap < stat).
PRIORITY = {"emergency": "stat", "urgent": "asap", "soon": "urgent", "routine": "routine"}


def now() -> str:
    """The current time in UTC, to the second, with its time zone (as FHIR wants it)."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def response_items(q: Questionnaire, answers: Mapping[str, Answer]) -> list[dict[str, object]]:
    """The answered questions as response items, in the Questionnaire's order.

    A multi question is one item with an answer per value chosen; left empty, it has none and
    is left out (an item must have an answer or items).
    """
    items: list[dict[str, object]] = []
    for question in q.questions:
        if question.id not in answers:
            continue
        answer = answers[question.id]
        key = kind(question.type).fhir_value
        values: list[dict[str, object]]
        if key != CODING:  # the answer itself (a valueInteger's number)
            values = [{key: answer}]
        else:
            chosen = answer if isinstance(answer, tuple) else (str(answer),)
            values = [{CODING: _coding(q, question.id, v)} for v in chosen]
        if values:
            items.append({"linkId": question.id, "text": question.prompt, "answer": values})
    return items


def _coding(q: Questionnaire, question_id: str, value: str) -> dict[str, object]:
    option = q.question(question_id).option(value)
    return {
        "system": system(q, question_id),
        "code": value,
        "display": option.label if option else value,
    }


def _answer_words(q: Questionnaire, item: Mapping[str, Any]) -> str:
    words = []
    for answer in item["answer"]:
        if CODING in answer:
            words.append(str(answer[CODING]["display"]))
        else:  # one value that is the answer itself (a valueInteger's number)
            words += [str(value) for key, value in answer.items() if key.startswith("value")]
    return "; ".join(words)


def to_response(
    q: Questionnaire,
    answers: Mapping[str, Answer],
    *,
    authored: str | None = None,
    subject: str | None = None,
    status: str = "completed",
) -> dict[str, object]:
    """The answers as a QuestionnaireResponse for ``q`` (``status``: completed, or the status
    of the response they were read from)."""
    items = response_items(q, answers)
    response: dict[str, object] = {
        "resourceType": "QuestionnaireResponse",
        "text": narrative(
            f"<p>Answers to {xhtml(q.title)} ({xhtml(q.id)} {xhtml(q.version)}), "
            f"{xhtml(status)}.</p>",
            "<ul>"
            + "".join(
                f"<li>{xhtml(str(item['text']))} <b>{xhtml(_answer_words(q, item))}</b></li>"
                for item in items
            )
            + "</ul>"
            if items
            else "<p>No question was answered.</p>",
        ),
        "questionnaire": canonical(q),
        "status": status,
    }
    if subject is not None:
        response["subject"] = {"reference": subject}
    response["authored"] = authored or now()
    response["item"] = items
    return response


def _answers(q: Questionnaire, raw: Mapping[str, object]) -> dict[str, Answer]:
    out: dict[str, Answer] = {}
    for qid, value in raw.items():
        if isinstance(value, list):
            out[qid] = tuple(str(v) for v in value)
        elif isinstance(value, int | str):
            out[qid] = value
    return out


def to_bundle(
    q: Questionnaire,
    result: Mapping[str, Any],
    *,
    when: str | None = None,
    status: str | None = None,
) -> dict[str, object]:
    """The result as a Bundle of type ``collection``.

    Args:
        q: the questionnaire the result was scored with.
        result: the result's JSON (:meth:`~hamstring_cli.scoring.Result.to_dict`).
        when: the time of the Bundle, the response and the Observation (default: now).
        status: the status of the QuestionnaireResponse the answers were read from, which
            the Bundle's response keeps (default: ``completed``).
    """
    when = when or now()
    urls = {name: f"urn:uuid:{uuid.uuid4()}" for name in ("patient", "response", "observation")}
    urls["risk"] = f"urn:uuid:{uuid.uuid4()}"
    subject = {"reference": urls["patient"]}
    response_ref = {"reference": urls["response"]}
    rules = {
        "coding": [
            {"system": questionnaire_url(q), "version": q.version, "code": q.id, "display": q.title}
        ],
        "text": f"{q.title} (rule set {q.id} {q.version})",
    }
    patient: dict[str, object] = {
        "resourceType": "Patient",
        "text": narrative("<p>An anonymous patient: no identifying data is recorded.</p>"),
        "active": True,
    }
    response = to_response(
        q,
        _answers(q, result["answers"]),
        authored=when,
        subject=urls["patient"],
        status=status or "completed",
    )
    triage = result["triage"]
    # The decision's own fields, as the reports draw them.
    decision = result.get("decision") or {}
    extra: list[str] = []
    if decision.get("otherwise"):
        extra.append(f"Otherwise most likely: {decision['leading_label']}")
    extra += [
        f"Withdrawn red flag ({gone['why']}): {gone['advice']}"
        for gone in decision.get("withdrawn", [])
    ]
    extra += [
        f"Safety net, {TIMEFRAME_WORDS.get(item['timeframe'], '')}: {item['text']}"
        if item.get("timeframe")
        else f"Safety net: {item['text']}"
        for item in decision.get("safety_net", [])
    ]
    notes = _notes(
        [
            (triage["advice"], triage["advice"]),
            (triage["condition_advice"], triage["condition_advice"]),
            *((flag["advice"], f"Red flag: {flag['advice']}") for flag in result["red_flags"]),
            *((text, text) for text in extra),
        ]
    )
    level_text = f"{triage['label']}: {TIMEFRAME_WORDS.get(triage['timeframe'], '')}"
    observation: dict[str, object] = {
        "resourceType": "Observation",
        "text": narrative(
            f"<p>Triage level: <b>{xhtml(level_text)}</b></p>",
            *(f"<p>{xhtml(text)}</p>" for text in notes),
        ),
        "status": "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}
        ],
        "code": {
            "coding": [
                {"system": system(q, "result"), "code": "triage-level", "display": "Triage level"}
            ],
            "text": "Triage level",
        },
        "subject": subject,
        "effectiveDateTime": when,
        "valueCodeableConcept": {
            "coding": [
                {
                    "system": system(q, "triage-level"),
                    "code": triage["level"],
                    "display": triage["label"],
                }
            ],
            "text": f"{triage['label']}: {TIMEFRAME_WORDS.get(triage['timeframe'], '')}",
        },
        "component": [
            {
                "code": {
                    "coding": [
                        {"system": system(q, "result"), "code": "timeframe", "display": "Timeframe"}
                    ],
                    "text": "Timeframe",
                },
                "valueString": triage["timeframe"],
            }
        ],
        "note": [{"text": text} for text in notes],
        "method": rules,
        "derivedFrom": [response_ref],
    }
    predictions = [
        _prediction(q, condition, result, rank)
        for rank, condition in enumerate(result["differential"])
    ]
    risk: dict[str, object] = {
        "resourceType": "RiskAssessment",
        "text": narrative(
            "<p>The differential, most likely first:</p><ol>",
            *(
                f"<li>{xhtml(condition['label'])}: {_risk(condition, result, rank)} likelihood</li>"
                for rank, condition in enumerate(result["differential"])
            ),
            f"</ol><p>{xhtml(result['disclaimer'])}</p>",
        ),
        "status": "final",
        "method": rules,
        "subject": subject,
        "occurrenceDateTime": when,
        "basis": [response_ref],
        "prediction": predictions,
        "note": [{"text": result["disclaimer"]}],
    }
    entries: list[tuple[str, dict[str, object]]] = [
        (urls["patient"], patient),
        (urls["response"], response),
        (urls["observation"], observation),
        (urls["risk"], risk),
    ]
    for study in result["imaging"].get("studies", []):
        entries.append((f"urn:uuid:{uuid.uuid4()}", _service_request(q, study, subject, urls)))
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": when,
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries],
    }


def _notes(texts: Sequence[tuple[str, str]]) -> list[str]:
    """The notes to write, each ``(its words, the note)``: those that are not empty and whose
    words no earlier note holds already (the triage advice quotes the advice that decided it)."""
    out: list[str] = []
    for words, note in texts:
        if words and not any(words in earlier for earlier in out):
            out.append(note)
    return out


def _risk(condition: Mapping[str, Any], result: Mapping[str, Any], rank: int) -> str:
    # The leading condition carries the result's confidence; the others are ranked below it:
    # low while their score is positive, negligible otherwise.
    if rank == 0:
        return str(result["confidence"])
    return "low" if condition["score"] > 0 else "negligible"


def _prediction(
    q: Questionnaire, condition: Mapping[str, Any], result: Mapping[str, Any], rank: int
) -> dict[str, object]:
    risk = _risk(condition, result, rank)
    parts = []
    if condition["for"]:
        parts.append("For: " + "; ".join(condition["for"]))
    if condition["against"]:
        parts.append("Against: " + "; ".join(condition["against"]))
    prediction: dict[str, object] = {
        "outcome": {
            "coding": [
                {
                    "system": system(q, "condition"),
                    "code": condition["id"],
                    "display": condition["label"],
                }
            ],
            "text": condition["label"],
        },
        "qualitativeRisk": {
            "coding": [
                {
                    "system": RISK_PROBABILITY,
                    "code": risk,
                    "display": f"{risk.capitalize()} likelihood",
                }
            ]
        },
    }
    if parts:
        prediction["rationale"] = ". ".join(parts)
    return prediction


def _service_request(
    q: Questionnaire, study: Mapping[str, Any], subject: dict[str, str], urls: Mapping[str, str]
) -> dict[str, object]:
    reference = next((r for r in q.references if r.id == study["source"]), None)
    timeframe = study.get("timeframe")
    notes = [f"Urgency: {study['urgency']}" + (f", {timeframe}." if timeframe else ".")]
    if reference is not None:
        notes.append(f"Source: {reference.citation}")
    name = f"{study['modality']} of the {study['site']}" if study.get("site") else study["modality"]
    return {
        "resourceType": "ServiceRequest",
        "text": narrative(
            f"<p>Proposed imaging: <b>{xhtml(name)}</b>, urgency {xhtml(study['urgency'])}"
            f"{xhtml(', ' + timeframe) if timeframe else ''}.</p><p>{xhtml(study['reason'])}</p>"
        ),
        "status": "draft",
        "intent": "proposal",
        "category": [
            {
                "coding": [{"system": SNOMED, "code": "363679005", "display": "Imaging"}],
                "text": "Imaging",
            }
        ],
        "priority": PRIORITY.get(study["urgency"], "routine"),
        "code": {
            "coding": [
                {
                    "system": system(q, "imaging"),
                    "code": study["modality"],
                    "display": study["modality"],
                }
            ],
            "text": name,
        },
        "subject": subject,
        # Where to image: the study's site, as its words (one study a site).
        **({"bodySite": [{"text": study["site"]}]} if study.get("site") else {}),
        "reasonCode": [{"text": study["reason"]}],
        "supportingInfo": [{"reference": urls["observation"]}, {"reference": urls["response"]}],
        "note": [{"text": text} for text in notes],
    }


def bundle_json(q: Questionnaire, result: Mapping[str, Any], status: str | None = None) -> str:
    """The Bundle as the JSON a report prints: indented by 2, with a final newline."""
    return json.dumps(to_bundle(q, result, status=status), indent=2, ensure_ascii=False) + "\n"


def ndjson_line(
    q: Questionnaire,
    source: str,
    result: Mapping[str, Any] | None,
    errors: Sequence[Diagnostic] = (),
    *,
    status: str | None = None,
) -> str:
    """One batch record as one line of NDJSON: a Bundle, or an ``OperationOutcome`` for an input
    that gave no result (its problems as issues, the input named in each diagnostic)."""
    resource: dict[str, object]
    if result is not None:
        resource = to_bundle(q, result, status=status)
    else:
        resource = {
            "resourceType": "OperationOutcome",
            "text": narrative(
                f"<p>{xhtml(source)}: no result.</p><ul>",
                *(f"<li>{xhtml(f'{found.code} {found.message}')}</li>" for found in errors),
                "</ul>",
            ),
            "issue": [
                {
                    "severity": "error",
                    "code": "invalid",
                    "diagnostics": f"{source}: {found.code} {found.message}",
                    "location": [str(found.place)] if found.place else [],
                }
                for found in errors
            ],
        }
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n"
