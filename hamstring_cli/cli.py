"""The command line: arguments, exit codes, and the one funnel that prints errors.

Nothing imports this module. Heavy imports (rich, questionary) happen inside the
commands that draw on a terminal, so ``hamstring --version`` and scripted runs stay lean.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, NamedTuple, NoReturn, TypeAlias

import typer

from hamstring_cli import __version__
from hamstring_cli.cache import load_questionnaire
from hamstring_cli.errors import UserError, escape, escape_json
from hamstring_cli.exits import Exit, Stop, guarded, print_diagnostics, run_entry, say, settled
from hamstring_cli.model import IMAGING_CHOICES, LEVELS
from hamstring_cli.render.formats import (
    BATCH_DEFAULT,
    BATCH_FORMATS,
    TRIAGE_DEFAULT,
    TRIAGE_FORMATS,
    help_text,
)
from hamstring_cli.resources import DEFAULT_QUESTIONNAIRE
from hamstring_cli.runner import scripted_answers

if TYPE_CHECKING:
    from hamstring_cli.cases import Case
    from hamstring_cli.model import Answer, Questionnaire
    from hamstring_cli.sourcemap import SourceMap

__all__ = ["app", "main", "typer_status"]


app = typer.Typer(
    name="hamstring",
    help=(
        "Triage questionnaires written in YAML: by default, pain at the back of the thigh and "
        "buttock (acute proximal hamstring rupture or tendinopathy, the other differentials, red "
        "flags and imaging); with --questionnaire ottawa-ankle, the Ottawa ankle and foot rules "
        "('hamstring list' shows them all). Decision support for clinicians and students, not a "
        "diagnosis."
    ),
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

QuestionnaireOption = Annotated[
    str,
    typer.Option(
        "--questionnaire",
        "-q",
        help="A questionnaire file, or the id of a bundled one (see 'hamstring list').",
        metavar="PATH|ID",
    ),
]


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"hamstring {__version__}\n")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Run the intake questionnaire when no command is given."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(triage_command)


def fail(message: str, status: Exit = Exit.BAD_INPUT) -> NoReturn:
    """Print an error message to standard error and exit with ``status``."""
    say(message)
    raise typer.Exit(int(status))


@app.command("list")
def list_questionnaires() -> None:
    """List the bundled questionnaires: id, version and title."""
    from hamstring_cli.resources import bundled_questionnaires

    for path in bundled_questionnaires():
        q = load_questionnaire(path)
        sys.stdout.write(f"{q.id}\t{q.version}\t{q.title}\n")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the questionnaire format (for editors)."""
    import json

    from hamstring_cli.schema import json_schema

    sys.stdout.write(json.dumps(json_schema(), indent=2, allow_nan=False) + "\n")


@app.command()
def check(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help=(
                "Questionnaire or teaching-case files (default: every bundled questionnaire "
                "and teaching case)."
            ),
            metavar="[FILE]...",
        ),
    ] = None,
) -> None:
    """Check questionnaires as a whole: exit 0 when clean, 1 with errors (warnings do not fail)."""
    from hamstring_cli.cases import bundled_cases, check_case_file
    from hamstring_cli.checks import check as check_questionnaire
    from hamstring_cli.resources import bundled_dir, bundled_questionnaires

    # With no files: every bundled questionnaire, then every teaching case.
    paths = files or [*bundled_questionnaires(), *bundled_cases(bundled_dir())]
    failed = False
    loaded: dict[str, Questionnaire] = {}
    for path in paths:
        # Each file is read once, for all that is asked of it below.
        read = _read_once(path)
        document = read.document if read is not None else None
        # A file whose top level has 'story' and 'answers' is a teaching case; a file that
        # cannot be read as a document is not one, and the loader says why.
        found = None if document is None else check_case_file(path, loaded, document=document)
        if found is not None:
            print_diagnostics(found)
            errors = sum(d.severity == "error" for d in found)
            failed = failed or errors > 0
            warned = len(found) - errors
            verdict = f"{errors} error{'s' * (errors != 1)}" if errors else "ok"
            sys.stderr.write(f"{escape(str(path))}: {verdict}: teaching case, {warned} warnings\n")
            continue
        try:
            q = _located_questionnaire(path, read)
        except UserError as error:
            failed = True
            if _looks_like_answers(path, read):
                import shlex

                say(
                    f"{path} looks like an answer file, not a questionnaire; to score it, "
                    f"run:\n  hamstring triage --answers {shlex.quote(str(path))}"
                )
                continue
            print_diagnostics(error.diagnostics)
            continue
        # A teaching case given after it names it by its id.
        loaded.setdefault(q.id, q)
        warnings = [d for d in check_questionnaire(q) if d.severity == "warning"]
        print_diagnostics(warnings)
        shown = escape(str(path))
        sys.stderr.write(f"{shown}: ok: {len(q.questions)} questions, {len(warnings)} warnings\n")
    if failed:
        raise typer.Exit(int(Exit.BAD_INPUT))


