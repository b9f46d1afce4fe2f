"""Score many answer files in one run: one record per input, in input order.

Layer 2. Inputs are answer files, folders of them, and JSON Lines files whose every line is an
input of its own (named ``file.jsonl:LINE``). The questionnaire is loaded once by the caller.
A bad input becomes an error record, and the others still run; nothing ever prompts.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from hamstring_cli.answers import AnswerSet, check_answers, missing_answer, unused_warnings
from hamstring_cli.engine import Session
from hamstring_cli.errors import AnswerError, Diagnostic, Place
from hamstring_cli.loader import read_document
from hamstring_cli.model import Questionnaire
from hamstring_cli.report import OutputError, write_private
from hamstring_cli.scoring import score

#: The files a folder contributes, in sorted order.
ANSWER_SUFFIXES = (".yaml", ".yml", ".json")
JSON_LINES_SUFFIX = ".jsonl"
BATCH_FORMATS = ("jsonl", "csv", "fhir")
CSV_COLUMNS = (
    "source",
    "leading",
    "confidence",
    "level",
    "imaging_modality",
    "imaging_urgency",
    "red_flags",
    "error",
)
#: Show a progress bar only for batches longer than this (and only on a terminal).
PROGRESS_AFTER = 50


@dataclass(frozen=True, slots=True)
class Input:
    """One input of a batch: a file, or one line of a JSON Lines file."""

    source: str
    path: Path
    line: int | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Record:
    """The outcome of one input: the result's JSON, or the errors that stopped it."""

    source: str
    result: dict[str, object] | None = None
    errors: tuple[Diagnostic, ...] = ()
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the input gave a result."""
        return self.result is not None

    def to_dict(self) -> dict[str, object]:
        """The JSON Lines record: the contract result plus ``source``, or an error record."""
        if self.result is not None:
            return {"source": self.source, **self.result}
        first = self.errors[0]
        place = first.place
        return {
            "source": self.source,
            "error": {
                "code": first.code,
                "message": first.message,
                "file": place.file if place else None,
                "line": place.line if place else None,
                "column": place.column if place else None,
                "question": first.question,
            },
        }

    def csv_row(self) -> list[str]:
        """The CSV row, in :data:`CSV_COLUMNS` order (error rows leave the result empty)."""
        if self.result is None:
            first = self.errors[0]
            return [self.source, "", "", "", "", "", "", f"{first.code} {first.message}"]
        r = self.result
        triage, imaging = r["triage"], r["imaging"]
        flags = r["red_flags"]
        assert isinstance(triage, dict) and isinstance(imaging, dict) and isinstance(flags, list)
        return [
            self.source,
            str(r["leading"]),
            str(r["confidence"]),
            str(triage["level"]),
            imaging["modality"] or "",
            imaging["urgency"] or "",
            ";".join(str(f["id"]) for f in flags),
            "",
        ]


def collect_inputs(paths: Sequence[Path]) -> tuple[list[Input], list[str]]:
    """Expand the paths given into inputs, in order.

    A folder gives its ``*.yaml``, ``*.yml`` and ``*.json`` files in sorted order (not its
    sub-folders); a ``.jsonl`` file gives one input per non-blank line; any other path is an
    input as it is (a missing file becomes an error record when it is read).

    Returns:
        The inputs, and warnings (a folder with no answer files) for standard error.
    """
    inputs: list[Input] = []
    notes: list[str] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in ANSWER_SUFFIXES and p.is_file())
            if not found:
                notes.append(f"{path}: no *.yaml, *.yml or *.json files in this folder")
            inputs += [Input(os.fspath(p), p) for p in found]
        elif path.suffix == JSON_LINES_SUFFIX and path.is_file():
            inputs += _json_lines(path)
        else:
            inputs.append(Input(os.fspath(path), path))
    return inputs, notes


def _json_lines(path: Path) -> list[Input]:
    try:
        raw = path.read_bytes()
    except OSError:
        # Read again (and reported with its reason) as a single input.
        return [Input(os.fspath(path), path)]
    name = os.fspath(path)
    # Undecodable bytes survive as surrogates, so that the line reports E003 when it is read.
    text = raw.decode("utf-8", errors="surrogateescape")
    # Lines end at '\n' only: str.splitlines() would also split at U+2028 and other breaks
    # that JSON allows inside a string, and the line numbers would drift.
    return [
        Input(f"{name}:{number}", path, number, line.removesuffix("\r"))
        for number, line in enumerate(text.split("\n"), start=1)
        if line.strip()
    ]


def read_input(item: Input, questionnaire: Questionnaire) -> AnswerSet:
    """Read and check one input's answers.

    Raises:
        AnswerError: as :func:`hamstring_cli.answers.read_answers`; for a JSON Lines input,
            places name the line in the ``.jsonl`` file.
    """
    if item.text is None:
        data, source_map = read_document(item.path, error=AnswerError)
        return check_answers(data, source_map, questionnaire)
    assert item.line is not None
    try:
        raw = item.text.encode("utf-8", errors="surrogateescape")
        data, source_map = read_document(text=raw, name=os.fspath(item.path), error=AnswerError)
        answers = check_answers(data, source_map, questionnaire)
    except AnswerError as error:
        raise AnswerError([_on_line(d, item.line) for d in error.diagnostics]) from None
    answers.places = {qid: _shift(place, item.line) for qid, place in answers.places.items()}
    return answers


def _shift(place: Place, line: int) -> Place:
    # A line of a .jsonl file is read as a document of its own, whose line 1 is ``line``.
    return place._replace(line=line + (place.line or 1) - 1)


def _on_line(found: Diagnostic, line: int) -> Diagnostic:
    place = found.place
    return found._replace(place=_shift(place, line) if place else None)


def run_one(item: Input, questionnaire: Questionnaire) -> Record:
    """Read, walk and score one input; any problem with it becomes an error record."""
    try:
        given = read_input(item, questionnaire)
    except AnswerError as error:
        return Record(item.source, errors=error.errors or error.diagnostics)
    # One walk of the tree gives the path, the first unanswered question and (by difference)
    # the unused answers: the same as driving the session with preset answers only, which
    # would walk it three times, and a batch runs this for every input.
    steps, pending = Session(questionnaire, given).walk()
    if pending is not None:
        found = missing_answer(questionnaire, pending.id)
        where = Place(os.fspath(item.path), item.line)
        return Record(item.source, errors=(found._replace(place=where),))
    path_answers = {step.question.id: step.answer for step in steps}
    unused = [qid for qid in given if qid not in path_answers]
    warnings = tuple(unused_warnings(given, unused))
    result = score(questionnaire, path_answers)
    return Record(item.source, result.to_dict(), warnings=warnings)


def run_all(
    inputs: Sequence[Input], questionnaire: Questionnaire, *, show_progress: bool = False
) -> Iterator[Record]:
    """Run every input in order, yielding records as they are made.

    Args:
        inputs: what to run.
        questionnaire: loaded once, used for every input.
        show_progress: draw a progress bar on standard error.
    """
    from hamstring_cli.render import progress

    with progress(len(inputs), "Scoring", show=show_progress) as advance:
        for item in inputs:
            yield run_one(item, questionnaire)
            advance()


#: One encoder for every record (``json.dumps`` with options builds a new one each call).
_JSON = json.JSONEncoder(ensure_ascii=False)


def show_progress(count: int, *, to_file: bool) -> bool:
    """Whether a batch draws a progress bar: a long one, with standard error a terminal.

    Records streaming to the same terminal would tear through the bar, so it is drawn only
    when they go to a file or a pipe.
    """
    if count <= PROGRESS_AFTER or not sys.stderr.isatty():
        return False
    return to_file or not sys.stdout.isatty()


class Writer:
    """Writes records as JSON Lines or CSV to a text stream, one record at a time."""

    def __init__(
        self, stream: IO[str], fmt: str, questionnaire: Questionnaire | None = None
    ) -> None:
        if fmt not in BATCH_FORMATS:
            raise ValueError(f"unknown batch format {fmt!r}; known: {', '.join(BATCH_FORMATS)}")
        self.stream = stream
        self.fmt = fmt
        self.questionnaire = questionnaire
        self.csv = csv.writer(stream, lineterminator="\n") if fmt == "csv" else None
        if self.csv is not None:
            self.csv.writerow(CSV_COLUMNS)

    def write(self, record: Record) -> None:
        """Write one record."""
        if self.csv is not None:
            self.csv.writerow(record.csv_row())
        elif self.fmt == "fhir":
            from hamstring_cli.fhir.bundle import ndjson_line

            assert self.questionnaire is not None, "the fhir format needs the questionnaire"
            self.stream.write(
                ndjson_line(self.questionnaire, record.source, record.result, record.errors)
            )
        else:
            self.stream.write(_JSON.encode(record.to_dict()) + "\n")


def run_batch(
    questionnaire: Questionnaire,
    paths: Sequence[Path],
    *,
    fmt: str = "jsonl",
    output: Path | None = None,
    force: bool = False,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> tuple[int, int]:
    """Run a batch and write its records: to standard output as they come, or to ``output``.

    Problems with inputs go to standard error (every diagnostic, compiler style) as well as
    into the error records. ``output`` is written atomically and private (mode 0600) once the
    whole batch has run, so a failed or interrupted batch leaves no partial file.

    Returns:
        How many inputs ran, and how many of them failed.

    Raises:
        OutputError: ``output`` exists (without ``force``) or cannot be written.
    """
    if stdout is None and isinstance(sys.stdout, io.TextIOWrapper):
        # Records are UTF-8 whatever the locale says, as the JSON of a single run is.
        sys.stdout.reconfigure(encoding="utf-8")
    out = stdout if stdout is not None else sys.stdout

    def warn(line: str) -> None:
        # Looked up at each write: while a progress bar is drawn, sys.stderr is rich's proxy,
        # which prints the line above the bar instead of through it.
        (stderr if stderr is not None else sys.stderr).write(line + "\n")

    if output is not None and not force and output.exists():
        # Refuse before the work, not after it.
        raise OutputError(f"{output} exists; use --force to overwrite it")
    inputs, notes = collect_inputs(paths)
    for note in notes:
        warn(f"hamstring: warning: {note}")
    sink: IO[str] = io.StringIO() if output is not None else out
    writer = Writer(sink, fmt, questionnaire)
    failed = 0
    bar = stderr is None and show_progress(len(inputs), to_file=output is not None)
    for record in run_all(inputs, questionnaire, show_progress=bar):
        for found in (*record.errors, *record.warnings):
            warn(str(found))
        failed += not record.ok
        writer.write(record)
    if output is not None:
        assert isinstance(sink, io.StringIO)
        write_private(output, sink.getvalue().encode("utf-8"), force=force)
        warn(f"hamstring: wrote {len(inputs)} results to {output}")
    else:
        out.flush()
    if failed:
        warn(f"hamstring: {failed} of {len(inputs)} inputs failed")
    return len(inputs), failed


def batch_command(
    inputs: Sequence[Path],
    *,
    questionnaire: str,
    fmt: str = "jsonl",
    output: Path | None = None,
    force: bool = False,
) -> int:
    """The ``batch`` command: load the questionnaire once, run every input, return the status."""
    from hamstring_cli.triage import load

    _, failed = run_batch(load(questionnaire), inputs, fmt=fmt, output=output, force=force)
    return 1 if failed else 0
