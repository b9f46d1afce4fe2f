"""Practice in a terminal: a case's story, the history, the student's call, then the feedback.

Layer 2. rich draws the story, the tables and the feedback; the prompts are the intake's own
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, TextIO, cast

from hamstring_cli.cases import Case, CaseRun, case_questionnaire, run_case
from hamstring_cli.engine import Back, Session
from hamstring_cli.errors import HamstringError, InvalidAnswer
from hamstring_cli.explain import Change
from hamstring_cli.model import Answer, Question, Questionnaire
from hamstring_cli.practice import (
    IMAGING_CHOICES,
    NO_IMAGING,
    Feedback,
    Guess,
    Tally,
    feedback,
    sitting_order,
)

if TYPE_CHECKING:
    from rich.console import Console

    from hamstring_cli.interactive import Ask

#: The prompt keys of the student's call and the menu after each case.
LEADING, LEVEL, IMAGING, ANOTHER = "guess-leading", "guess-level", "guess-imaging", "another"
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
        answers = take_history(q, prompt, console)
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
    render_feedback(shown, case, console)
    return shown


def _another(prompt: Callable[[Ask], object]) -> bool:
    from hamstring_cli.interactive import Ask, Choice

    ask = Ask(
        ANOTHER,
        "select",
        "Another case?",
        (Choice("Yes, another case", True, "1"), Choice("No, finish here", False, "2")),
        default=True,
    )
    return prompt(ask) is True


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


def take_history(
    q: Questionnaire, prompt: Callable[[Ask], object], console: Console
) -> dict[str, Answer]:
    """Walk the questionnaire with the student answering; Back goes to the previous question."""
    from hamstring_cli.interactive import interpret, question_ask

    session = Session(q)
    section = ""
    while (question := session.current) is not None:
        if question.section and question.section != section:
            section = question.section
            console.print()
            _line(console, f"== {section} ==" if is_plain(console) else section, "bold cyan")
        position = session.position()
        ask = question_ask(question, session.answers.get(question.id), position.number > 1)
        raw = interpret(ask, prompt(ask))
        if isinstance(raw, Back):
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
    imaging_words = {NO_IMAGING: "No imaging now", "ultrasound": "Ultrasound"}
    imaging = tuple(
        Choice(imaging_words.get(m, m), m, keys[i]) for i, m in enumerate(IMAGING_CHOICES)
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


def _change_words(q: Questionnaire, change: Change) -> str:
    """A single-answer change in words: a tick added or taken away, or one answer for another."""
    question = q.question(change.question)
    before, after = change.before, change.after
    if isinstance(before, tuple) and isinstance(after, tuple):
        added = [v for v in after if v not in before]
        removed = [v for v in before if v not in after]
        verb, value = ("ticking", added[0]) if added else ("unticking", removed[0])
        option = question.option(value)
        return f"{change.question}: {verb} '{option.label if option else value}'"
    return f"{change.question}: {question.words(before)} → {question.words(after)}"


def _label(q: Questionnaire, condition_id: str) -> str:
    found = q.outcomes.condition(condition_id)
    return found.label if found else condition_id


def render_feedback(shown: Feedback, case: Case, console: Console) -> None:
    """The marks, the result, what separates the top two, what-ifs and the teaching points."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from hamstring_cli.render.text import render_summary

    q = shown.result.questionnaire
    plain = is_plain(console)
    console.print()

    def words(item: str, value: str) -> str:
        return _label(q, value) if item == "leading" else value

    rows = [
        (item, getattr(shown.guess, item), getattr(shown.expected, item), mark)
        for item, mark in (
            ("leading", shown.grade.leading),
            ("level", shown.grade.level),
            ("imaging", shown.grade.imaging),
        )
    ]
    verdict = "All right." if shown.grade.all else "Not all right: see below."
    if plain:
        _line(console, f"== Your call: {case.title} ==")
        for item, given, expected, mark in rows:
            said = words(item, given) if given is not None else "-"
            _line(
                console, f"{item}: you said {said}; expected {words(item, expected)}: {_MARK[mark]}"
            )
        _line(console, verdict)
    else:
        table = Table(title=f"Your call: {case.title}", title_justify="left", box=box.SIMPLE_HEAD)
        for column in ("", "You said", "Expected", ""):
            table.add_column(column)
        for item, given, expected, mark in rows:
            style = {True: "bold green", False: "bold red", None: "dim"}[mark]
            said = words(item, given) if given is not None else "-"
            table.add_row(item, said, words(item, expected), Text(_MARK[mark], style=style))
        console.print(table)
        _line(console, verdict, "bold green" if shown.grade.all else "bold red")

    if shown.history:
        _heading(console, "Where your history differs from the patient's")
        for diff in shown.history:
            prompt = q.question(diff.question).prompt if diff.question in q.by_id else diff.question
            _bullet(
                console,
                f"{prompt} You recorded: {_words(q, diff.question, diff.given)}; "
                f"the patient would say: {_words(q, diff.question, diff.patient)}.",
            )

    console.print()
    _line(console, "The result on this history:", "bold")
    render_summary(shown.result, console)

    runner_up = shown.runner_up
    if runner_up is not None:
        leader = shown.result.leading
        _heading(console, f"What separates {_label(q, leader)} from {_label(q, runner_up)}")
        if not shown.discriminating:
            _bullet(console, "Nothing: the same answers count for both.")
        for favours, over in ((leader, runner_up), (runner_up, leader)):
            found = [d for d in shown.discriminating if d.favours == favours]
            if not found:
                continue
            _line(console, f"For {_label(q, favours)}, not for {_label(q, over)}:")
            for d in found:
                against = "; ".join(f.text for f in d.other)
                tail = f" (and against {_label(q, over)}: {against})" if against else ""
                _bullet(console, f"{d.finding.text} [{d.finding.source}]{tail}")
    if shown.leading_changes:
        _heading(console, "One answer that would change the leading condition")
        for c in shown.leading_changes:
            _bullet(console, f"{_change_words(q, c)}: {_label(q, c.leading)} ({c.level})")
    if shown.level_changes:
        _heading(console, "One answer that would change only the triage level")
        for c in shown.level_changes:
            _bullet(console, f"{_change_words(q, c)}: {c.level}")
    _heading(console, "Teaching points")
    for number, point in enumerate(shown.teaching_points, start=1):
        _line(console, f"{number}. {point.text} [{point.source}]")
    cited = dict.fromkeys(p.source for p in shown.teaching_points)
    if cited:
        console.print()
        for source in cited:
            _line(console, f"[{source}] {case.citation(source, q)}", "dim")


def _heading(console: Console, text: str) -> None:
    console.print()
    _line(console, text, "bold")


def _bullet(console: Console, text: str) -> None:
    _line(console, f"- {text}")


def _line(console: Console, text: str, style: str = "") -> None:
    from rich.text import Text

    console.print(Text(text, style="" if is_plain(console) else style))
