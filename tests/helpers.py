"""Shared test helpers: small valid questionnaires written inline, diagnostics by code, and the
command run in process."""

from __future__ import annotations

import gc
import io
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pytest

from hamstring_cli.errors import Diagnostic, QuestionnaireError
from hamstring_cli.loader import load_report
from hamstring_cli.model import Answer, Questionnaire
from hamstring_cli.paths import candidates, iter_paths

#: The keys every JSON result holds, whatever the answers (the result contract).
CONTRACT_KEYS = {
    "schema_version",
    "questionnaire",
    "answers",
    "leading",
    "confidence",
    "differential",
    "triage",
    "imaging",
    "red_flags",
    "disclaimer",
}


def sweep(params: Iterable[object], keep: int = 4) -> list[object]:
    """Parameters of a test run over every case: all in the full run, a spread in the quick one.

    An even spread of about ``keep`` of them stay in the everyday loop (``pytest -m "not
    slow"``); the rest are marked ``slow``, so plain ``pytest`` (and CI) still runs each one.
    """
    items = [p if isinstance(p, type(pytest.param())) else pytest.param(p) for p in params]
    step = max(1, len(items) // keep)
    return [
        p if i % step == 0 else pytest.param(*p.values, id=p.id, marks=[*p.marks, pytest.mark.slow])
        for i, p in enumerate(items)
    ]


REPO = Path(__file__).resolve().parent.parent
BUNDLED = REPO / "questionnaires" / "proximal_hamstring.yaml"

# The outcomes a questionnaire needs to load, for tests about questions.
_DEFAULT_OUTCOMES = """\
outcomes:
  conditions:
    - id: c1
      label: Condition one
      triage:
        - level: routine
          advice: Usual care.
          source: R1
"""

_LEVELS = """\
  levels:
    emergency: {label: Emergency, timeframe: now, advice: Go now.}
    urgent: {label: Urgent, timeframe: within days, advice: Within days.}
    soon: {label: Soon, timeframe: within two weeks, advice: Soon.}
    routine: {label: Routine, timeframe: no time pressure, advice: Usual care.}
"""

_HEADER = """\
format: 1
id: test
version: 1.0.0
title: A test questionnaire
disclaimer: Not advice.
references:
  - {id: R1, citation: Source one.}
  - {id: R2, citation: Source two.}
"""


def questionnaire_text(body: str, *, header: bool = True) -> str:
    """A whole questionnaire whose first lines are ``body`` (dedented), so its line numbers hold.

    ``body`` holds ``questions:`` and, optionally, ``outcomes:`` as its last top-level key (block
    style, two-space indent): the four levels are appended to it. Without ``outcomes:`` a
    default one with the condition ``c1`` is appended. The metadata (and references ``R1``,
    ``R2``) come last, unless ``header`` is false.
    """
    text = textwrap.dedent(body).strip("\n") + "\n"
    if "\noutcomes:" not in "\n" + text:
        text += _DEFAULT_OUTCOMES
    text += _LEVELS
    if header:
        text += _HEADER
    return text


def chain_questions(length: int, *, ladder: bool = False) -> str:
    """The ``questions:`` block of a chain of ``length`` yes-or-no questions ``q0``, ``q1``...;
    as a ``ladder``, each 'no' ends the intake."""
    end = ", next: end" if ladder else ""
    return "questions:\n" + "".join(
        f"  - {{id: q{i}, type: choice, prompt: Question {i}?, "
        f"options: [{{value: y, label: 'Yes'}}, {{value: n, label: 'No'{end}}}]}}\n"
        for i in range(length)
    )


def write(tmp_path: Path, text: str, name: str = "q.yaml") -> Path:
    """Write ``text`` (dedented) to a file in ``tmp_path`` and return its path."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def mini_intake_path(tmp_path: Path) -> Path:
    """:data:`MINI_INTAKE` written to ``mini.yaml`` in ``tmp_path``."""
    return write(tmp_path, MINI_INTAKE, "mini.yaml")


@dataclass
class Run:
    """What one in-process run of the ``hamstring`` command did: the exit status as
    ``SystemExit`` carried it (None when the entry point returned), its output and its errors."""

    status: object
    out: bytes
    err: str


def text_stream(data: bytes = b"", encoding: str = "utf-8") -> io.TextIOWrapper:
    """A text stream over bytes in memory, written through (its bytes are ``.buffer``)."""
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, write_through=True)


def run_main(args: Iterable[object], stdin: TextIO, out: TextIO, err: TextIO) -> object:
    """The command's entry point run in process on these streams, as the ``hamstring`` command
    runs it; returns the exit status as ``SystemExit`` carries it (None: it returned)."""
    from hamstring_cli.__main__ import main

    saved = sys.argv, sys.stdin, sys.stdout, sys.stderr
    sys.argv = ["hamstring", *map(str, args)]
    sys.stdin, sys.stdout, sys.stderr = stdin, out, err
    try:
        main()
    except SystemExit as stop:
        return stop.code
    finally:
        sys.argv, sys.stdin, sys.stdout, sys.stderr = saved
        # The command turns the collector off while it starts (and a long run freezes what
        # its start-up made): a process of its own ends there; this one goes on.
        gc.unfreeze()
        gc.enable()
    return None


def in_process(
    *args: object, stdin: bytes = b"", encoding: str = "utf-8", errors: str = "strict"
) -> Run:
    """Run the command in process: standard input ``stdin``, standard output in ``encoding``,
    standard error read back as UTF-8 (``errors`` says what to do with bytes that are not)."""
    out, err = text_stream(encoding=encoding), text_stream()
    status = run_main(args, text_stream(stdin), out, err)
    out.flush()
    err.flush()
    assert isinstance(out.buffer, io.BytesIO) and isinstance(err.buffer, io.BytesIO)
    return Run(status, out.buffer.getvalue(), err.buffer.getvalue().decode("utf-8", errors))


def run_command(
    args: list[str], *, cwd: Path, state: Path, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``args`` in a process of its own from ``cwd``, session files in ``state``, with
    ``input`` as standard input (no input: standard input is empty, not a terminal)."""
    return subprocess.run(
        args,
        input=input,
        stdin=subprocess.DEVNULL if input is None else None,
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_STATE_HOME": str(state)},
        cwd=cwd,
        timeout=60,
        check=False,
    )


def write_questionnaire(tmp_path: Path, body: str, name: str = "q.yaml") -> Path:
    """Write :func:`questionnaire_text` of ``body`` to ``tmp_path``."""
    path = tmp_path / name
    path.write_text(questionnaire_text(body), encoding="utf-8")
    return path


def diagnostics_of(path: Path) -> list[Diagnostic]:
    """Every diagnostic of loading ``path``: the error's, or the warnings of a clean load."""
    try:
        return list(load_report(path).warnings)
    except QuestionnaireError as error:
        return list(error.diagnostics)


def codes(diagnostics: Iterable[Diagnostic]) -> list[str]:
    """The codes, in order."""
    return [d.code for d in diagnostics]


def where(diagnostics: Iterable[Diagnostic], code: str) -> list[tuple[int | None, int | None]]:
    """The (line, column) of each diagnostic with this code."""
    return [
        (d.place.line, d.place.column) if d.place else (None, None)
        for d in diagnostics
        if d.code == code
    ]


def only(diagnostics: Iterable[Diagnostic], code: str) -> Diagnostic:
    """The one diagnostic with this code (fails when there are none or several)."""
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, f"expected one {code}, got {[str(d) for d in diagnostics]}"
    return found[0]


# The questionnaires other test files write inline share lines with this one but stay whole
# there: each reads as the file a user writes, and many tests assert line:column places in it.

#: A small questionnaire for the intake tests: a safety screen with one emergency flag, a
#: sudden or gradual branch, an integer, two conditions. Used in-process and in a pty.
MINI_INTAKE = """\
format: 1
id: mini
version: 1.0.0
title: A small intake
disclaimer: Not a diagnosis.
references:
  - {id: R1, citation: Source one.}
questions:
  - id: flags
    type: multi
    section: Safety screen
    prompt: Any warning signs?
    help: Serious causes come first.
    options:
      - {value: numb, label: Saddle numbness, help: Cauda equina until proven otherwise.}
      - {value: fever, label: Fever}
  - id: onset
    type: choice
    section: History
    prompt: How did the pain start?
    help: The most useful question.
    options:
      - {value: sudden, label: Suddenly, next: pop}
      - {value: gradual, label: Gradually, next: weeks}
  - id: pop
    type: choice
    prompt: Was there a pop?
    options:
      - {value: "yes", label: "Yes"}
      - {value: "no", label: "No"}
    next: age
  - id: weeks
    type: integer
    prompt: How many weeks has it hurt?
    min: 0
    max: 52
    unit: weeks
  - id: age
    type: integer
    prompt: How old is the patient?
    min: 5
    max: 110
    unit: years
outcomes:
  levels:
    emergency: {label: Emergency, timeframe: now, advice: Go now.}
    urgent: {label: Urgent, timeframe: within days, advice: Within days.}
    soon: {label: Soon, timeframe: within two weeks, advice: Soon.}
    routine: {label: Routine, timeframe: no time pressure, advice: Usual care.}
  conditions:
    - id: rupture
      label: Tendon rupture
      triage:
        - {level: urgent, advice: See a surgeon., source: R1}
    - id: tendinopathy
      label: Tendinopathy
      triage:
        - {level: routine, advice: Load it gradually., source: R1}
  scores:
    - condition: rupture
      when: {question: pop, equals: "yes"}
      weight: 3
      reason: a pop
      source: R1
    - condition: tendinopathy
      when: {question: onset, equals: gradual}
      weight: 3
      reason: a gradual onset
      source: R1
  red_flags:
    - id: cauda_equina
      when: {question: flags, contains: numb}
      level: emergency
      advice: Possible cauda equina syndrome, emergency department now.
      source: R1
"""


def every_path(q: Questionnaire) -> list[tuple[tuple[str, ...], dict[str, Answer]]]:
    """Each sequence of questions, with the integer questions at their boundary values.

    The paths of the exhaustive test; the FHIR test checks its enable conditions on the same.
    """
    boundaries = {
        question.id: candidates(q, values="all")[question.id]
        for question in q.questions
        if question.type == "integer"
    }
    return [
        (walk.path, walk.answers)
        for walk in iter_paths(q, values="routing", integer_values=boundaries)
    ]


#: The words a study's reason may use for when it is due, and the timeframe each names.
TIMING_WORDS = {
    r"\bwithin 4 hours\b": "within 4 hours",
    r"\bthe same day\b|\bsame-day\b": "same day",
    r"\bwithin days\b": "within days",
    r"\bwithin (?:about )?(?:2|two) weeks\b": "within 2 weeks",
}


def timing_contradictions(result: dict[str, object]) -> list[str]:
    """The advised studies whose reason names a time other than the study's own timeframe
    ("MRI ... within about two weeks" on a study due within days): each in words."""
    imaging = result["imaging"]
    assert isinstance(imaging, dict)
    found = []
    for study in imaging.get("studies", []):
        for pattern, timeframe in TIMING_WORDS.items():
            if timeframe != study["timeframe"] and re.search(pattern, study["reason"]):
                found.append(
                    f"{study['modality']} of the {study['site']}, {study['timeframe']}:"
                    f" its reason says {timeframe!r}: {study['reason']}"
                )
    return found
