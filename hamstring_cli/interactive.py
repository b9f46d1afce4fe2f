"""The interactive intake: the questions in a terminal, back and review, red flags, the summary.

Layer 2, and the only module that imports questionary and prompt_toolkit (ruff's banned-api
rule allows them nowhere else). Every prompt is first described as an :class:`Ask` (plain data),
then shown by exactly one function: :func:`ask`, with questionary, or :func:`prompt_plain`, with
numbered lines read one at a time for ``--plain`` (screen readers, dumb terminals, pipes).
Tests replace :func:`ask` to drive whole intakes without a terminal.

The walk itself is the engine's: the terminal is an :class:`~hamstring_cli.engine.AnswerSource`
for :func:`~hamstring_cli.engine.drive`, as an answer file is. Before each question the session
file is saved and any red flag the answers so far raise is shown, so a Ctrl-C loses nothing and
an emergency is seen when it is answered, not at the end.

The conversation goes to standard output when it is a terminal, else to standard error, so that
``hamstring triage --format json > result.json`` still asks on the terminal and leaves the file
clean. Questionary is imported only when the first prompt is shown.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

from hamstring_cli.engine import BACK, Back, Session, drive
from hamstring_cli.errors import InvalidAnswer
from hamstring_cli.model import Answer, Question, Questionnaire, RedFlagRule, fill, holds
from hamstring_cli.report import OutputError, render, write_private
from hamstring_cli.scoring import Result, score
from hamstring_cli.sessions import IntakeStopped, SessionFile, SessionFileError

if TYPE_CHECKING:
    from prompt_toolkit.output import Output
    from rich.console import Console


class _Marker:
    """A choice value that no option can have (compared by identity)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


#: The value of the explicit "None of these" choice of a multi question.
NONE_OF_THESE = _Marker("none of these")

# Keys of the prompts that are not questions (tests answer them by these keys).
REVIEW = "review"
CHANGE = "change"
SAVE = "save"
SAVE_PATH = "save-path"
OVERWRITE = "overwrite"

# Values of the menu choices.
SHOW_SUMMARY = "summary"
CHANGE_ANSWER = "change"
NO_REPORT = "none"
REPLACE = "replace"
KEEP = "keep"

BACK_TITLE = "← Back"
_BACK_WORDS = ("b", "back")
# Option keys: digits first, then letters; b is Back, and j/k move the pointer in questionary.
_KEYS = "123456789acdefghilmnopqrstuvwxyz"


@dataclass(frozen=True, slots=True)
class Choice:
    """One entry of a select or checkbox prompt."""

    title: str
    value: object
    key: str = ""
    help: str = ""


@dataclass(frozen=True, slots=True)
class Ask:
    """One prompt, as plain data: what to ask, and how an answer is checked.

    Attributes:
        key: the question id, or the name of a menu (:data:`REVIEW`, :data:`SAVE`, ...).
        kind: ``select`` (one choice), ``checkbox`` (several) or ``text``.
        message: the prompt line.
        choices: for select and checkbox.
        default: select: the value pointed at first; checkbox: a tuple of the values ticked
            first; text: the text typed in advance.
        hint: what a text answer may be, in words (``5 to 110 years``).
        back: typing ``b`` or ``back`` in a text prompt goes back.
        check: returns why an answer is refused, or None to accept it.
    """

    key: str
    kind: Literal["select", "checkbox", "text"]
    message: str
    choices: tuple[Choice, ...] = ()
    default: object = None
    hint: str = ""
    back: bool = False
    check: Callable[[object], str | None] | None = None

    @property
    def can_go_back(self) -> bool:
        """Whether this prompt offers a way back."""
        return self.back or any(c.value is BACK for c in self.choices)


# ---------------------------------------------------------------------------------------------
# Describing the prompts (pure)


