"""Score many answer files in one run: one record per input, in input order.

Inputs are answer files, folders of them, and JSON Lines files (or standard input,
``-``) whose every line is an input of its own (named ``file.jsonl:LINE``). The questionnaire
is loaded once by the caller. Inputs stream: each is read, scored and written before the next
is read. A bad input becomes an error record, and the others still run; nothing ever prompts.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, NamedTuple, cast

from hamstring_cli.answer_set import AnswerSet
from hamstring_cli.answers import (
    STDIN,
    STDIN_NAME,
    check_answers,
    missing_answer,
    read_answer_document,
    unused_warnings,
)
from hamstring_cli.compiled import compiled
from hamstring_cli.engine import Session
from hamstring_cli.errors import AnswerError, Code, Diagnostic, Place, diagnostic, escape
from hamstring_cli.exits import settled
from hamstring_cli.files import ANSWERS_LIMIT, check_output, is_stdout, limit_words, open_output
from hamstring_cli.model import Questionnaire
from hamstring_cli.render.formats import Record, batch_module
from hamstring_cli.safe_yaml import read_data
from hamstring_cli.scoring import score
from hamstring_cli.workers import in_order

__all__ = ["batch_command", "run_batch"]

#: The files a folder contributes, in sorted order.
ANSWER_SUFFIXES = (".yaml", ".yml", ".json")
JSON_LINES_SUFFIX = ".jsonl"
#: Draw a progress bar only once a batch is longer than this (and only on a terminal).
PROGRESS_AFTER = 50


@dataclass(frozen=True, slots=True)
class Input:
    """One input of a batch: a file, or one line of a JSON Lines file (or standard input).

    ``problem`` is set when the input could not even be listed (an unreadable folder, a line
    too long): it becomes an error record as it is.
    """

    source: str
    path: Path
    line: int | None = None
    text: str | None = None
    problem: Diagnostic | None = None


def iter_inputs(paths: Sequence[Path], notes: list[str] | None = None) -> Iterator[Input]:
    """Expand the paths given into inputs, in order, one at a time.

    A folder gives its entries named ``*.yaml``, ``*.yml`` and ``*.json`` (in any case) in
    sorted order, whatever they are: one that is not a readable regular file (a link to nothing,
    a FIFO) becomes an error record saying why; the entries not so named (sub-folders among
    them) are named in a warning; a ``.jsonl`` file, and ``-`` (standard input), give one
    input per non-blank line, read as they are needed, so a batch holds one record at a time
    whatever its size;
    any other path is an input as it is (a missing file becomes an error record when it is
    read). A folder that cannot be listed is an error record of its own.

    Args:
        paths: what was given on the command line.
        notes: collects warnings for standard error (a folder with no answer files).
    """
    for path in paths:
        name = os.fspath(path)
        if name == STDIN:
            if sys.stdin is not None and sys.stdin.isatty():
                # Reading would wait for typing that a script never sends: refuse, as triage does.
                detail = "standard input is a terminal; pipe JSON Lines in, or name files"
                problem = diagnostic(Code.FILE_UNREADABLE, Place(STDIN_NAME), detail=detail)
                yield Input(STDIN_NAME, path, problem=problem)
                continue
            yield from _json_lines_of(_stdin_bytes(), STDIN_NAME, path)
        elif path.is_dir():
            try:
                entries = sorted(path.iterdir())
            except OSError as error:
                detail = f"cannot list the folder: {error.strerror or error}"
                problem = diagnostic(Code.FILE_UNREADABLE, Place(name), detail=detail)
                yield Input(name, path, problem=problem)
                continue
            # By its name, whatever it is: a link to nothing or a FIFO named '*.yaml' is an
            # input that cannot be read (an error record that says why), never passed over.
            found: list[Path] = []
            skipped: list[Path] = []
            for entry in entries:
                (found if entry.suffix.lower() in ANSWER_SUFFIXES else skipped).append(entry)
            if notes is not None:
                notes.extend(_folder_notes(name, found, skipped))
            for p in found:
                yield Input(os.fspath(p), p)
        elif path.suffix == JSON_LINES_SUFFIX and path.is_file():
            try:
                handle = path.open("rb")
            except OSError:
                # Read again (and reported with its reason) as a single input.
                yield Input(name, path)
                continue
            with handle:
                yield from _json_lines_of(handle, name, path)
        else:
            yield Input(name, path)


#: The most skipped names a note lists.
_SKIPPED_SHOWN = 5


def _folder_notes(name: str, found: Sequence[Path], skipped: Sequence[Path]) -> list[str]:
    """Warnings about a folder: no answer files in it; the entries it holds that are not read."""
    notes = []
    if not found:
        notes.append(f"{name}: no *.yaml, *.yml or *.json files in this folder")
    if skipped:
        shown = [p.name + ("/" if p.is_dir() else "") for p in skipped[:_SKIPPED_SHOWN]]
        more = len(skipped) - len(shown)
        listed = ", ".join(shown) + (f" and {more} more" if more else "")
        count = "1 entry that is" if len(skipped) == 1 else f"{len(skipped)} entries that are"
        notes.append(
            f"{name}: skipped {count} not named as answer files (*.yaml, *.yml, *.json): {listed}"
        )
    return notes


def collect_inputs(paths: Sequence[Path]) -> tuple[list[Input], list[str]]:
    """Every input of :func:`iter_inputs` in a list, and the warnings (for small batches)."""
    notes: list[str] = []
    return list(iter_inputs(paths, notes)), notes


def _stdin_bytes() -> BinaryIO:
    stream = sys.stdin
    buffer = getattr(stream, "buffer", None) if stream is not None else None
    if stream is None or buffer is None:
        return io.BytesIO(b"" if stream is None else stream.read().encode("utf-8"))
    return cast(BinaryIO, buffer)


def _json_lines_of(handle: BinaryIO, name: str, path: Path) -> Iterator[Input]:
    # Lines end at '\n' only (binary lines): str.splitlines() would also split at U+2028 and
    # other breaks that JSON allows inside a string, and the line numbers would drift.
    number = 0
    while True:
        raw = handle.readline(ANSWERS_LIMIT + 1)
        if not raw:
            return
        number += 1
        if len(raw) > ANSWERS_LIMIT and not raw.endswith(b"\n"):
            # One error record; the rest of the line is passed over a piece at a time (never
            # held), and the lines after it are read as usual.
            size = len(raw) + _skip_line(handle)
            detail = (
                f"line {number} is longer than {limit_words(ANSWERS_LIMIT)} ({size:,} bytes), "
                "the most read for one answer set; it is skipped and the lines after it are read"
            )
            problem = diagnostic(Code.FILE_UNREADABLE, Place(name, number), detail=detail)
            yield Input(f"{name}:{number}", path, number, problem=problem)
            continue
        # Undecodable bytes survive as surrogates, so that the line reports E003 when read.
        text = raw.decode("utf-8", errors="surrogateescape").removesuffix("\n")
        # Blank is JSON's white space alone: a line of anything else (U+0085, a form feed) is an
        # input, and says what is wrong with it.
        if text.strip(" \t\r"):
            yield Input(f"{name}:{number}", path, number, text.removesuffix("\r"))


def _skip_line(handle: BinaryIO) -> int:
    """Read past the rest of the current line (through its ``\\n``); return how many bytes."""
    skipped = 0
    while True:
        piece = handle.readline(64 * 1024)
        skipped += len(piece)
        if not piece or piece.endswith(b"\n"):
            return skipped


def read_input(item: Input, questionnaire: Questionnaire) -> AnswerSet:
    """Read and check one input's answers.

    Raises:
        AnswerError: as :func:`hamstring_cli.answers.read_answers`; for a JSON Lines input,
            places name the line in the ``.jsonl`` file.
    """
    if item.text is None:
        data, source_map = read_answer_document(item.path)
        return check_answers(data, source_map, questionnaire)
    assert item.line is not None
    name = STDIN_NAME if os.fspath(item.path) == STDIN else os.fspath(item.path)
    try:
        raw = item.text.encode("utf-8", errors="surrogateescape")
        # A line of JSON Lines is JSON, and read as JSON (never as YAML).
        data, source_map = read_data(raw, name, error=AnswerError, json=True)
        answers = check_answers(data, source_map, questionnaire)
    except AnswerError as error:
        width = len(item.text) + 1
        raise AnswerError([_on_line(d, item.line, width) for d in error.diagnostics]) from None
    line = item.line
    answers.move_places(lambda place: _shift(place, line))
    return answers


def _shift(place: Place, line: int, width: int | None = None) -> Place:
    # A line of a .jsonl file is read as a document of its own, whose line 1 is ``line``.
    # The document is that one line: a parser that reports the end of the document on the
    # line after it (an unfinished mapping, say) means the end of this line.
    if width is not None and place.line is not None and place.line > 1:
        return place._replace(line=line, column=width)
    return place._replace(line=line + (place.line or 1) - 1)


#: Where a YAML message says an unfinished thing began: a line of the one-line document.
_FROM_LINE = re.compile(r"\(from line (\d+), column (\d+)\)")


def _on_line(found: Diagnostic, line: int, width: int) -> Diagnostic:
    place = found.place

    def from_line(match: re.Match[str]) -> str:
        # As the place: line 1 of the document is the file's line; past it, this line's end.
        inside, column = int(match.group(1)), match.group(2)
        return f"(from line {line}, column {column if inside == 1 else width})"

    return found._replace(
        place=_shift(place, line, width) if place else None,
        message=_FROM_LINE.sub(from_line, found.message),
    )


def run_one(item: Input, questionnaire: Questionnaire) -> Record:
    """Read, walk and score one input; any problem with it becomes an error record."""
    if item.problem is not None:
        return Record(item.source, errors=(item.problem,))
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
        name = STDIN_NAME if os.fspath(item.path) == STDIN else os.fspath(item.path)
        where = Place(name, item.line)
        return Record(item.source, errors=(found._replace(place=where),))
    path_answers = {step.question.id: step.answer for step in steps}
    unused = [qid for qid in given if qid not in path_answers]
    warnings = tuple(unused_warnings(given, unused))
    result = score(questionnaire, path_answers)
    return Record(item.source, result.to_dict(), warnings=warnings, response_status=given.status)


class Finished(NamedTuple):
    """One input's record as its format writes it, with its messages for standard error."""

    ok: bool
    #: Every diagnostic of the input (errors, then warnings), compiler style, a line each.
    messages: tuple[str, ...]
    #: The record as the batch format writes it (a line or a row), in UTF-8: a worker hands
    #: back bytes, which cross a pipe and reach the output as they are.
    data: bytes