class _Read(NamedTuple):
    """A file ``check`` was given, read once: its bytes, and either its document (data and
    source map, as :func:`~hamstring_cli.safe_yaml.read_document` reads them) or the error
    that refuses it as a document."""

    raw: bytes
    document: tuple[object, SourceMap] | None
    refused: UserError | None


def _read_once(path: Path) -> _Read | None:
    """``path`` read as the questionnaire loader reads it (``load_questionnaire(path,
    located=True)``: a regular file of bounded size, then the located reader); None when the
    file itself cannot be read (missing, a folder, too large), which the loader reports."""
    import os

    from hamstring_cli.errors import QuestionnaireError
    from hamstring_cli.files import QUESTIONNAIRE_LIMIT, read_input_file
    from hamstring_cli.safe_yaml import read_document

    name = os.fspath(path)
    try:
        raw = read_input_file(
            path,
            limit=QUESTIONNAIRE_LIMIT,
            what="a questionnaire",
            error=QuestionnaireError,
            name=name,
        )
    except UserError:
        return None
    try:
        return _Read(raw, read_document(text=raw, name=name), None)
    except UserError as refused:
        return _Read(raw, None, refused)


def _located_questionnaire(path: Path, read: _Read | None) -> Questionnaire:
    """What ``load_questionnaire(path, located=True)`` gives (or raises), from the file as
    :func:`_read_once` read it."""
    if read is None:
        return load_questionnaire(path, located=True)
    if read.refused is not None:
        raise read.refused
    from hamstring_cli.loader import parse_questionnaire

    assert read.document is not None
    return parse_questionnaire(*read.document)


def _looks_like_answers(path: Path, read: _Read | None = None) -> bool:
    """Whether a file that is not a questionnaire reads as answers to the bundled one.

    The file as :func:`_read_once` read it is not read again: the answer reader reads the
    same bytes to the same data and places, and refuses what the located reader refuses
    with the same diagnostics (only its size limit is smaller: a larger file is read anew).
    """
    from hamstring_cli.answers import check_answers, read_answers
    from hamstring_cli.files import ANSWERS_LIMIT

    try:
        bundled = load_questionnaire(DEFAULT_QUESTIONNAIRE)
        if read is None or len(read.raw) > ANSWERS_LIMIT:
            return bool(read_answers(str(path), bundled))
        if read.refused is not None:
            raise read.refused
        assert read.document is not None
        return bool(check_answers(*read.document, bundled))
    except UserError as error:
        # Known question ids with a wrong value here and there are still an answer file.
        return bool(error.diagnostics) and all(
            d.code.startswith("E2") and d.code not in ("E201", "E205") for d in error.diagnostics
        )
    except (OSError, ValueError):
        return False


# The choices of these options come from their one declaration: the output-format registry
# (render/formats.py), the model's triage levels and imaging calls. typer reads a Literal as a
# choice; to mypy they are text.
if TYPE_CHECKING:
    TriageFormat: TypeAlias = str
    BatchFormat: TypeAlias = str
    LevelChoice: TypeAlias = str
    ImagingChoice: TypeAlias = str