def question_ask(question: Question, current: Answer | None, can_back: bool) -> Ask:
    """The prompt for a question of the questionnaire.

    Args:
        question: the question.
        current: its answer so far (when it is asked again), shown as the default.
        can_back: whether there is an earlier question to go back to.
    """
    if question.type == "integer":
        unit = f" {question.unit}" if question.unit else ""
        hint = f"{question.minimum} to {question.maximum}{unit}"

        def check_number(raw: object) -> str | None:
            text = str(raw).strip()
            if can_back and text.lower() in _BACK_WORDS:
                return None
            try:
                question.validate(text)
            except InvalidAnswer:
                back = ", or b to go back" if can_back else ""
                return f"Type a whole number from {hint}{back}"
            return None

        return Ask(
            question.id,
            "text",
            question.prompt,
            default="" if current is None else str(current),
            hint=hint,
            back=can_back,
            check=check_number,
        )
    back = (Choice(BACK_TITLE, BACK, "b"),) if can_back else ()
    options = tuple(
        Choice(o.label, o.value, key, o.help)
        for o, key in zip(question.options, _KEYS, strict=False)
    )
    if question.type == "choice":
        return Ask(question.id, "select", question.prompt, options + back, default=current)
    ticked: tuple[object, ...] = ()
    if isinstance(current, tuple):
        ticked = current or (NONE_OF_THESE,)
    # An explicit "None of these": a safety screen must not pass on an Enter pressed by mistake.
    none = Choice("None of these", NONE_OF_THESE, "0")
    return Ask(
        question.id,
        "checkbox",
        question.prompt,
        (*options, none, *back),
        default=ticked,
        check=_check_ticks,
    )


def _check_ticks(raw: object) -> str | None:
    ticked = list(raw) if isinstance(raw, (list, tuple)) else []
    if any(v is BACK for v in ticked):
        return None
    if not ticked:
        return "Tick the ones that apply (Space), or 'None of these'"
    if any(v is NONE_OF_THESE for v in ticked) and len(ticked) > 1:
        return "'None of these' goes alone: untick it or the others"
    return None


def interpret(ask: Ask, raw: object) -> object:
    """Turn what a prompt returned into a raw answer for the session, or :data:`BACK`."""
    if isinstance(raw, Back):
        return BACK
    if ask.kind == "checkbox" and isinstance(raw, (list, tuple)):
        if any(v is BACK for v in raw):
            return BACK
        return [v for v in raw if v is not NONE_OF_THESE]
    if ask.kind == "text" and ask.back and str(raw).strip().lower() in _BACK_WORDS:
        return BACK
    return raw


def raised_flags(questionnaire: Questionnaire, answers: Mapping[str, Answer]) -> list[RedFlagRule]:
    """The red-flag rules that the answers so far raise (pure: the rules are data).

    A rule that reads a question not answered yet does not hold, so a flag appears as soon as
    the answers that raise it are given.
    """
    return [r for r in questionnaire.outcomes.red_flags if holds(r.when, answers)]


def _review_ask() -> Ask:
    return Ask(
        REVIEW,
        "select",
        "All questions are answered. What next?",
        (
            Choice("Show the summary", SHOW_SUMMARY, "1"),
            Choice("Change an answer", CHANGE_ANSWER, "2"),
        ),
        default=SHOW_SUMMARY,
    )


def _change_ask(session: Session, width: int) -> Ask:
    # Keyed by the numbers of the review table, so "change 12" is the 12th row.
    choices = []
    for number, step in enumerate(session.transcript, start=1):
        room = width - 6
        answer = _shorten(
            step.question.words(step.answer), max(room // 2, room - len(step.question.prompt) - 1)
        )
        prompt = _shorten(step.question.prompt, room - len(answer) - 1)
        choices.append(Choice(f"{prompt} → {answer}", step.question.id, str(number)))
    choices.append(Choice("← Back to the review", BACK, "b"))
    return Ask(CHANGE, "select", "Which answer do you want to change?", tuple(choices))


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(width - 1, 1)].rstrip() + "…"


# ---------------------------------------------------------------------------------------------
# The two ways of asking