class Renderer:
    """A ``batch`` format of the registry (:mod:`hamstring_cli.render.formats`) writing one
    record at a time, in UTF-8: ``header`` is what it writes first (the CSV header row)."""

    def __init__(self, fmt: str, questionnaire: Questionnaire) -> None:
        self._buffer = io.StringIO()
        self._write = batch_module(fmt).record_writer(self._buffer, questionnaire)
        self.header = self._take()

    def _take(self) -> bytes:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text.encode("utf-8")

    def __call__(self, record: Record) -> Finished:
        """The record finished: its text and its messages."""
        self._write(record)
        messages = tuple(str(found) for found in (*record.errors, *record.warnings))
        return Finished(record.ok, messages, self._take())


def run_all(
    inputs: Iterable[Input],
    questionnaire: Questionnaire,
    render: Renderer,
    *,
    jobs: int | None = None,
    show_progress: bool = False,
) -> Iterator[Finished]:
    """Run every input in order, yielding each record finished as it is made.

    A long batch is scored by worker processes, one a core (:mod:`hamstring_cli.workers`);
    the records come back in input order whichever way they were made.

    Args:
        inputs: what to run (read one at a time).
        questionnaire: loaded once, used for every input.
        render: the batch format, writing each record into its text.
        jobs: worker processes (1: all in this process; None: every core, for a long batch).
        show_progress: draw a progress bar on standard error once the batch is long.
    """
    from hamstring_cli.render import progress

    # Compiled before any worker is forked, so that each starts with the rules made.
    compiled(questionnaire)
    settled()

    def finish(item: Input) -> Finished:
        return render(run_one(item, questionnaire))

    with contextlib.ExitStack() as stack:
        advance: Callable[[], None] | None = None
        finished = in_order(inputs, finish, jobs=jobs, size=_size)
        for count, done in enumerate(finished, start=1):
            yield done
            if advance is not None:
                advance()
            elif show_progress and count == PROGRESS_AFTER:
                # A short batch is done before a bar would help: draw one only once it is long.
                advance = stack.enter_context(progress(None, "Scoring", show=True))
                for _ in range(count):
                    advance()


