"""One ``triage`` run, shared by the typer command and the fast lane: answers in, report out.

No typer here. Errors for the user are raised as :class:`~hamstring_cli.exits.Stop`
or carry their diagnostics; the caller's funnel prints them.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from hamstring_cli.errors import AnswerError, MissingAnswers, Place
from hamstring_cli.exits import Exit, Stop, print_diagnostics, settled
from hamstring_cli.resources import DEFAULT_QUESTIONNAIRE

if TYPE_CHECKING:
    from pathlib import Path

    from hamstring_cli.model import Answer, Questionnaire

__all__ = ["run_triage", "scripted_answers"]


def run_triage(
    *,
    answers: str | None = None,
    questionnaire: str = DEFAULT_QUESTIONNAIRE,
    fmt: str = "text",
    output: Path | None = None,
    force: bool = False,
    fail_on: str | None = None,
    resume: Path | None = None,
    session: Path | None = None,
    plain: bool = False,
) -> int:
    """Run one intake and emit its report; return the exit status (3 when --fail-on is reached).

    In a terminal (or with ``plain``) the questions the answers leave open are asked;
    otherwise a missing answer is an error, never a prompt.
    """
    # Through the cache: a run skips the YAML parse of a file already loaded and checked.
    from hamstring_cli.cache import load_questionnaire
    from hamstring_cli.report import emit, reaches
    from hamstring_cli.scoring import score

    q = load_questionnaire(questionnaire)
    given: Mapping[str, Answer] = {}
    if resume is not None or answers is not None:
        # Only now PyYAML: an intake with nothing to read reaches its first prompt sooner.
        from hamstring_cli.answer_set import AnswerSet
        from hamstring_cli.answers import read_answers

        # An AnswerSet keeps where each answer was given, for the warnings about unused ones.
        given = read_answers(resume, q) if resume is not None else AnswerSet()
        if answers is not None:
            given.update(read_answers(answers, q))
    interactive = plain or sys.stdin.isatty()
    if output is not None:
        from hamstring_cli.files import OutputError, check_output

        # Refuse now, not after the whole intake has been answered.
        try:
            check_output(output, force=force)
        except OutputError as error:
            raise Stop(str(error)) from None
    if interactive:
        from hamstring_cli.interactive import intake

        settled()  # an intake runs for minutes
        from hamstring_cli.sessions import IntakeStopped

        # The intake has drawn the text summary on this terminal already: show it once. Any
        # other report is written by the intake before it lets its session file go.
        shown = fmt == "text" and output is None and sys.stdout.isatty()
        try:
            path_answers = intake(
                q,
                given,
                plain=plain,
                session_file=session or resume,
                shown_format=fmt,
                offer_save=output is None,
                resuming=resume is not None and (session is None or session == resume),
                deliver=None if shown else lambda r: emit(r, fmt, output=output, force=force),
            )
        except IntakeStopped as stopped:
            status = Exit.INTERRUPTED if stopped.interrupted else Exit.BAD_INPUT
            if stopped.signal is not None:
                status = Exit(128 + stopped.signal)
            raise Stop(str(stopped), status) from None
    else:
        read_from = answers if answers is not None else resume
        source = None if read_from is None else _source_name(read_from)
        path_answers = scripted_answers(q, given, source)
    result = score(q, path_answers)
    response_status = getattr(given, "status", None)
    if response_status is not None and not interactive:
        # Read from a FHIR QuestionnaireResponse: its Bundle keeps the response's status.
        result = result._replace(response_status=response_status)
    if not interactive:
        emit(result, fmt, output=output, force=force)
    if fail_on is not None and reaches(result, fail_on):
        return int(Exit.FAIL_ON)
    return int(Exit.OK)


def _source_name(path: str | Path) -> str:
    from hamstring_cli.answers import STDIN, STDIN_NAME

    name = str(path)
    return STDIN_NAME if name == STDIN else name


def scripted_answers(
    q: Questionnaire, given: Mapping[str, Answer], source: str | None = None
) -> dict[str, Answer]:
    """Walk the tree with the given answers only; a missing answer is an error, never a prompt.

    Args:
        q: the questionnaire.
        given: the answers read.
        source: the file they were read from (``<stdin>``), named by a missing-answer error.

    Raises:
        Stop: no answers at all were given, or one the path needs is missing (E207, with
            the allowed values, naming the answer file).
    """
    from hamstring_cli.answers import missing_answer, unused_warnings
    from hamstring_cli.engine import PresetAnswers, Session, drive

    try:
        session = drive(Session(q, given), PresetAnswers())
    except MissingAnswers as missing:
        if not given and source is None:
            raise Stop(
                "no answers given, and standard input is not a terminal to ask them: give them "
                "with --answers FILE ('-' reads standard input), or answer line by line with "
                "--plain"
            ) from None
        problem = missing_answer(q, missing.question_id)
        if source is None:
            raise Stop(
                f"{problem.severity} {problem.code}: {problem.message}. Add it to the --answers "
                "file, or run in a terminal to be asked."
            ) from None
        # Named at the file it is missing from, compiler style.
        empty = "" if given else "the file holds no answers: "
        message = (
            f"{empty}{problem.message}. Add it to this file, or run in a terminal to be asked."
        )
        located = problem._replace(place=Place(source), message=message)
        raise AnswerError([located]) from None
    print_diagnostics(unused_warnings(given, session.unused))
    return dict(session.path_answers)
