"""The command line: arguments, exit codes, and the one funnel that prints errors.

Layer 3. Nothing imports this module. Heavy imports (rich, questionary) happen inside the
commands that draw on a terminal, so ``hamstring --version`` and scripted runs stay lean.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from hamstring_cli import __version__
from hamstring_cli.errors import Diagnostic, HamstringError, MissingAnswers, UserError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from hamstring_cli.cases import Case
    from hamstring_cli.model import Answer, Questionnaire


class Exit(enum.IntEnum):
    """Exit statuses, as the README documents them."""

    OK = 0
    BAD_INPUT = 1
    USAGE = 2
    FAIL_ON = 3
    INTERRUPTED = 130


DEFAULT_QUESTIONNAIRE = "proximal-hamstring"

app = typer.Typer(
    name="hamstring",
    help=(
        "Triage questionnaire for pain at the back of the thigh and buttock: acute proximal "
        "hamstring rupture or tendinopathy, the other differentials, red flags and imaging. "
        "Decision support for clinicians and students, not a diagnosis."
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
        ctx.invoke(triage)


def load(name: str) -> Questionnaire:
    """Load a questionnaire by path or bundled id (errors reach the funnel)."""
    # Through the cache: a run skips the YAML parse of a file already loaded and checked.
    from hamstring_cli.cache import load_questionnaire_cached
    from hamstring_cli.resources import resolve_questionnaire

    return load_questionnaire_cached(resolve_questionnaire(name))


def print_diagnostics(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> None:
    """Print diagnostics to standard error, one a line, compiler style."""
    for d in diagnostics:
        sys.stderr.write(f"{d}\n")


def fail(message: str, status: Exit = Exit.BAD_INPUT) -> NoReturn:
    """Print an error message to standard error and exit with ``status``."""
    sys.stderr.write(f"hamstring: {message}\n")
    raise typer.Exit(int(status))


@app.command("list")
def list_questionnaires() -> None:
    """List the bundled questionnaires: id, version and title."""
    from hamstring_cli.loader import load_questionnaire
    from hamstring_cli.resources import bundled_questionnaires

    for path in bundled_questionnaires():
        q = load_questionnaire(path)
        sys.stdout.write(f"{q.id}\t{q.version}\t{q.title}\n")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the questionnaire format (for editors)."""
    import json

    from hamstring_cli.schema import json_schema

    sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")


@app.command()
def check(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help=(
                "Questionnaire or teaching-case files (default: the bundled questionnaire and "
                "its teaching cases)."
            ),
            metavar="[FILE]...",
        ),
    ] = None,
) -> None:
    """Check questionnaires as a whole: exit 0 when clean, 1 with errors (warnings do not fail)."""
    from hamstring_cli.cases import bundled_cases, check_case_file
    from hamstring_cli.checks import check as check_questionnaire
    from hamstring_cli.loader import load_questionnaire
    from hamstring_cli.resources import bundled_dir, resolve_questionnaire

    paths = files or [resolve_questionnaire(DEFAULT_QUESTIONNAIRE), *bundled_cases(bundled_dir())]
    failed = False
    loaded: dict[str, Questionnaire] = {}
    for path in paths:
        # A file whose top level has 'story' and 'answers' is a teaching case.
        found = check_case_file(path, loaded)
        if found is not None:
            print_diagnostics(found)
            errors = sum(d.severity == "error" for d in found)
            failed = failed or errors > 0
            warned = len(found) - errors
            verdict = f"{errors} error{'s' * (errors != 1)}" if errors else "ok"
            sys.stderr.write(f"{path}: {verdict}: teaching case, {warned} warnings\n")
            continue
        try:
            q = load_questionnaire(path)
        except UserError as error:
            print_diagnostics(error.diagnostics)
            failed = True
            continue
        warnings = [d for d in check_questionnaire(q) if d.severity == "warning"]
        print_diagnostics(warnings)
        sys.stderr.write(f"{path}: ok: {len(q.questions)} questions, {len(warnings)} warnings\n")
    if failed:
        raise typer.Exit(int(Exit.BAD_INPUT))