def _writer(stream: IO[str]) -> Callable[[bytes], object]:
    """Write UTF-8 records to a text stream: to its bytes when it has them (standard output),
    after what it holds already; else as text (a test's string stream)."""
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        return lambda data: stream.write(data.decode("utf-8"))
    stream.flush()
    return cast(Callable[[bytes], object], buffer.write)


def _may_wait(paths: Sequence[Path]) -> bool:
    """Whether reading the inputs may wait on a writer: standard input that is not a file."""
    if not any(os.fspath(path) == STDIN for path in paths):
        return False
    try:
        return not stat.S_ISREG(os.fstat(sys.stdin.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):
        # No descriptor (a test's text stream, a closed standard input): read it as a stream.
        return True


def _size(item: Input) -> int:
    return len(item.text) if item.text is not None else 0


def show_progress(*, to_file: bool) -> bool:
    """Whether a batch may draw a progress bar (once it is long): standard error a terminal.

    Records streaming to the same terminal would tear through the bar, so it is drawn only
    when they go to a file or a pipe.
    """
    if not sys.stderr.isatty():
        return False
    return to_file or not sys.stdout.isatty()


def run_batch(
    questionnaire: Questionnaire,
    paths: Sequence[Path],
    *,
    fmt: str = "jsonl",
    output: Path | None = None,
    force: bool = False,
    jobs: int | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> tuple[int, int]:
    """Run a batch and write its records: to standard output as they come, or to ``output``.

    Inputs are read, scored and written one at a time, so memory stays flat whatever the
    number of records. Problems with inputs go to standard error (every diagnostic, compiler
    style) as well as into the error records. ``output`` (``-`` is standard output) is
    written as :func:`hamstring_cli.files.open_output` does: over a file atomically and
    private (mode 0600) once the whole batch has run, so a failed or interrupted batch leaves
    no partial file. ``jobs`` is as :func:`run_all` takes it.

    Returns:
        How many inputs ran, and how many of them failed.

    Raises:
        OutputError: ``output`` exists (without ``force``) or cannot be written.
    """
    if stdout is None and isinstance(sys.stdout, io.TextIOWrapper):
        # Records are UTF-8 whatever the locale says, as the JSON of a single run is.
        sys.stdout.reconfigure(encoding="utf-8")
    out = stdout if stdout is not None else sys.stdout
    if is_stdout(output):
        output = None

    def warn(line: str) -> None:
        # Looked up at each write: while a progress bar is drawn, sys.stderr is rich's proxy,
        # which prints the line above the bar instead of through it.
        (stderr if stderr is not None else sys.stderr).write(escape(line) + "\n")

    if output is not None:
        # Refuse before the work, not after it.
        check_output(output, force=force)
    notes: list[str] = []
    inputs = iter_inputs(paths, notes)
    if _may_wait(paths):
        # Each record of a stream is written as soon as its line is read: workers would hold
        # it back until a chunk of lines had come.
        jobs = 1
    bar = stderr is None and show_progress(to_file=output is not None)
    with contextlib.ExitStack() as stack:
        write: Callable[[bytes], object]
        if output is not None:
            write = stack.enter_context(open_output(output, force=force)).write
        else:
            write = _writer(out)
        render = Renderer(fmt, questionnaire)
        write(render.header)
        failed = total = 0
        for done in run_all(inputs, questionnaire, render, jobs=jobs, show_progress=bar):
            for note in notes:
                warn(f"hamstring: warning: {note}")
            notes.clear()
            for message in done.messages:
                warn(message)
            total += 1
            failed += not done.ok
            write(done.data)
        for note in notes:
            warn(f"hamstring: warning: {note}")
        if output is None:
            out.flush()
    if output is not None:
        warn(f"hamstring: wrote {total} results to {output}")
    if failed:
        warn(f"hamstring: {failed} of {total} inputs failed")
    return total, failed


def batch_command(
    inputs: Sequence[Path],
    *,
    questionnaire: str,
    fmt: str = "jsonl",
    output: Path | None = None,
    force: bool = False,
    jobs: int | None = None,
) -> int:
    """The ``batch`` command: load the questionnaire once, run every input, return the status."""
    from hamstring_cli.cache import load_questionnaire

    loaded = load_questionnaire(questionnaire)
    _, failed = run_batch(loaded, inputs, fmt=fmt, output=output, force=force, jobs=jobs)
    return 1 if failed else 0