def prompt(ask: Ask) -> object:
    """Show one prompt with questionary and return what it gives: the one place that prompts.

    ``unsafe_ask`` lets Ctrl-C through as ``KeyboardInterrupt`` (``ask`` would swallow it and
    return None), so the intake can save the session and say how to resume it.
    """
    import questionary  # lazy: only the interactive path pays for prompt_toolkit
    from prompt_toolkit.application.current import get_app_session

    # prompt_toolkit cuts long lines of a live prompt at the edge instead of wrapping them:
    # wrap the message, the titles and the help to the width of the terminal drawn on.
    columns = get_app_session().output.get_size().columns
    message = _fit(ask.message, columns - 3, 2)

    def validate(raw: object) -> bool | str:
        why = ask.check(raw) if ask.check is not None else None
        return True if why is None else why

    if ask.kind == "text":
        tail = "; b goes back" if ask.back else ""
        return questionary.text(
            message,
            default="" if ask.default is None else str(ask.default),
            validate=validate,
            instruction=f"({ask.hint}{tail})" if ask.hint or tail else None,
        ).unsafe_ask()
    back = ask.can_go_back
    if ask.kind == "checkbox":
        ticked = ask.default if isinstance(ask.default, tuple) else ()
        choices = [
            questionary.Choice(
                _fit(c.title, columns - 6, 5),
                c.value,
                checked=c.value in ticked,
                description=_describe(c.help, columns),
            )
            for c in ask.choices
        ]
        how = "Space ticks, Enter answers" + ("; tick ← Back to go back" if back else "")
        message, how = _answer_room(message, ask, columns, how)
        return questionary.checkbox(
            message, choices, validate=validate, instruction=how
        ).unsafe_ask()
    # questionary's shortcuts are single keys; longer keys (row numbers) go into the title.
    keyed = all(len(c.key) == 1 for c in ask.choices)
    choices = [
        questionary.Choice(
            _fit(c.title if keyed or not c.key else f"{c.key:>2}. {c.title}", columns - 7, 6),
            c.value,
            shortcut_key=c.key if keyed else False,
            description=_describe(c.help, columns),
        )
        for c in ask.choices
    ]
    default = next((c for c in choices if c.value == ask.default), None)
    numbers = [c.key for c in ask.choices if c.key.isdigit()]
    keys = f"{numbers[0]}-{numbers[-1]} or " if keyed and len(numbers) > 1 else ""
    # A shortcut key only moves the pointer (questionary's way): Enter answers, so say so.
    how = f"{keys}↑↓ to move, Enter to answer" + ("; b, Enter goes back" if back and keyed else "")
    message, how = _answer_room(message, ask, columns, how)
    return questionary.select(
        message, choices, default=default, use_shortcuts=keyed, instruction=how
    ).unsafe_ask()


def _answer_room(message: str, ask: Ask, columns: int, how: str) -> tuple[str, str]:
    """Put the answer on a line of its own when it would not fit after the message.

    Once answered, questionary prints the answer after the message, and a terminal would break
    it in the middle of a word. The instruction goes on its own line either way.
    """
    longest = max((len(c.title) for c in ask.choices), default=0) + 3
    if len(message.rsplit("\n", maxsplit=1)[-1]) + longest <= columns - 3:
        return message, f"\n  ({how})"
    return message + "\n ", f"({how})"


def _fit(text: str, width: int, indent: int) -> str:
    """Wrap text to ``width``, later lines indented to sit under the first."""
    lines = textwrap.wrap(" ".join(text.split()), max(width, 20))
    return ("\n" + " " * indent).join(lines) if lines else text


def _describe(help_text: str, columns: int) -> str | None:
    """An option's help as questionary's description line, wrapped to the width."""
    if not help_text:
        return None
    label = "Description: "
    lines = textwrap.wrap(label + " ".join(help_text.split()), max(columns - 3, 20))
    return "\n  ".join(lines)[len(label) :]


def prompt_plain(ask: Ask, out: TextIO, source: TextIO | None = None, width: int = 80) -> object:
    """Ask with numbered lines and typed answers: no cursor movement, no prompt library.

    Re-asks until the answer is good. Raises ``EOFError`` when the input ends, so a closed
    pipe never hangs the intake.
    """
    source = source if source is not None else sys.stdin
    out.write(_plain_prompt(ask, max(width - 1, 20)))
    while True:
        out.write("> ")
        out.flush()
        line = source.readline()
        if not line:
            out.write("\n")
            raise EOFError
        if not source.isatty():
            # Piped answers are not echoed by a terminal: show them, so the log reads well.
            out.write(line if line.endswith("\n") else line + "\n")
        raw, why = _parse_plain(ask, line.strip())
        if why is None and ask.check is not None:
            why = ask.check(raw)
        if why is None:
            return raw
        out.write(f"  {why}\n")