else:
    TriageFormat = Literal[TRIAGE_FORMATS]
    BatchFormat = Literal[BATCH_FORMATS]
    LevelChoice = Literal[LEVELS]
    ImagingChoice = Literal[IMAGING_CHOICES]


@app.command("triage")
def triage_command(
    answers: Annotated[
        str | None,
        typer.Option(
            "--answers",
            "-a",
            help="An answer file (YAML or JSON); '-' reads standard input.",
            metavar="<path>",
        ),
    ] = None,
    questionnaire: QuestionnaireOption = DEFAULT_QUESTIONNAIRE,
    format: Annotated[
        TriageFormat,
        typer.Option("--format", "-f", help=f"The report format: {help_text()}."),
    ] = TRIAGE_DEFAULT,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report to this file (private, 0600)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the --output file if it exists.")
    ] = False,
    fail_on: Annotated[
        LevelChoice | None,
        typer.Option("--fail-on", help="Exit 3 when the triage level is at least this pressing."),
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option("--resume", help="Continue an interrupted intake from its session file."),
    ] = None,
    session: Annotated[
        Path | None,
        typer.Option("--session", help="Save the intake as it goes to this file."),
    ] = None,
    plain: Annotated[
        bool,
        typer.Option(
            "--plain",
            help="Line-by-line prompts with numbered options (screen readers, piped input).",
        ),
    ] = False,
) -> None:
    """Run the intake: ask the questions (or read an answer file) and print the summary."""
    from hamstring_cli.runner import run_triage

    try:
        status = run_triage(
            answers=answers,
            questionnaire=questionnaire,
            fmt=format,
            output=output,
            force=force,
            fail_on=fail_on,
            resume=resume,
            session=session,
            plain=plain,
        )
    except Stop as stop:
        fail(stop.message, stop.status)
    if status:
        raise typer.Exit(status)


@app.command()
def batch(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help=(
                "Answer files; folders (their *.yaml, *.yml and *.json files, sorted); "
                ".jsonl files (one answer mapping a line, each line an input); '-' reads "
                "JSON Lines from standard input."
            ),
            metavar="FILE|DIR...",
        ),
    ],
    questionnaire: QuestionnaireOption = DEFAULT_QUESTIONNAIRE,
    format: Annotated[
        BatchFormat,
        typer.Option("--format", "-f", help=f"The record format: {help_text(batch=True)}."),
    ] = BATCH_DEFAULT,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the records to this file (private, 0600)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the --output file if it exists.")
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help=(
                "Worker processes scoring the inputs (1: all in this process). Default: one a "
                "core, once a batch has 100 inputs; the records keep the input order. A stream "
                "on standard input is scored a line at a time, as it comes."
            ),
            show_default=False,
        ),
    ] = None,
) -> None:
    """Score many answer files: one record per input, in input order; never prompts.

    A bad input becomes an error record (and a message on standard error); the others still
    run, and the exit status is 1.
    """
    from hamstring_cli.batch import batch_command

    status = batch_command(
        inputs, questionnaire=questionnaire, fmt=format, output=output, force=force, jobs=jobs
    )
    if status:
        raise typer.Exit(status)


class PracticeFormat(str, enum.Enum):
    """Output formats of scripted ``practice`` grading and of ``explain``."""

    text = "text"
    json = "json"