class Format(str, enum.Enum):
    """Report formats of ``triage``."""

    text = "text"
    markdown = "markdown"
    json = "json"


class Level(str, enum.Enum):
    """Triage levels for ``--fail-on``, most pressing first."""

    emergency = "emergency"
    urgent = "urgent"
    soon = "soon"
    routine = "routine"


@app.command()
def triage(
    answers: Annotated[
        str | None,
        typer.Option(
            "--answers", "-a", help="An answer file (YAML or JSON); '-' reads standard input."
        ),
    ] = None,
    questionnaire: QuestionnaireOption = DEFAULT_QUESTIONNAIRE,
    format: Annotated[
        Format, typer.Option("--format", "-f", help="The report format.")
    ] = Format.text,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report to this file (private, 0600)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the --output file if it exists.")
    ] = False,
    fail_on: Annotated[
        Level | None,
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
    from hamstring_cli.answers import AnswerSet, read_answers
    from hamstring_cli.report import emit, reaches
    from hamstring_cli.scoring import score

    q = load(questionnaire)
    # An AnswerSet keeps where each answer was given, for the warnings about unused ones.
    given = read_answers(resume, q) if resume is not None else AnswerSet()
    if answers is not None:
        given.update(read_answers(answers, q))
    interactive = plain or sys.stdin.isatty()
    if interactive and output is not None and output.exists() and not force:
        # Refuse now, not after the whole intake has been answered.
        fail(f"{output} exists; use --force to overwrite it")
    if interactive:
        from hamstring_cli.interactive import intake
        from hamstring_cli.sessions import IntakeStopped

        try:
            path_answers = intake(
                q,
                given,
                plain=plain,
                session_file=session or resume,
                shown_format=format.value,
                offer_save=output is None,
            )
        except IntakeStopped as stopped:
            fail(str(stopped), Exit.INTERRUPTED if stopped.interrupted else Exit.BAD_INPUT)
    else:
        path_answers = scripted_answers(q, given)
    result = score(q, path_answers)
    # The intake has drawn the text summary on this terminal already: show it once.
    if not (interactive and format is Format.text and output is None and sys.stdout.isatty()):
        emit(result, format.value, output=output, force=force)
    if fail_on is not None and reaches(result, fail_on.value):
        raise typer.Exit(int(Exit.FAIL_ON))


def scripted_answers(q: Questionnaire, given: Mapping[str, Answer]) -> dict[str, Answer]:
    """Walk the tree with the given answers only; a missing answer is an error, never a prompt."""
    from hamstring_cli.engine import PresetAnswers, Session, drive

    try:
        session = drive(Session(q, given), PresetAnswers())
    except MissingAnswers as missing:
        if not given:
            fail(
                "no answers given, and standard input is not a terminal to ask them: give them "
                "with --answers FILE ('-' reads standard input), or answer line by line with "
                "--plain"
            )
        question = q.question(missing.question_id)
        allowed = ", ".join(question.allowed())
        fail(
            f"no answer for '{question.id}' ({question.prompt}); allowed: {allowed}. "
            "Add it to the --answers file, or run in a terminal to be asked."
        )
    from hamstring_cli.answers import unused_warnings

    print_diagnostics(unused_warnings(given, session.unused))
    return dict(session.path_answers)


class BatchFormat(str, enum.Enum):
    """Output formats of ``batch``."""

    jsonl = "jsonl"
    csv = "csv"


@app.command()
def batch(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help=(
                "Answer files; folders (their *.yaml, *.yml and *.json files, sorted); "
                ".jsonl files (one answer mapping a line, each line an input)."
            ),
            metavar="FILE|DIR...",
        ),
    ],
    questionnaire: QuestionnaireOption = DEFAULT_QUESTIONNAIRE,
    format: Annotated[
        BatchFormat, typer.Option("--format", "-f", help="One JSON result a line, or CSV.")
    ] = BatchFormat.jsonl,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the records to this file (private, 0600)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the --output file if it exists.")
    ] = False,
) -> None:
    """Score many answer files: one record per input, in input order; never prompts.

    A bad input becomes an error record (and a message on standard error); the others still
    run, and the exit status is 1.
    """
    from hamstring_cli.batch import run_batch

    q = load(questionnaire)
    _, failed = run_batch(q, inputs, fmt=format.value, output=output, force=force)
    if failed:
        raise typer.Exit(int(Exit.BAD_INPUT))


