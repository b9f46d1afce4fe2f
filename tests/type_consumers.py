"""A question type through every consumer: what tests/test_type_table.py drives for each type.

:func:`probe_questionnaire` writes a small questionnaire around one question of a type (its
options or its range, a route and an evidence note that read it, as the table's flags allow),
and :func:`run_every_consumer` runs it through the command line and the modules that read a
questionnaire: load, check, triage (json, text, markdown; typer and the fast lane), graph, the
clinical document, paths, FHIR export and reading a FHIR QuestionnaireResponse back. Nothing
here names a type: a type added to the table alone (the test adds one in a fresh interpreter)
goes through the same steps as the bundled ones.
"""

from __future__ import annotations

import contextlib
import io
import json
import textwrap
from pathlib import Path
from typing import Any

from helpers import questionnaire_text
from typer.testing import CliRunner

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.cli import app
from hamstring_cli.clinical_doc import render_clinical_logic
from hamstring_cli.engine import Session
from hamstring_cli.fast import run_fast
from hamstring_cli.fhir.bundle import to_response
from hamstring_cli.paths import iter_paths
from hamstring_cli.question_types import answer_json, kind

NOTE = "The probe answer held."
#: The question a probe's route leads to, as an item of ``questions:``.
EXTRA = """\
  - id: extra
    type: choice
    prompt: Was there a pop?
    options:
      - {value: "yes", label: "Yes"}
      - {value: "no", label: "No"}
"""
PROBE_PROMPT = "What does the probe say?"


def probe_questionnaire(qtype: str) -> tuple[str, dict[str, object]]:
    """A questionnaire whose first question is of ``qtype``, and answers that take its route.

    The route (and the note) hold for the answers given; another answer of the probe ends the
    path at once.
    """
    takes = kind(qtype)
    if takes.options:
        shape = [
            "    options:",
            "      - {value: high, label: The high one}",
            "      - {value: low, label: The low one}",
        ]
        if takes.many:
            when, raw = "{question: probe, contains: high}", ["high"]
        else:
            when, raw = "{question: probe, equals: high}", "high"
    else:
        shape = ["    min: 0", "    max: 20", "    unit: points"]
        when, raw = "{question: probe, gte: 7}", 9
    probe = [
        "  - id: probe",
        f"    type: {qtype}",
        f"    prompt: {PROBE_PROMPT}",
        *shape,
        "    routes:",
        f"      - {{when: {when}, next: extra}}",
        "    next: end",
    ]
    body = "\n".join(["questions:", *probe, EXTRA]) + textwrap.dedent(
        f"""\
        outcomes:
          conditions:
            - id: c1
              label: Condition one
              triage:
                - {{level: routine, advice: Usual care., source: R1}}
          scores:
            - {{condition: c1, when: {when}, weight: 2, reason: the probe answer, source: R1}}
          notes:
            - {{text: {NOTE}, source: R1, when: {when}}}
        """
    )
    text = questionnaire_text(body)
    return text, {"probe": raw, "extra": "yes"}


def _cli(*args: str) -> str:
    done = CliRunner().invoke(app, list(args))
    assert done.exit_code == 0, (args, done.output)
    return done.stdout


def _fast(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = run_fast(list(args))
    assert status == 0, args
    return out.getvalue()


def run_every_consumer(qtype: str, folder: Path) -> None:
    """Run a probe questionnaire of ``qtype`` through every consumer; fail on the first fault."""
    text, raw = probe_questionnaire(qtype)
    path = folder / "probe.yaml"
    path.write_text(text, encoding="utf-8")
    answers_file = folder / "answers.json"
    answers_file.write_text(json.dumps(raw), encoding="utf-8")
    where = str(path)

    # Load and check.
    q = load_questionnaire(path)
    probe = q.question("probe")
    answer = probe.validate(raw["probe"])
    words = probe.words(answer)
    assert probe.type == qtype
    assert _cli("check", where) is not None

    # Triage: the answer survives, the route and the note read it, every report shows it.
    result = json.loads(_cli("triage", "-q", where, "-a", str(answers_file), "-f", "json"))
    assert result["answers"] == {"probe": answer_json(answer), "extra": "yes"}
    assert NOTE in json.dumps(result["notes"])
    fast = json.loads(_fast("triage", "-q", where, "-a", str(answers_file), "-f", "json"))
    assert (fast["answers"], fast["notes"]) == (result["answers"], result["notes"])
    markdown = _cli("triage", "-q", where, "-a", str(answers_file), "-f", "markdown")
    assert words in markdown and NOTE in markdown
    assert _cli("triage", "-q", where, "-a", str(answers_file), "-f", "text").strip()

    # The graph and the clinical document name the question and its route.
    for fmt in ("mermaid", "dot"):
        drawn = _cli("graph", "-q", where, "-f", fmt)
        assert "probe" in drawn and "extra" in drawn
    document = render_clinical_logic(q)
    assert kind(qtype).doc in document and PROBE_PROMPT in document

    # Paths: the route is taken on some paths and not on others, with valid answers.
    walked = list(iter_paths(q))
    assert {("extra" in walk.path) for walk in walked} == {True, False}
    for walk in walked:
        assert probe.validate(answer_json(walk.answers["probe"])) == walk.answers["probe"]

    # FHIR: the item's type and answer key are the table's; a response reads back the same.
    exported: dict[str, Any] = json.loads(_cli("export", "-f", "fhir", "-q", where))
    item = exported["item"][0]
    assert item["linkId"] == "probe" and item["type"] == kind(qtype).fhir_type
    assert item["required"] is not kind(qtype).many
    extra = exported["item"][1]
    assert "enableWhen" in extra or "extension" in extra
    on_path = Session(q, {"probe": answer, "extra": "yes"}).path_answers
    response = to_response(q, on_path, authored="2026-01-01T00:00:00+00:00")
    given = response["item"]
    assert isinstance(given, list)
    assert all(kind(qtype).fhir_value in value for value in given[0]["answer"])
    response_file = folder / "response.json"
    response_file.write_text(json.dumps(response), encoding="utf-8")
    read_back = json.loads(_cli("triage", "-q", where, "-a", str(response_file), "-f", "json"))
    assert read_back["answers"] == result["answers"]