@app.command()
def practice(
    case: Annotated[
        str | None,
        typer.Option("--case", "-c", help="The case to practise first (see --list).", metavar="ID"),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", help="Shuffle the cases with this seed: the same seed, the same order."
        ),
    ] = None,
    list_cases: Annotated[
        bool, typer.Option("--list", help="List the teaching cases: id and title.")
    ] = False,
    auto: Annotated[
        bool,
        typer.Option("--auto", help="Show the patient's answers instead of taking the history."),
    ] = False,
    cases_dir: Annotated[
        Path | None,
        typer.Option(
            "--cases",
            help="A folder of teaching cases (default: the bundled cases).",
            metavar="DIR",
        ),
    ] = None,
    questionnaire: Annotated[
        str | None,
        typer.Option(
            "--questionnaire",
            "-q",
            help="Only the cases of this questionnaire (a file, or the id of a bundled one); "
            "default: every case.",
            metavar="PATH|ID",
        ),
    ] = None,
    guess: Annotated[
        str | None,
        typer.Option(
            "--guess",
            help="Scripted grading: the leading condition to grade (needs --case and --level).",
            metavar="CONDITION",
        ),
    ] = None,
    level: Annotated[
        LevelChoice | None,
        typer.Option("--level", help="Scripted grading: the triage level.", case_sensitive=False),
    ] = None,
    imaging: Annotated[
        ImagingChoice | None,
        typer.Option(
            "--imaging",
            help="Scripted grading: the first imaging (left out: not graded).",
            case_sensitive=False,
        ),
    ] = None,
    answers: Annotated[
        str | None,
        typer.Option(
            "--answers",
            "-a",
            help="Scripted grading: score this answer file instead of the case's answers.",
            metavar="<path>",
        ),
    ] = None,
    format: Annotated[
        PracticeFormat, typer.Option("--format", "-f", help="Scripted grading output.")
    ] = PracticeFormat.text,
    plain: Annotated[
        bool, typer.Option("--plain", help="Numbered prompts, no colour or boxes.")
    ] = False,
) -> None:
    """Practise the differential on teaching cases: story, history, your call, then feedback.

    With --guess and --level it grades without prompting (for teachers' scripts): exit 0 with
    the marks in the output, 2 for a guess that is not an allowed value.
    """
    from hamstring_cli.cases import bundled_cases, find_case, read_cases
    from hamstring_cli.resources import bundled_dir

    folder = cases_dir if cases_dir is not None else bundled_dir()
    files = (
        bundled_cases(folder)
        if cases_dir is None
        else sorted(p for p in folder.glob("*.y*ml") if p.is_file())
    )
    library = read_cases(files)
    if questionnaire is not None:
        wanted = load_questionnaire(questionnaire).id
        library = [c for c in library if c.questionnaire == wanted]
        if not library:
            fail(f"no teaching cases for the questionnaire '{wanted}'")
    if not library:
        fail(f"no teaching cases in {folder / 'cases' if cases_dir is None else folder}")
    if list_cases:
        for c in library:
            sys.stdout.write(f"{c.id}\t{c.title}\n")
        return
    try:
        chosen = find_case(library, case) if case is not None else None
    except UserError as error:
        # No file to name: said like every other error of the command line.
        fail("\n".join(f"{d.severity} {d.code}: {d.message}" for d in error.diagnostics))
    if guess is not None or level is not None or imaging is not None or answers is not None:
        if chosen is None or guess is None or level is None:
            fail("scripted grading needs --case, --guess and --level", Exit.USAGE)
        grade_scripted(chosen, guess, level, imaging, answers, format)
        return
    if not (plain or sys.stdin.isatty()):
        fail(
            "practice asks questions, and standard input is not a terminal: use --plain for "
            "numbered prompts, or grade a call with --case ID --guess CONDITION --level LEVEL",
        )
    from hamstring_cli.practice_session import PracticeStopped, run_sitting

    try:
        run_sitting(library, first=chosen.id if chosen else None, seed=seed, auto=auto, plain=plain)
    except PracticeStopped as stopped:
        fail(str(stopped), Exit.INTERRUPTED if stopped.interrupted else Exit.BAD_INPUT)