def _plain_prompt(ask: Ask, width: int) -> str:
    # Wrapped here, word by word: a terminal would break lines in the middle of a word.
    lines = textwrap.wrap(ask.message, width)
    for c in ask.choices:
        # No arrow glyph for Back: a screen reader would spell it out.
        title = "Back" if c.value is BACK else c.title
        lines += textwrap.wrap(
            f"{c.key}. {title}", width, initial_indent="  ", subsequent_indent=" " * 5
        )
    back = "; b to go back" if ask.can_go_back else ""
    if ask.kind == "select":
        how = f"(Type a number and press Enter{_plain_default(ask)}{back})"
    elif ask.kind == "checkbox":
        how = (
            "(Type the numbers of all that apply, separated by commas; "
            f"Enter alone for none of these{back})"
        )
    else:
        keep = f"; Enter alone keeps {ask.default}" if ask.default else ""
        how = f"({ask.hint}{keep}{back})"
    lines += textwrap.wrap(how, width)
    return "\n".join(lines) + "\n"


def _plain_default(ask: Ask) -> str:
    for c in ask.choices:
        if ask.default is not None and c.value == ask.default:
            return f"; Enter alone keeps {c.key}"
    return ""


def _parse_plain(ask: Ask, text: str) -> tuple[object, str | None]:
    by_key = {c.key.lower(): c.value for c in ask.choices if c.key}
    if ask.can_go_back and text.lower() == "back":
        text = "b"
    if ask.kind == "text":
        if not text and ask.default:
            return str(ask.default), None
        return text, None
    if ask.kind == "select":
        if not text:
            if ask.default is not None and any(c.value == ask.default for c in ask.choices):
                return ask.default, None
            return None, "Type one of the numbers shown"
        if text.lower() in by_key:
            return by_key[text.lower()], None
        return None, f"'{text}' is not one of the numbers shown"
    if not text:
        return [NONE_OF_THESE], None
    picked: list[object] = []
    for part in re.split(r"[\s,]+", text):
        if part.lower() not in by_key:
            return None, f"'{part}' is not one of the numbers shown"
        value = by_key[part.lower()]
        if value not in picked:
            picked.append(value)
    return picked, None


# ---------------------------------------------------------------------------------------------
# The screen: everything shown between the prompts