class PracticeFormat(str, enum.Enum):
    """Output formats of scripted ``practice`` grading and of ``explain``."""

    text = "text"
    json = "json"


class Imaging(str, enum.Enum):
    """The imaging decision a student commits to (the contract's modalities, or none)."""

    MRI = "MRI"
    x_ray = "X-ray"
    ultrasound = "ultrasound"
    none = "none"


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
    guess: Annotated[
        str | None,
        typer.Option(
            "--guess",
            help="Scripted grading: the leading condition to grade (needs --case and --level).",
            metavar="CONDITION",
        ),
    ] = None,
    level: Annotated[
        Level | None,
        typer.Option("--level", help="Scripted grading: the triage level.", case_sensitive=False),
    ] = None,
    imaging: Annotated[
        Imaging | None,
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
    if not library:
        fail(f"no teaching cases in {folder / 'cases' if cases_dir is None else folder}")
    if list_cases:
        for c in library:
            sys.stdout.write(f"{c.id}\t{c.title}\n")
        return
    chosen = find_case(library, case) if case is not None else None
    if guess is not None or level is not None or imaging is not None or answers is not None:
        if chosen is None or guess is None or level is None:
            fail("scripted grading needs --case, --guess and --level", Exit.USAGE)
        grade_scripted(chosen, guess, level.value, imaging, answers, format)
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
    imaging: Imaging | None,
    answers: str | None,
    format: PracticeFormat,
) -> None:
    """Grade one call on a case without prompting, and print the feedback."""
    from hamstring_cli.cases import case_questionnaire, run_case
    from hamstring_cli.practice import Guess, check_guess, feedback

    q = case_questionnaire(case)
    run = run_case(case, q)
    call = Guess(guess, level, imaging.value if imaging is not None else None)
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
            "--answers", "-a", help="An answer file (YAML or JSON); '-' reads standard input."
        ),
    ],
    questionnaire: QuestionnaireOption = DEFAULT_QUESTIONNAIRE,
    format: Annotated[
        PracticeFormat, typer.Option("--format", "-f", help="Plain text or JSON.")
    ] = PracticeFormat.text,
) -> None:
    """The result with each answer's contribution, and the single changes that would change it."""
    from hamstring_cli.explain import explain as explain_answers

    q = load(questionnaire)
    explanation = explain_answers(q, answers_on_path(q, answers))
    if format is PracticeFormat.json:
        from hamstring_cli.report import to_json

        sys.stdout.write(to_json(explanation.to_dict()))
    else:
        sys.stdout.write(explanation.to_text())


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

    sys.stdout.write(render(load(questionnaire), format.value))


def run() -> None:
    """The console entry point: run the app and turn every known error into a clean exit."""
    try:
        app()
    except UserError as error:
        print_diagnostics(error.diagnostics)
        sys.exit(int(Exit.BAD_INPUT))
    except MissingAnswers as missing:
        sys.stderr.write(f"hamstring: {missing}\n")
        sys.exit(int(Exit.BAD_INPUT))
    except HamstringError as error:
        sys.stderr.write(f"hamstring: {error}\n")
        sys.exit(int(Exit.BAD_INPUT))
    except KeyboardInterrupt:
        sys.stderr.write("\nhamstring: interrupted\n")
        sys.exit(int(Exit.INTERRUPTED))