def grade_scripted(
    case: Case,
    guess: str,
    level: str,
    imaging: str | None,
    answers: str | None,
    format: PracticeFormat,
) -> None:
    """Grade one call on a case without prompting, and print the feedback."""
    from hamstring_cli.cases import case_questionnaire, run_case
    from hamstring_cli.practice import Guess, check_guess, feedback

    q = case_questionnaire(case)
    run = run_case(case, q)
    call = Guess(guess, level, imaging)
    bad = check_guess(q, call)
    if bad:
        options = {"leading": "--guess", "level": "--level", "imaging": "--imaging"}
        fail("; ".join(b.words(options[b.item]) for b in bad), Exit.USAGE)
    path_answers = answers_on_path(q, answers) if answers is not None else run.answers
    shown = feedback(
        q,
        case_id=case.id,
        case_title=case.title,
        expected=case.expected,
        teaching_points=case.teaching_points,
        answers=path_answers,
        guess=call,
        patient_answers=run.answers if answers is not None else None,
    )
    if format is PracticeFormat.json:
        from hamstring_cli.report import to_json

        sys.stdout.write(to_json(shown.to_dict()))
        return
    from hamstring_cli.practice_session import make_console, render_feedback

    render_feedback(shown, case, make_console())


def answers_on_path(q: Questionnaire, source: str) -> dict[str, Answer]:
    """Read an answer file and walk it as ``triage`` does: the answers on the path, in order."""
    from hamstring_cli.answers import read_answers

    return scripted_answers(q, read_answers(source, q))


@app.command()
def explain(
    answers: Annotated[
        str,
        typer.Option(
            "--answers",
            "-a",
            help="An answer file (YAML or JSON); '-' reads standard input.",
            metavar="<path>",
        ),
    ],
    questionnaire: QuestionnaireOption = DEFAULT_QUESTIONNAIRE,
    format: Annotated[
        PracticeFormat, typer.Option("--format", "-f", help="Plain text or JSON.")
    ] = PracticeFormat.text,
) -> None:
    """The result with each answer's contribution, and the single changes that would change it."""
    from hamstring_cli.explain import explain as explain_answers

    q = load_questionnaire(questionnaire)
    explanation = explain_answers(q, answers_on_path(q, answers))
    if format is PracticeFormat.json:
        from hamstring_cli.report import to_json

        sys.stdout.write(to_json(explanation.to_dict()))
    else:
        sys.stdout.write(explanation.to_text())


class ExportFormat(str, enum.Enum):
    """Output formats of ``export``."""

    fhir = "fhir"


@app.command()
def export(
    format: Annotated[
        ExportFormat,
        typer.Option("--format", "-f", help="fhir: an R4 Questionnaire with SDC extensions."),
    ],
    questionnaire: QuestionnaireOption = DEFAULT_QUESTIONNAIRE,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write it to this file.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the --output file if it exists.")
    ] = False,
) -> None:
    """The question tree for other tools: a FHIR Questionnaire for forms renderers."""
    from hamstring_cli.fhir.questionnaire import questionnaire_json
    from hamstring_cli.files import write_private
    from hamstring_cli.report import write_stdout

    def warn(line: str) -> None:
        sys.stderr.write(f"hamstring: warning: {line}\n")

    text = escape_json(questionnaire_json(load_questionnaire(questionnaire), warn=warn))
    if output is None:
        write_stdout(text)
        return
    write_private(output, text.encode("utf-8"), force=force)
    say(f"wrote the FHIR Questionnaire to {output}")


class GraphFormat(str, enum.Enum):
    """Output formats of ``graph``."""

    mermaid = "mermaid"
    dot = "dot"


@app.command()
def graph(
    questionnaire: QuestionnaireOption = DEFAULT_QUESTIONNAIRE,
    format: Annotated[
        GraphFormat, typer.Option("--format", "-f", help="Mermaid flowchart or Graphviz DOT.")
    ] = GraphFormat.mermaid,
) -> None:
    """The question tree as a picture: questions, the routes between them, and the outcomes."""
    from hamstring_cli.graph import render

    sys.stdout.write(render(load_questionnaire(questionnaire), format.value))


def typer_status() -> int:
    """Run the typer app and return its exit status, every known error printed, not raised."""
    settled()  # any command may run long here (an intake, practice, an export)
    return guarded(app)


def run() -> None:
    """Run the typer command line alone as the ``hamstring`` command, and exit.

    As :func:`hamstring_cli.__main__.main` runs it behind the fast lane: the standard streams
    readied, and a fault of standard output an exit, never a traceback.
    """
    run_entry(typer_status)