class _Screen:
    """Headings, help, red-flag panels, the review table and the summary.

    Lines of text and headings are written by prompt_toolkit, which the prompts load anyway,
    so that nothing else is imported before the first question (rich alone costs about as much
    as a fifth of questionary); rich is imported for the first panel, table or summary. In plain
    mode nothing moves the cursor and nothing is drawn with colour or boxes.
    """

    def __init__(self, stream: TextIO, plain: bool) -> None:
        self.stream = stream
        self.plain = plain
        self.section = ""
        self._console: Console | None = None
        self.output: Output | None = None
        if not plain:
            from prompt_toolkit.output import create_output

            # One output for the lines written here and for the prompts: the same stream,
            # colours and size. A stream that is not a terminal gets plain text.
            self.output = create_output(stdout=stream)

    @property
    def width(self) -> int:
        """The width to write to."""
        if self.output is not None:
            return self.output.get_size().columns
        try:
            return os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, OSError, ValueError):
            return shutil.get_terminal_size().columns

    @property
    def console(self) -> Console:
        """The rich console, made when first needed."""
        if self._console is None:
            from rich.console import Console

            # highlight and markup off: questionnaire text is data, and '[R1]' prints as written.
            self._console = Console(
                file=self.stream,
                highlight=False,
                markup=False,
                emoji=False,
                width=self.width if self.plain else None,
                force_terminal=False if self.plain else None,
                no_color=True if self.plain else None,
                color_system=None if self.plain else "auto",
            )
        return self._console

    def text(self, text: str, style: str = "", indent: str = "") -> None:
        """A paragraph, wrapped word by word to the width."""
        width = max(self.width - 1, 20)
        # Paths and addresses stay whole, so they can be copied from the screen.
        lines = textwrap.wrap(
            text,
            width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        self._write("\n".join(lines) + "\n", style)

    def _write(self, text: str, style: str = "") -> None:
        if self.output is None:
            self.stream.write(text)
            self.stream.flush()
            return
        from prompt_toolkit import print_formatted_text
        from prompt_toolkit.formatted_text import FormattedText

        print_formatted_text(FormattedText([(style, text)]), end="", output=self.output)

    def blank(self) -> None:
        """An empty line."""
        self._write("\n")

    def intro(self, q: Questionnaire, store: SessionFile, given: int) -> None:
        """Say what this is, where it is saved, and how to stop and go back."""
        self.text(q.title, "bold")
        if given:
            self.text(
                f"{given} answer{'s were' if given != 1 else ' was'} given: only the questions "
                "they leave open are asked.",
                "dim",
            )
        self.text("Each answer is saved as it is given, in:", "dim")
        self.text(str(store.path), "dim", indent="  ")
        back = "type b" if self.plain else "choose ← Back"
        self.text(f"To go back a question, {back}. Ctrl-C stops; the intake can be resumed.", "dim")

    def question(self, question: Question, where: str) -> None:
        """The section heading when it changes, where the user is, and the question's help."""
        self.blank()
        if question.section and question.section != self.section:
            self.section = question.section
            if self.plain:
                self.text(f"== {question.section} ==")
            else:
                rule = "─" * max(self.width - len(question.section) - 2, 3)
                self._write(f"{question.section} {rule}\n", "bold fg:ansicyan")
        self.text(where.capitalize(), "dim")
        if question.help:
            self.text(" ".join(question.help.split()), "dim")

    def flag(self, q: Questionnaire, rule: RedFlagRule, answers: Mapping[str, Answer]) -> None:
        """A red flag, prominent: what to do now, how pressing, and the source."""
        from rich.text import Text

        level = q.outcomes.levels.get(rule.level)
        label = level.label if level else rule.level.capitalize()
        when = f"{label}, {level.timeframe}" if level and level.timeframe else label
        reference = q.reference(rule.source)
        source = f"{rule.source}: {reference.citation}" if reference else rule.source
        advice = " ".join(fill(rule.advice, q, answers).split())
        after = "The intake goes on; this flag is in the summary."
        self.blank()
        if self.plain:
            self.text(f"!! RED FLAG: {label.upper()} ({rule.id})")
            self.text(advice)
            self.text(f"Level: {when}. Source {source}")
            self.text(after)
            return
        from rich import box
        from rich.panel import Panel

        from hamstring_cli.render.text import LEVEL_STYLES

        style = LEVEL_STYLES.get(rule.level, "bold")
        border = "yellow" if rule.level in ("soon", "routine") else "red"
        body = Text(advice + "\n\n", style="bold")
        body.append(f"Level: {when}\nSource {source}\n", style="dim")
        body.append(after, style="dim")
        self.console.print(
            Panel(
                body,
                title=Text(f" RED FLAG: {label.upper()} ", style=style),
                title_align="left",
                subtitle=rule.id,
                subtitle_align="right",
                border_style=border,
                box=box.HEAVY,
            )
        )

    def ticked(self, words: list[str]) -> None:
        """The options ticked in a checkbox, one a line (questionary only counts them)."""
        for word in words:
            self.text(f"- {word}", "dim", indent="  ")

    def review(self, session: Session) -> None:
        """The answers on the path, in plain words."""
        steps = session.transcript
        self.blank()
        if self.plain:
            self.text("== Review ==")
            for number, step in enumerate(steps, start=1):
                words = step.question.words(step.answer)
                self.text(f"{number}. {step.question.prompt} {words}")
            return
        from rich import box
        from rich.table import Table

        table = Table(
            title="Review the answers", title_justify="left", box=box.SIMPLE_HEAD, expand=True
        )
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column("Question", ratio=3)
        table.add_column("Answer", ratio=2, style="bold")
        for number, step in enumerate(steps, start=1):
            table.add_row(str(number), step.question.prompt, step.question.words(step.answer))
        self.console.print(table)

    def summary(self, result: Result) -> None:
        """The result, drawn by the report's text renderer."""
        from hamstring_cli.render.text import render_summary

        self.blank()
        render_summary(result, self.console)

    def warn(self, text: str) -> None:
        """A problem that does not stop the intake."""
        self.text(f"hamstring: {text}", "bold fg:ansiyellow")


# ---------------------------------------------------------------------------------------------
# The intake


class _Terminal:
    """The answer source that asks in the terminal; it saves and checks before every question."""

    def __init__(self, q: Questionnaire, screen: _Screen, store: SessionFile, plain: bool) -> None:
        self.q = q
        self.screen = screen
        self.store = store
        self.plain = plain
        self.shown: set[str] = set()
        self.saving = True

    def prompt(self, ask: Ask) -> object:
        """Show one prompt, in plain lines or with questionary."""
        if self.plain:
            return prompt_plain(ask, self.screen.stream, width=self.screen.width)
        return prompt(ask)

    def answer(self, question: Question, session: Session) -> object:
        """Ask one question of the session (the engine validates the answer)."""
        self.checkpoint(session)
        position = session.position()
        self.screen.question(question, position.words())
        ask = question_ask(question, session.answers.get(question.id), position.number > 1)
        raw = interpret(ask, self.prompt(ask))
        if question.type == "multi" and isinstance(raw, list) and len(raw) > 1 and not self.plain:
            # questionary sums up several ticks as "done (3 selections)": name them.
            ticked = question.validate(raw)
            if isinstance(ticked, tuple):
                self.screen.ticked([question.words((v,)) for v in ticked])
        return raw

    def checkpoint(self, session: Session) -> None:
        """Save the answers so far, then show any red flag they raise for the first time."""
        self.save(session)
        answers = session.path_answers
        raised = raised_flags(self.q, answers)
        # A flag that stops holding (an answer changed) is shown again if it comes back.
        self.shown &= {r.id for r in raised}
        for rule in raised:
            if rule.id not in self.shown:
                self.shown.add(rule.id)
                self.screen.flag(self.q, rule, answers)

    def save(self, session: Session) -> None:
        """Write the session file; a failure is said once and the intake goes on."""
        if not self.saving or not session.answers:
            # Nothing answered is nothing to lose: no empty file, no disk write before the
            # first question.
            return
        on_path = session.path_answers
        held = {k: v for k, v in session.answers.items() if k not in on_path}
        try:
            self.store.save(on_path, held)
        except SessionFileError as error:
            self.saving = False
            self.screen.warn(f"{error}; the intake goes on, but cannot be resumed if stopped")

    def stopped(self, session: Session, *, interrupted: bool) -> IntakeStopped:
        """Save what there is and describe the stop for the command line."""
        current = session.current
        pending = current.id if current is not None else None
        answered = len(session.answers)
        if not answered:
            # Nothing to resume, and no file was written (save skips an empty intake).
            return IntakeStopped(interrupted=interrupted, saved=None, resume=None, answered=0)
        self.save(session)
        saved = self.store.path if self.saving else None
        resume = self.store.resume if self.saving else None
        return IntakeStopped(
            interrupted=interrupted,
            saved=saved,
            resume=resume,
            answered=answered,
            pending=pending,
        )


def _ui_stream() -> TextIO:
    """Where the conversation goes: standard output on a terminal, else standard error."""
    return sys.stdout if sys.stdout.isatty() else sys.stderr


@contextmanager
def _prompts_on(screen: _Screen) -> Iterator[None]:
    """Draw questionary's prompts where the screen writes (standard error, say)."""
    if screen.output is None:
        yield
        return
    from prompt_toolkit.application import create_app_session

    with create_app_session(output=screen.output):
        yield


def intake(
    questionnaire: Questionnaire,
    given: Mapping[str, Answer],
    *,
    plain: bool = False,
    session_file: Path | None = None,
    shown_format: str = "text",
    offer_save: bool = True,
) -> dict[str, Answer]:
    """Run the intake in the terminal and return the answers on the path, in the order asked.

    Asks what ``given`` (an answer file, a resumed session) leaves open; saves every answer to
    the session file as it is given; shows red flags as soon as they are raised; ends with a
    review (any answer can be changed) and the summary, offers to save a report, then removes
    the session file.

    Args:
        questionnaire: the questionnaire to run.
        given: answers already known; they are used as the walk reaches them.
        plain: line-by-line prompts with numbered options instead of questionary.
        session_file: where to save the session (default: a new file in the sessions folder).
        shown_format: the format the command line prints afterwards; a JSON run offers the
            JSON report first.
        offer_save: offer to save a report (off when the command line writes ``--output``).

    Raises:
        IntakeStopped: Ctrl-C, or the input ended; the answers so far are saved.
        SessionFileError: the session file cannot be used (it is some other file, or its folder
            cannot be made).
    """
    stream = _ui_stream()
    screen = _Screen(stream, plain)
    store = SessionFile.open(questionnaire, session_file)
    session = Session(questionnaire, given)
    terminal = _Terminal(questionnaire, screen, store, plain)
    try:
        with _prompts_on(screen):
            screen.intro(questionnaire, store, len(given))
            _walk_and_review(session, terminal)
            result = score(questionnaire, session.path_answers)
            screen.summary(result)
            if offer_save:
                _offer_report(result, terminal, shown_format)
    except KeyboardInterrupt:
        raise terminal.stopped(session, interrupted=True) from None
    except EOFError:
        raise terminal.stopped(session, interrupted=False) from None
    store.remove()
    return session.path_answers


def _walk_and_review(session: Session, terminal: _Terminal) -> None:
    """Ask until the path ends, then review; a changed answer re-walks what it changes."""
    while True:
        drive(session, terminal)
        terminal.checkpoint(session)
        terminal.screen.review(session)
        if terminal.prompt(_review_ask()) != CHANGE_ANSWER:
            return
        target = terminal.prompt(_change_ask(session, terminal.screen.width - 8))
        if isinstance(target, str):
            session.revisit(target)


def _offer_report(result: Result, terminal: _Terminal, shown_format: str) -> None:
    """Offer to save the Markdown or JSON report to a private file."""
    formats = [("markdown", "Markdown, for clinical notes"), ("json", "JSON, the full result")]
    if shown_format == "json":
        formats.reverse()
    formats.append(("fhir", "a FHIR Bundle, for record systems"))
    choices = (
        Choice("No, finish here", NO_REPORT, "1"),
        *(Choice(f"Save {title}", fmt, str(n)) for n, (fmt, title) in enumerate(formats, 2)),
    )
    terminal.screen.blank()
    fmt = terminal.prompt(Ask(SAVE, "select", "Save a report to a file?", choices, NO_REPORT))
    if fmt not in ("markdown", "json", "fhir"):
        return
    suffix = ".md" if fmt == "markdown" else ".json"
    suggested = f"hamstring-report-{_dt.datetime.now():%Y%m%d-%H%M}{suffix}"
    data = render(result, str(fmt)).encode("utf-8")
    while True:
        raw = terminal.prompt(
            Ask(
                SAVE_PATH,
                "text",
                "File name:",
                default=suggested,
                hint="private, mode 0600",
                check=_check_path,
            )
        )
        path = Path(str(raw).strip()).expanduser()
        replace = False
        if path.exists() and not path.is_dir():
            replace = (
                terminal.prompt(
                    Ask(
                        OVERWRITE,
                        "select",
                        f"{path} exists. Replace it?",
                        (
                            Choice("No, choose another name", KEEP, "1"),
                            Choice("Yes, replace it", REPLACE, "2"),
                        ),
                        KEEP,
                    )
                )
                == REPLACE
            )
            if not replace:
                continue
        try:
            write_private(path, data, force=replace)
        except OutputError as error:
            terminal.screen.warn(str(error))
            continue
        name = {"json": "JSON", "fhir": "FHIR Bundle"}.get(str(fmt), "Markdown")
        terminal.screen.text(f"Saved the {name} report, private to you (mode 0600), in:")
        terminal.screen.text(str(path.resolve()), indent="  ")
        return


def _check_path(raw: object) -> str | None:
    return None if str(raw).strip() else "Type a file name"
