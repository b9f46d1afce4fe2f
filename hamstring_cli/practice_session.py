"""Practice in a terminal: a case's story, the history, the student's call, then the feedback.

Rich draws the story, the tables and the feedback; the prompts are the intake's own
(:func:`hamstring_cli.interactive.question_ask` describes them, and interactive's prompt
functions show them with questionary or as numbered lines), so practice looks and answers like
the intake. Both libraries are imported only when a session runs.

The student commits to a leading condition, a triage level and an imaging decision before
anything of the result is shown: the history is taken here rather than through
``interactive.intake``, which draws red-flag panels as they are raised and the summary at the
end, and saves a session file, none of which belongs in an exercise on a fictional patient.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, TextIO, cast

from hamstring_cli.cases import EXAMINED, Case, CaseRun, case_questionnaire, run_case
from hamstring_cli.engine import Back, Session
from hamstring_cli.errors import HamstringError, InvalidAnswer
from hamstring_cli.explain import Change
from hamstring_cli.model import NO_IMAGING, Answer, Question, Questionnaire
from hamstring_cli.practice import (
    Feedback,
    Guess,
    Tally,
    feedback,
    imaging_choices,
    sitting_order,
)
from hamstring_cli.render.words import plural

if TYPE_CHECKING:
    from rich.console import Console

    from hamstring_cli.interactive import Ask

__all__ = [
    "ANOTHER",
    "IMAGING",
    "LEADING",
    "LEVEL",
    "MORE",
    "PracticeStopped",
    "ask_guess",
    "is_plain",
    "make_console",
    "practise",
    "render_feedback",
    "run_sitting",
    "show_answers",
    "show_story",
    "take_history",
    "what_if_lines",
]

#: The prompt keys of the student's call and the menu after each case.
LEADING, LEVEL, IMAGING, ANOTHER = "guess-leading", "guess-level", "guess-imaging", "another"
MORE = "more"
#: The most separating findings listed for each condition before 'and N more'.
_SEPARATING = 3
_MARK = {True: "right", False: "wrong", None: "not graded"}


class PracticeStopped(HamstringError):
    """The sitting stopped early: Ctrl-C (``interrupted``) or the input ended. Carries the tally."""

    def __init__(self, tally: Tally, *, interrupted: bool) -> None:
        self.tally = tally
        self.interrupted = interrupted
        why = "interrupted" if interrupted else "the input ended"
        super().__init__(f"{why}; {tally.words()}")


def make_console(
    stream: IO[str] | None = None, *, plain: bool = False, width: int | None = None
) -> Console:
    """A console for practice: plain (no colour, no boxes) with ``--plain`` or off a terminal.

    Args:
        stream: where to write (default: standard output).
        plain: no colour and no boxes, whatever the stream.
        width: a fixed width (default: the terminal's, or 80).
    """
    from rich.console import Console

    return Console(
        file=stream or sys.stdout,
        width=width,
        highlight=False,
        markup=False,
        emoji=False,
        force_terminal=False if plain else None,
        no_color=True if plain else None,
    )


def is_plain(console: Console) -> bool:
    """Whether to draw without colour or boxes."""
    return not console.is_terminal or console.no_color


@dataclass
class _Prompter:
    """Shows one prompt: questionary on a terminal, numbered lines with ``--plain``."""

    plain: bool
    stream: TextIO

    def __call__(self, ask: Ask) -> object:
        from hamstring_cli import interactive

        if self.plain:
            return interactive.prompt_plain(ask, self.stream)
        return interactive.prompt(ask)


# ---------------------------------------------------------------------------------------------
# The sitting


def run_sitting(
    cases: Sequence[Case],
    *,
    first: str | None = None,
    seed: int | None = None,
    auto: bool = False,
    plain: bool = False,
    console: Console | None = None,
    prompt: Callable[[Ask], object] | None = None,
) -> Tally:
    """Practise cases one after another until the student stops; return the tally.

    Args:
        cases: the case library.
        first: the id of the case to start with (the rest follow in a shuffled order).
        seed: seeds the shuffle, so the same seed gives the same sequence.
        auto: use each case's answers (shown as a table) instead of taking the history.
        plain: numbered prompts and no colour or boxes.
        console: where to draw (default: standard output).
        prompt: shows one prompt and returns the answer (default: questionary, or numbered
            lines with ``plain``); tests pass their own.

    Raises:
        PracticeStopped: Ctrl-C or the end of the input; carries the tally so far.
        CaseError: a case does not fit its questionnaire.
    """
    console = console or make_console(plain=plain)
    prompt = prompt or _Prompter(plain, cast(TextIO, console.file))
    by_id = {c.id: c for c in cases}
    # S311: a shuffle for teaching, not for security.
    order = sitting_order(list(by_id), first, random.Random(seed))  # noqa: S311
    loaded: dict[str, Questionnaire] = {}
    tally = Tally()
    try:
        for number, case_id in enumerate(order, start=1):
            case = by_id[case_id]
            run = run_case(case, case_questionnaire(case, loaded))
            mark = practise(run, number=number, auto=auto, console=console, prompt=prompt)
            tally = tally.add(mark.grade)
            _line(console, f"Score so far: {tally.words()}.", "bold")
            if number == len(order):
                _line(console, "That was the last case.")
                break
            if not _another(prompt):
                break
    except KeyboardInterrupt:
        raise PracticeStopped(tally, interrupted=True) from None
    except EOFError:
        raise PracticeStopped(tally, interrupted=False) from None
    _line(console, "")
    _line(console, f"Final score: {tally.words()}.", "bold")
    return tally


def practise(
    run: CaseRun,
    *,
    number: int,
    auto: bool,
    console: Console,
    prompt: Callable[[Ask], object],
) -> Feedback:
    """One case: the story, the history (or the case's answers), the call, the feedback."""
    case, q = run.case, run.questionnaire
    show_story(case, console, number=number)
    if auto:
        show_answers(q, run.answers, console)
        answers, history = run.answers, None
    else:
        _line(console, "Take the history: answer each question as this patient would.", "dim")
        answers = take_history(q, prompt, console, preset=_examination(case))
        history = run.answers
    guess = ask_guess(q, prompt, console)
    shown = feedback(
        q,
        case_id=case.id,
        case_title=case.title,
        expected=case.expected,
        teaching_points=case.teaching_points,
        answers=answers,
        guess=guess,
        patient_answers=history,
    )
    # One screen of feedback, then the rest on request.
    render_feedback(shown, case, console, more=lambda: _more(prompt))
    return shown


def _more(prompt: Callable[[Ask], object]) -> bool:
    return _yes_no(
        prompt,
        MORE,
        "More: the result, what would change it, and why?",
        "Yes, show more",
        "No, go on",
    )


def _another(prompt: Callable[[Ask], object]) -> bool:
    return _yes_no(prompt, ANOTHER, "Another case?", "Yes, another case", "No, finish here")


def _yes_no(prompt: Callable[[Ask], object], key: str, question: str, yes: str, no: str) -> bool:
    """Ask a yes-or-no step of the session (yes by default)."""
    from hamstring_cli.interactive import Ask, Choice

    choices = (Choice(yes, True, "1"), Choice(no, False, "2"))
    return prompt(Ask(key, "select", question, choices, default=True)) is True


# ---------------------------------------------------------------------------------------------
# The parts of a case


def show_story(case: Case, console: Console, *, number: int = 1) -> None:
    """The case's title and story, in a panel on a terminal."""
    from rich.panel import Panel
    from rich.text import Text

    title = f"Case {number}: {case.title}"
    console.print()
    if is_plain(console):
        _line(console, f"== {title} ==")
        _line(console, case.story)
        return
    console.print(Panel(Text(case.story), title=Text(f" {title} ", style="bold cyan"), expand=True))


def show_answers(q: Questionnaire, answers: dict[str, Answer], console: Console) -> None:
    """The patient's answers as a table (plain lines off a terminal)."""
    from rich import box
    from rich.table import Table

    console.print()
    if is_plain(console):
        _line(console, "The patient's answers:")
        for number, (qid, answer) in enumerate(answers.items(), start=1):
            question = q.question(qid)
            _line(console, f"{number}. {question.prompt} {question.words(answer)}")
        return
    table = Table(title="The patient's answers", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Question", ratio=3)
    table.add_column("Answer", ratio=2, style="bold")
    for number, (qid, answer) in enumerate(answers.items(), start=1):
        question = q.question(qid)
        table.add_row(str(number), question.prompt, question.words(answer))
    console.print(table)


def _examination(case: Case) -> dict[str, object]:
    """Whether the patient was examined, answered from the case: never for the student to invent."""
    return {EXAMINED: "yes" if case.was_examined else "no"}


def take_history(
    q: Questionnaire,
    prompt: Callable[[Ask], object],
    console: Console,
    *,
    preset: Mapping[str, object] | None = None,
) -> dict[str, Answer]:
    """Walk the questionnaire with the student answering; Back goes to the previous question.

    Questions in ``preset`` are answered from the case and said, not asked: a patient who was
    not examined has no examination findings for the student to invent.
    """
    from hamstring_cli.interactive import interpret, question_ask

    session = Session(q)
    section = ""
    given = {k: v for k, v in (preset or {}).items() if k in q.by_id}
    while (question := session.current) is not None:
        if question.id in given:
            try:
                session.answer(given[question.id])
            except InvalidAnswer:
                del given[question.id]  # not one of its options: the student answers it
                continue
            answer = session.answers[question.id]
            _line(console, f"{question.prompt} {question.words(answer)} (from the case)", "dim")
            if question.id == EXAMINED and answer == "no":
                _line(console, "Not examined: there are no examination findings to record.", "dim")
            continue
        if question.section and question.section != section:
            section = question.section
            console.print()
            _line(console, f"== {section} ==" if is_plain(console) else section, "bold cyan")
        position = session.position()
        ask = question_ask(question, session.answers.get(question.id), position.number > 1)
        raw = interpret(ask, prompt(ask))
        if isinstance(raw, Back):
            session.back()
            # Past the answers taken from the case: going back to them would only repeat them.
            while (
                session.current is not None
                and session.current.id in given
                and session.position().number > 1
            ):
                session.back()
            continue
        _answer(session, question, raw, console)
    return session.path_answers


def _answer(session: Session, question: Question, raw: object, console: Console) -> None:
    try:
        session.answer(raw)
    except InvalidAnswer as refused:
        # The prompts check answers first; this is a last guard, so say it and ask again.
        _line(console, str(refused), "bold yellow")


def ask_guess(q: Questionnaire, prompt: Callable[[Ask], object], console: Console) -> Guess:
    """The student's call: leading condition, triage level, imaging; nothing is shown first."""
    from hamstring_cli.interactive import Ask, Choice

    console.print()
    _line(console, "Your call, before the result is shown:", "bold")
    keys = "123456789"
    conditions = tuple(
        Choice(c.label, c.id, keys[i]) for i, c in enumerate(q.outcomes.conditions[:9])
    )
    levels = tuple(
        Choice(f"{words.label}: {words.timeframe}" if words.timeframe else words.label, lv, keys[i])
        for i, (lv, words) in enumerate(q.outcomes.levels.items())
    )
    # The questionnaire's own studies, each as the format spells it ('MRI', 'X-ray').
    imaging = tuple(
        Choice("No imaging now" if m == NO_IMAGING else m[:1].upper() + m[1:], m, keys[i])
        for i, m in enumerate(imaging_choices(q))
    )
    leading = prompt(Ask(LEADING, "select", "Leading condition?", conditions))
    level = prompt(Ask(LEVEL, "select", "Triage level?", levels))
    first_imaging = prompt(Ask(IMAGING, "select", "First imaging to order?", imaging))
    return Guess(str(leading), str(level), str(first_imaging))


# ---------------------------------------------------------------------------------------------
# Feedback


def _words(q: Questionnaire, qid: str, answer: Answer | None) -> str:
    if answer is None:
        return "(not asked)"
    return q.question(qid).words(answer) if qid in q.by_id else str(answer)


def what_if_lines(q: Questionnaire, changes: Sequence[Change], *, leading: bool) -> list[str]:
    """The single-answer changes in words, grouped: one line for each question and outcome.

    'How old is the patient? 18, 26, 40 or 65 years would change the leading condition to
    ...', and for a list of ticks, 'Ticking any of ... would make the level emergency'.
    """
    groups: dict[tuple[str, str, str, str], list[str]] = {}
    for change in changes:
        question = q.question(change.question)
        before, after = change.before, change.after
        if isinstance(before, tuple) and isinstance(after, tuple):
            added = [v for v in after if v not in before]
            removed = [v for v in before if v not in after]
            verb, value = ("Ticking", added[0]) if added else ("Unticking", removed[0])
            option = question.option(value)
            label = option.label if option else value
            key = (question.id, verb, change.leading, change.level)
            groups.setdefault(key, []).append(f"'{label}'")
        else:
            key = (question.id, "", change.leading, change.level)
            groups.setdefault(key, []).append(_answer_words(question, after))
    lines = []
    for (qid, verb, new_leading, level), values in groups.items():
        question = q.question(qid)
        outcome = (
            f"would change the leading condition to {_label(q, new_leading)} ({level})"
            if leading
            else f"would make the level {level}"
        )
        if verb:
            which = values[0] if len(values) == 1 else f"any of {_or(values)}"
            lines.append(f"{question.prompt} {verb} {which} {outcome}")
        else:
            said = _or(values)
            if question.unit:  # only a question with a range has a unit
                said = f"{said} {question.unit}" if values != ["1"] else plural(1, question.unit)
            lines.append(f"{question.prompt} {said} {outcome}")
    return lines


def _answer_words(question: Question, answer: Answer | None) -> str:
    if answer is None:
        return "(not asked)"
    if isinstance(answer, int) and question.unit:
        return str(answer)  # the unit is said once, after the last number
    return question.words(answer)


def _or(values: Sequence[str]) -> str:
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


def _label(q: Questionnaire, condition_id: str) -> str:
    found = q.outcomes.condition(condition_id)
    return found.label if found else condition_id


def render_feedback(
    shown: Feedback,
    case: Case,
    console: Console,
    *,
    more: Callable[[], bool] | None = None,
) -> None:
    """The marks, what separates the top two and the teaching points; then, if ``more`` says
    so (always when it is None), the result, what would change it and the references.

    Each thing is said once: a finding that separates the two leading conditions is listed
    once, without its aside, and single-answer changes to one question are grouped.
    """
    # Written in one piece, counted, so that the first screen leaves room for the More question.
    with console.capture() as captured:
        console.print()
        _show_marks(shown, case, console)
        _show_history_differences(shown, console)
        _show_separating(shown, console)
        _heading(console, "Teaching points")
    head = captured.get()
    console.file.write(head)
    later = _show_first_points(shown, console, room=_FIRST_SCREEN - head.count("\n") - 1, more=more)
    if more is not None and not more():
        return
    for text in later:
        _line(console, text, indent="   ")
    _show_result(shown, case, console)


_NAMES = {"leading": "Leading condition", "level": "Triage level", "imaging": "Imaging"}
#: One row of the marks: what is marked, what the student said, what was expected, the mark.
_Row = tuple[str, str | None, str, bool | None]


def _call_words(q: Questionnaire, item: str, value: str) -> str:
    return _label(q, value) if item == "leading" else value


def _show_marks(shown: Feedback, case: Case, console: Console) -> None:
    """The student's call against the expected one: one line when all is right, else a table
    (numbered lines when plain)."""
    rows: list[_Row] = [
        (item, getattr(shown.guess, item), getattr(shown.expected, item), mark)
        for item, mark in (
            ("leading", shown.grade.leading),
            ("level", shown.grade.level),
            ("imaging", shown.grade.imaging),
        )
    ]
    q = shown.result.questionnaire
    if shown.grade.all:
        # Nothing to set side by side: one line says it.
        said = "; ".join(
            _call_words(q, item, given)
            for item, given, _, mark in rows
            if mark is not None and given
        )
        plain = is_plain(console)
        heading = f"== Your call: {case.title} ==" if plain else f"Your call: {case.title}"
        _line(console, heading, "bold")
        _line(console, f"All right: {said}.", "bold green")
    elif is_plain(console):
        _show_marks_plain(q, case, rows, console)
    else:
        _show_marks_table(q, case, rows, console)


def _show_marks_plain(q: Questionnaire, case: Case, rows: list[_Row], console: Console) -> None:
    _line(console, f"== Your call: {case.title} ==")
    for item, given, expected, mark in rows:
        said = _call_words(q, item, given) if given is not None else "-"
        right = _call_words(q, item, expected)
        _line(console, f"{_NAMES[item]}: you said {said}; expected {right}: {_MARK[mark]}")
    _line(console, "Not all right: see below.")


def _show_marks_table(q: Questionnaire, case: Case, rows: list[_Row], console: Console) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Your call: {case.title}", title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("", "You said", "Expected", ""):
        table.add_column(column)
    for item, given, expected, mark in rows:
        style = {True: "bold green", False: "bold red", None: "dim"}[mark]
        said = _call_words(q, item, given) if given is not None else "-"
        table.add_row(
            _NAMES[item], said, _call_words(q, item, expected), Text(_MARK[mark], style=style)
        )
    console.print(table)
    _line(console, "Not all right: see below.", "bold red")


def _show_history_differences(shown: Feedback, console: Console) -> None:
    """Where the history the student took differs from what the patient would have said."""
    if not shown.history:
        return
    q = shown.result.questionnaire
    _heading(console, "Where your history differs from the patient's")
    for diff in shown.history:
        prompt = q.question(diff.question).prompt if diff.question in q.by_id else diff.question
        _bullet(
            console,
            f"{prompt} You recorded: {_words(q, diff.question, diff.given)}; "
            f"the patient would say: {_words(q, diff.question, diff.patient)}.",
        )


def _show_separating(shown: Feedback, console: Console) -> None:
    """The findings that separate the leading condition from the runner-up, the strongest
    first, a few for each."""
    from hamstring_cli.render.words import without_asides

    runner_up = shown.runner_up
    if runner_up is None:
        return
    q = shown.result.questionnaire
    leader = shown.result.leading
    _heading(console, f"What separates {_label(q, leader)} from {_label(q, runner_up)}")
    if not shown.discriminating:
        _bullet(console, "Nothing: the same answers count for both.")
    for favours in (leader, runner_up):
        ranked = sorted(
            (d for d in shown.discriminating if d.favours == favours),
            key=lambda d: -d.finding.weight,
        )
        found = list(dict.fromkeys(without_asides(d.finding.text) for d in ranked))
        if found:
            rest = len(found) - _SEPARATING
            tail = f"; and {rest} more in the result" if rest > 0 else ""
            listed = "; ".join(found[:_SEPARATING])
            _bullet(console, f"For {_label(q, favours)}: {listed}{tail}.")


def _show_first_points(
    shown: Feedback, console: Console, *, room: int, more: Callable[[], bool] | None
) -> list[str]:
    """The teaching points that fit the first screen (all of them when ``more`` is None);
    returns the ones left for after the More question."""
    points = [
        f"{number}. {point.text} [{point.source}]"
        for number, point in enumerate(shown.teaching_points, start=1)
    ]
    # The first screen ends with the More question: the points that do not fit come after it.
    first: list[str] = []
    for text in points:
        need = _wrapped_height(console, text, "   ")
        if more is not None and need > room and first:
            break
        first.append(text)
        room -= need
    for text in first:
        _line(console, text, indent="   ")
    later = points[len(first) :]
    if later:
        _line(console, f"{len(later)} more teaching point{'s' * (len(later) > 1)} below.", "dim")
    return later


def _show_result(shown: Feedback, case: Case, console: Console) -> None:
    """The result on the student's history, the single answers that would change it, the
    reasoning and the sources of the teaching points."""
    from hamstring_cli.render.text import render_decision, render_reasoning

    q = shown.result.questionnaire
    console.print()
    _line(console, "The result on this history:", "bold")
    render_decision(shown.result, console)
    if shown.leading_changes:
        _heading(console, "One answer that would change the leading condition")
        for line in what_if_lines(q, shown.leading_changes, leading=True):
            _bullet(console, line)
    if shown.level_changes:
        _heading(console, "One answer that would change only the triage level")
        for line in what_if_lines(q, shown.level_changes, leading=False):
            _bullet(console, line)
    console.print()
    render_reasoning(shown.result, console)
    cited = dict.fromkeys(p.source for p in shown.teaching_points)
    if cited:
        _heading(console, "Sources of the teaching points")
        for source in cited:
            _line(console, f"[{source}] {case.citation(source, q)}", "dim")


#: Lines of feedback before the More question, so that both fit an 80x24 screen.
_FIRST_SCREEN = 19


def _wrapped_height(console: Console, text: str, indent: str) -> int:
    import textwrap

    return len(
        textwrap.wrap(
            " ".join(text.split()),
            max(console.width - 1, 20),
            subsequent_indent=indent,
            break_on_hyphens=False,
        )
    )


def _heading(console: Console, text: str) -> None:
    console.print()
    _line(console, text, "bold")


def _bullet(console: Console, text: str) -> None:
    _line(console, f"- {text}", indent="  ")


def _line(console: Console, text: str, style: str = "", *, indent: str = "") -> None:
    import textwrap

    from rich.text import Text

    # Wrapped here, so that no line ends in spaces and a bullet's lines hang under it.
    lines = textwrap.wrap(
        " ".join(text.split()),
        max(console.width - 1, 20),
        subsequent_indent=indent,
        break_on_hyphens=False,
    )
    console.print(Text("\n".join(lines), style="" if is_plain(console) else style))
