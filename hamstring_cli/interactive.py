"""The interactive intake: the questions in a terminal, back and review, red flags, the summary.

The only module that imports questionary and prompt_toolkit (ruff's banned-api rule allows
them nowhere else). Every prompt is first described as an :class:`Ask` (plain data),
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

import contextlib
import os
import re
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

from hamstring_cli.engine import BACK, Back, Session, drive
from hamstring_cli.errors import HamstringError, InvalidAnswer, escape, shorten
from hamstring_cli.exits import Stop
from hamstring_cli.files import OutputError, write_private
from hamstring_cli.model import (
    TIMEFRAME_WORDS,
    Answer,
    Question,
    Questionnaire,
    RedFlagRule,
    fill,
    level_timeframe,
)
from hamstring_cli.question_types import kind
from hamstring_cli.render.words import plural
from hamstring_cli.report import render
from hamstring_cli.scoring import Result, alerts, score
from hamstring_cli.sessions import (
    IntakeStopped,
    SessionFile,
    SessionFileError,
    default_report_path,
)

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
REPORT_FORMAT = "save-format"
OVERWRITE = "overwrite"
STOP = "stop"
FINISH = "finish"

# Values of the menu choices.
SHOW_SUMMARY = "summary"
CHANGE_ANSWER = "change"
NO_REPORT = "none"
REASONING = "reasoning"
SAVE_REPORT = "save-report"
REPLACE = "replace"
KEEP = "keep"
STOP_HERE = "stop-here"
GO_ON = "go-on"
KEEP_ANSWERS = "keep-answers"
DISCARD = "discard"
MENU = "menu"
#: How an intake ended, for its session file: a report holds the answers (or will: --output).
REPORTED = "reported"

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
    unit: str = ""
    #: select: each choice on one line, the words before its last ' → ' cut to fit.
    one_line: bool = False

    @property
    def can_go_back(self) -> bool:
        """Whether this prompt offers a way back."""
        return self.back or any(c.value is BACK for c in self.choices)


# ---------------------------------------------------------------------------------------------
# Describing the prompts (pure)


def question_ask(question: Question, current: Answer | None, can_back: bool) -> Ask:
    """The prompt for a question of the questionnaire, by the prompt function its type names.

    Args:
        question: the question.
        current: its answer so far (when it is asked again), shown as the default.
        can_back: whether there is an earlier question to go back to.
    """
    describe: Callable[[Question, Answer | None, bool], Ask] = globals()[kind(question.type).prompt]
    return describe(question, current, can_back)


def ask_integer(question: Question, current: Answer | None, can_back: bool) -> Ask:
    """An integer question: a number typed, its range as the hint (``b`` goes back)."""
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
        unit=question.unit or "",
    )


def _option_choices(question: Question) -> tuple[Choice, ...]:
    return tuple(
        Choice(o.label, o.value, key, o.help)
        for o, key in zip(question.options, _KEYS, strict=False)
    )


def _back(can_back: bool) -> tuple[Choice, ...]:
    return (Choice(BACK_TITLE, BACK, "b"),) if can_back else ()


def ask_choice(question: Question, current: Answer | None, can_back: bool) -> Ask:
    """A choice question: one option selected."""
    choices = _option_choices(question) + _back(can_back)
    return Ask(question.id, "select", question.prompt, choices, default=current)


def ask_multi(question: Question, current: Answer | None, can_back: bool) -> Ask:
    """A multi question: options ticked, with an explicit "None of these"."""
    ticked: tuple[object, ...] = ()
    if isinstance(current, tuple):
        ticked = current or (NONE_OF_THESE,)
    # An explicit "None of these": a safety screen must not pass on an Enter pressed by mistake.
    none = Choice("None of these", NONE_OF_THESE, "0")
    return Ask(
        question.id,
        "checkbox",
        question.prompt,
        (*_option_choices(question), none, *_back(can_back)),
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
    """The red-flag rules that the answers so far on the path make certain (pure).

    The result's own evaluation (:func:`hamstring_cli.scoring.alerts`): a flag appears as soon
    as no answer still to come can take it back, and a rule that reads the leading condition
    only at the end, so every flag shown is in the summary unless an answer is changed.
    """
    return list(alerts(questionnaire, answers))


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


def _stop_ask() -> Ask:
    """After an emergency red flag: stop for the emergency summary (the default), or go on."""
    return Ask(
        STOP,
        "select",
        "An emergency: stop the intake here?",
        (
            Choice("Stop here and show the emergency summary", STOP_HERE, "1"),
            Choice("Go on with the intake", GO_ON, "2"),
        ),
        default=STOP_HERE,
    )


def _finish_ask(saved: bool) -> Ask:
    """Finishing without a saved report: keep the answers (the default), discard them, or not.

    ``saved``: whether the session file holds the answers (it does not when the disk is full).
    """
    if not saved:
        return Ask(
            FINISH,
            "select",
            "Finish without saving a report? The answers could not be saved to a file.",
            (
                Choice("Yes, finish: the answers are not kept", DISCARD, "1"),
                Choice("No, back to the menu", MENU, "2"),
            ),
            default=MENU,
        )
    return Ask(
        FINISH,
        "select",
        "Finish without saving a report?",
        (
            Choice("Yes, and keep the answers to resume or report later", KEEP_ANSWERS, "1"),
            Choice("Yes, and discard the answers", DISCARD, "2"),
            Choice("No, back to the menu", MENU, "3"),
        ),
        default=KEEP_ANSWERS,
    )


def _change_ask(session: Session) -> Ask:
    """Which answer to change: every answer on the path listed in words, picked from the list.

    Nothing to remember from the review (its numbers may have scrolled away): each entry is the
    question and its answer, numbered as in the review; Back changes nothing.
    """
    choices = tuple(
        Choice(
            f"{' '.join(step.question.prompt.split())} → {step.question.words(step.answer)}",
            step.question.id,
            str(number),
        )
        for number, step in enumerate(session.transcript, start=1)
    )
    back = Choice("Back to the review, change nothing", BACK, "b")
    return Ask(CHANGE, "select", "Which answer to change?", (*choices, back), one_line=True)


def change_target(session: Session, raw: object) -> str | None:
    """The id of the question picked to change, or None to go back (or if it is not asked)."""
    if raw is BACK or isinstance(raw, Back) or not isinstance(raw, str):
        return None
    return raw if raw in {s.question.id for s in session.transcript} else None


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

    def title(c: Choice) -> str:
        # Numbers of two digits and more: the titles after them line up.
        text = c.title if keyed or not c.key else f"{c.key + '.':<4}{c.title}"
        return _one_line(text, columns - 7) if ask.one_line else _fit(text, columns - 7, 6)

    def described(c: Choice, shown: str) -> str | None:
        # A title cut to one line is given whole below the list, while it is pointed at.
        cut = ask.one_line and "…" in shown and "…" not in c.title
        return _describe(c.help or (c.title if cut else ""), columns)

    choices = [
        questionary.Choice(
            shown,
            c.value,
            shortcut_key=c.key if keyed else False,
            description=described(c, shown),
        )
        for c in ask.choices
        for shown in (title(c),)
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


def _prompt_rows(ask: Ask, columns: int) -> int:
    """About how many rows questionary takes to show ``ask`` (and the description below it)."""
    rows = len(_wrap(ask.message, columns - 3)) + 1
    if ask.kind == "text":
        return rows
    rows += sum(len(_wrap(c.title, columns - 6)) for c in ask.choices)
    described = [c.help for c in ask.choices if c.help]
    if described:
        rows += max(len(_wrap("Description: " + h, columns - 3)) for h in described)
    return rows


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), max(width, 20)) or [""]


def _fit_sentences(text: str, width: int, rows: int) -> str:
    """As many whole sentences of ``text`` as fit in ``rows`` rows, marked '…' when cut."""
    if rows <= 0:
        return ""
    if len(_wrap(text, width)) <= rows:
        return text
    sentences = re.split(r"(?<=[.!?\]])\s+(?=[A-Z])", text)
    kept = ""
    for sentence in sentences:
        trial = f"{kept} {sentence}".strip()
        if len(_wrap(trial + " …", width)) > rows:
            break
        kept = trial
    return f"{kept} …" if kept else ""


def _fit(text: str, width: int, indent: int) -> str:
    """Wrap text to ``width``, later lines indented to sit under the first."""
    lines = textwrap.wrap(" ".join(text.split()), max(width, 20))
    return ("\n" + " " * indent).join(lines) if lines else text


def _one_line(text: str, width: int) -> str:
    """``text`` on one line of ``width``: the words before its last ' → ' are cut with '…'."""
    text = re.sub(r"\s*\n\s*", " ", text)
    if len(text) <= width:
        return text
    head, arrow, tail = text.rpartition(" → ")
    if arrow and len(tail) + len(arrow) + 12 <= width:
        room = width - len(tail) - len(arrow) - 1
        return f"{head[:room].rstrip()}…{arrow}{tail}"
    return text[: width - 1].rstrip() + "…"


def _describe(help_text: str, columns: int) -> str | None:
    """An option's help as questionary's description line, wrapped to the width."""
    if not help_text:
        return None
    label = "Description: "
    lines = textwrap.wrap(label + " ".join(help_text.split()), max(columns - 3, 20))
    return "\n  ".join(lines)[len(label) :]


def _run_pager(args: list[str], text: str, env: dict[str, str]) -> bool:
    """Run the pager on ``text``; False when it cannot be started.

    Stopped on the way (SIGTERM, say), the pager is asked to end, not killed, so that it
    gives the terminal back in the modes it found it in.
    """
    import subprocess as sp

    try:
        process = sp.Popen(args, stdin=sp.PIPE, env=env)
    except OSError:
        return False
    try:
        process.communicate(text.encode())
    except BaseException:
        process.terminate()
        try:
            process.wait(timeout=2)
        except sp.TimeoutExpired:
            process.kill()
            process.wait()
        raise
    return True


def _less_prompt(title: str) -> str:
    """``less``'s prompt option for a paged view: its title, where it is, and how to close it.

    The prompt's own characters (``? : . % \\``) are escaped in the title.
    """
    safe = re.sub(r"([?:.%\\])", r"\\\1", title)
    return (
        f"-Ps{safe}\\: lines %lt-%lb?L of %L. - ?e(end), q closes it:Space for more, q closes it."
    )


def prompt_plain(ask: Ask, out: TextIO, source: TextIO | None = None, width: int = 80) -> object:
    """Ask with numbered lines and typed answers: no cursor movement, no prompt library.

    Re-asks until the answer is good. Raises ``EOFError`` when the input ends, so a closed
    pipe never hangs the intake.
    """
    source = source if source is not None else sys.stdin
    if source.isatty():
        _take_ctrl_c(source)
    out.write(_plain_prompt(ask, max(width - 1, 20)))
    while True:
        out.write("> ")
        out.flush()
        line = source.readline()
        if not line:
            out.write("\n")
            raise EOFError
        if not source.isatty():
            # Piped answers are not echoed by a terminal: show them, so the log reads well;
            # escaped and cut short, since a line may be anything a pipe held.
            out.write(shorten(line.rstrip("\r\n"), _PLAIN_ECHO) + "\n")
        raw, why = _parse_plain(ask, line.strip())
        if why is None and ask.check is not None:
            why = ask.check(raw)
        if why is None:
            # The accepted answer in words, on its own line: a screen reader reads it back.
            out.write(f"→ {escape(_echo(ask, raw))}\n")
            out.flush()
            return raw
        out.write(f"  {why}\n")


#: How much of a typed line ``--plain`` echoes back: the rest is said by its length.
_PLAIN_ECHO = 60


def _take_ctrl_c(terminal: TextIO) -> None:
    """Let Ctrl-C at ``terminal`` interrupt, when this process is in its foreground.

    A process inherits SIGINT ignored or blocked from a parent that had it so (a script's
    background job, some supervisors): Ctrl-C was then echoed at a plain prompt and did nothing,
    the line read went on waiting. (Questionary reads the key itself and was not affected.) A
    Ctrl-C typed at the terminal whose foreground this intake holds is meant for it.
    """
    import signal

    try:
        if os.tcgetpgrp(terminal.fileno()) != os.getpgrp():
            return
        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    except (AttributeError, OSError, ValueError):
        # No file descriptor, no terminal, or not the main thread: nothing to take.
        return


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
        none = next((c.key for c in ask.choices if c.value is NONE_OF_THESE), "")
        nothing = f", or {none} for none of these" if none else ""
        how = f"(Type the numbers of all that apply, separated by commas{nothing}{back})"
    else:
        keep = f"; Enter alone keeps {ask.default}" if ask.default else ""
        how = f"({ask.hint}{keep}{back})"
    lines += textwrap.wrap(how, width)
    return "\n".join(lines) + "\n"


def _echo(ask: Ask, raw: object) -> str:
    """What was accepted, in the words of the prompt: 'Yes', '45 years', 'None of these'."""
    titles = {id(c.value): ("Back" if c.value is BACK else c.title) for c in ask.choices}
    if ask.kind == "checkbox" and isinstance(raw, list):
        return "; ".join(titles.get(id(v), str(v)) for v in raw) or "None of these"
    if ask.kind == "select":
        for c in ask.choices:
            if c.value == raw:
                return titles[id(c.value)]
        return str(raw)
    text = str(raw).strip()
    if ask.can_go_back and text.lower() in _BACK_WORDS:
        return "Back"
    if ask.unit and text.lstrip("-").isdigit():
        return plural(int(text), ask.unit)
    return text


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
        return None, f"'{shorten(text, _PLAIN_ECHO)}' is not one of the numbers shown"
    if not text:
        # A safety screen must not pass on an Enter pressed by mistake: 'none' is typed.
        none = next((c.key for c in ask.choices if c.value is NONE_OF_THESE), "")
        if none:
            return None, f"Type {none} for none of these, or the numbers of all that apply"
        return None, "Type the numbers of all that apply"
    picked: list[object] = []
    for part in re.split(r"[\s,]+", text):
        if part.lower() not in by_key:
            return None, f"'{shorten(part, _PLAIN_ECHO)}' is not one of the numbers shown"
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
        #: Rows above the next question that must stay on the screen (the opening lines).
        self.above = 0
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

    def text(self, text: str, style: str = "", indent: str = "", hanging: str = "") -> None:
        """A paragraph, wrapped word by word to the width (later lines indented by ``hanging``)."""
        width = max(self.width - 1, 20)
        # Paths and addresses stay whole, so they can be copied from the screen.
        lines = textwrap.wrap(
            text,
            width,
            initial_indent=indent,
            subsequent_indent=indent + hanging,
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
        # Two lines, so that they stay on screen with the first question.
        self.text(f"Saved in {_home(store.path)}", "dim")
        back = "type b" if self.plain else "choose ← Back"
        self.text(f"To go back, {back}. Ctrl-C stops; resume later from the saved answers.", "dim")
        # These lines stay on the screen with the first question.
        self.above = len(_wrap(q.title, self.width)) + 2 + bool(given)

    def question(self, question: Question, where: str, prompt_rows: int = 0) -> None:
        """The section heading when it changes, where the user is, and the question's help.

        On a screen, the help is cut to whole sentences when it would push the question (its
        ``prompt_rows`` rows) or the opening lines off the top; plain mode shows all of it.
        """
        self.blank()
        where = where[:1].upper() + where[1:]
        if question.section and question.section != self.section:
            self.section = question.section
            if self.plain:
                self.text(f"== {question.section} ==")
                self.text(where, "dim")
            else:
                # One line for both: the section, where the user is, and a rule.
                heading = f"{question.section} · {where} "
                rule = "─" * max(self.width - len(heading) - 1, 3)
                self._write(f"{heading}{rule}\n", "bold fg:ansicyan")
        else:
            self.text(where, "dim")
        if question.help:
            words = " ".join(question.help.split())
            if not self.plain:
                room = self.height - 1 - self.above - 2 - prompt_rows
                words = _fit_sentences(words, max(self.width - 1, 20), room)
            if words:
                self.text(words, "dim")
        self.above = 0

    def flag(
        self,
        q: Questionnaire,
        rule: RedFlagRule,
        answers: Mapping[str, Answer],
        after: str = "The intake goes on; this flag is in the summary.",
    ) -> None:
        """A red flag, prominent: how pressing in the title, then what to do, then the source.

        On a screen the box is drawn so that it stays in view under what follows it: the title
        says the level and how soon, the advice (the action) comes first and whole, and the
        source takes one line. ``after`` says what happens next ("" when a question follows).
        """
        from rich.text import Text

        level = q.outcomes.levels.get(rule.level)
        label = level.label if level else rule.level.capitalize()
        # The flag's own timeframe ("the same day"), as the summary gives it.
        when = f"{label.upper()}, {TIMEFRAME_WORDS[rule.timeframe or level_timeframe(rule.level)]}"
        reference = q.reference(rule.source)
        source = f"{rule.source}: {reference.citation}" if reference else rule.source
        advice = " ".join(fill(rule.advice, q, answers).split())
        self.blank()
        if self.plain:
            # Read aloud line by line: everything, the citation whole.
            self.text(f"!! RED FLAG: {when}: {rule.title}")
            self.text(advice)
            self.text(f"Source {' '.join(source.split())}")
            if after:
                self.text(after)
            return
        from rich import box
        from rich.console import Group
        from rich.panel import Panel

        from hamstring_cli.render.text import LEVEL_STYLES

        style = LEVEL_STYLES.get(rule.level, "bold")
        border = "yellow" if rule.level in ("soon", "routine") else "red"
        # The citation on one line, cut at the edge: the box stays short enough to keep its
        # title and action on the screen with the question under it.
        cited = Text(f"Source {' '.join(source.split())}", style="dim", no_wrap=True)
        cited.overflow = "ellipsis"
        parts: list[Text] = [Text(advice, style="bold"), cited]
        if after:
            parts.append(Text(after, style="dim"))
        panel = Panel(
            Group(*parts),
            title=Text(f" RED FLAG: {when} ", style=style),
            title_align="left",
            border_style=border,
            box=box.HEAVY,
        )
        console = self.console
        rows = len(console.render_lines(panel, console.options.update(height=None), pad=False))
        console.print(panel)
        # Kept in view: the next question's help is cut to leave these rows on the screen.
        self.above += rows + 1

    def lines(self, text: str) -> None:
        """Lines as written, each wrapped; a line indented by two spaces (a path, a command)
        stays whole, to copy. Control characters (from a file name) are written escaped."""
        for line in text.split("\n"):
            if line.startswith("  "):
                self._write(f"{escape(line)}\n")
            else:
                self.text(escape(line))

    def stopped_early(self, session: Session) -> None:
        """Say that the summary reads only the answers given before the emergency stop."""
        position = session.position()
        low, high = position.remaining_min + 1, position.remaining_max + 1
        count = f"{high}" if low == high else f"up to {high}"
        given = plural(len(session.transcript), "answers")
        self.text(
            f"The intake stopped for the emergency after {given}: {count} questions were not "
            "asked, and count as unknown in this summary.",
            "bold",
        )

    def ticked(self, words: list[str]) -> None:
        """The options ticked in a checkbox, one a line (questionary only counts them)."""
        for word in words:
            self.text(f"- {word}", "dim", indent="  ")

    def review(self, session: Session) -> None:
        """The answers on the path, in plain words: on the screen when they fit, else paged."""
        steps = session.transcript
        self.blank()
        if self.plain:
            self.text("== Review ==")
            for number, step in enumerate(steps, start=1):
                words = step.question.words(step.answer)
                self.text(f"{number}. {step.question.prompt} → {words}", hanging="    ")
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
        console = self.console
        height = len(console.render_lines(table, console.options.update(height=None), pad=False))
        # Room for the question that follows it (What next?, and its three choices).
        if height + 6 <= self.height or not self.stream.isatty():
            console.print(table)
            return
        self.page(table, f"Review of the {len(steps)} answers")
        self.text(f"The {len(steps)} answers were shown in a pager.", "dim")

    def summary(self, result: Result) -> None:
        """The decision, drawn by the report's text renderer: it fits one screen."""
        from hamstring_cli.render.text import render_decision

        self.blank()
        render_decision(result, self.console)

    def reasoning(self, result: Result) -> None:
        """The differential, every reason, the notes and the references: paged on a terminal."""
        from hamstring_cli.render.text import render_reasoning

        if self.plain or not self.stream.isatty():
            self.blank()
            render_reasoning(result, self.console)
            return
        with self.console.capture() as captured:
            render_reasoning(result, self.console)
        self.page_text(captured.get(), "The reasoning")

    def page(self, renderable: object, title: str) -> None:
        """Show something taller than the screen in a pager."""
        with self.console.capture() as captured:
            self.console.print(renderable)
        self.page_text(captured.get(), title)

    def page_text(self, text: str, title: str) -> None:
        """Show text in ``$PAGER`` (default ``less``, with colour); printed when there is none.

        The way out is on the screen while the pager is open: in ``less``'s own prompt line
        (``title: lines 1-23 of 40, q closes it``), else as the first line of the text.
        """
        import shlex

        command = os.environ.get("PAGER") or ("less" if shutil.which("less") else "")
        if command:
            env = dict(os.environ)
            # -R: colours, not 'ESC[1m'; -X: the text stays on the screen after q.
            env.setdefault("LESS", "-RX")
            try:
                args = shlex.split(command)
            except ValueError:
                args = []
            if args and os.path.basename(args[0]) == "less":
                args.append(_less_prompt(title))
            else:
                text = f"{title} (q closes it)\n{text}"
            if args and _run_pager(args, text, env):
                return
        self._write(text)

    @property
    def height(self) -> int:
        """The number of rows of the screen."""
        if self.output is not None:
            return self.output.get_size().rows
        return shutil.get_terminal_size().lines

    def warn(self, text: str) -> None:
        """A problem that does not stop the intake."""
        self.text(f"hamstring: {text}", "bold fg:ansiyellow")


# ---------------------------------------------------------------------------------------------
# The intake


class EmergencyStop(Exception):
    """The user chose to stop the intake at an emergency red flag and see the summary now."""


class _Terminal:
    """The answer source that asks in the terminal; it saves and checks before every question."""

    def __init__(self, q: Questionnaire, screen: _Screen, store: SessionFile, plain: bool) -> None:
        self.q = q
        #: Set while a question is asked again from the review.
        self.changing = False
        self.screen = screen
        self.store = store
        self.plain = plain
        self.shown: set[str] = set()
        #: Every flag shown during the intake, with the answers it was shown on: the summary
        #: says which of them the final answers withdrew, and why.
        self.alerted: dict[str, dict[str, Answer]] = {}
        self.saving = True

    def prompt(self, ask: Ask) -> object:
        """Show one prompt, in plain lines or with questionary."""
        if self.plain:
            return prompt_plain(ask, self.screen.stream, width=self.screen.width)
        return prompt(ask)

    def answer(self, question: Question, session: Session) -> object:
        """Ask one question of the session (the engine validates the answer)."""
        self.checkpoint(session)
        ask = question_ask(
            question, session.answers.get(question.id), session.position().number > 1
        )
        self.screen.question(question, self.where(session), _prompt_rows(ask, self.screen.width))
        raw = interpret(ask, self.prompt(ask))
        if ask.kind == "checkbox" and isinstance(raw, list) and len(raw) > 1 and not self.plain:
            # questionary sums up several ticks as "done (3 selections)": name them.
            ticked = question.validate(raw)
            if isinstance(ticked, tuple):
                self.screen.ticked([question.words((v,)) for v in ticked])
        return raw

    def where(self, session: Session) -> str:
        """'question 7, about 12 to go', counting only what will be asked.

        After a change from the review, the answers further on are kept: only the questions
        that the new answer opens, and that have no answer yet, are still to be asked.
        """
        position = session.position()
        if not self.changing:
            return position.words()
        # Each answer this question can be given leads somewhere: count, along each way, only
        # the questions that have no answer yet.
        current = session.current
        assert current is not None
        answers = dict(session.answers)
        given: list[Answer | None] = [o.value for o in current.options] or [answers.get(current.id)]
        spans = []
        for value in given:
            if value is None:
                continue
            trial = {**answers, current.id: value}
            following = self.q.next_after(current, trial)
            spans.append(_to_ask(self.q, trial, following))
        low = min((lo for lo, _ in spans), default=0)
        high = max((hi for _, hi in spans), default=0)
        if high == 0:
            return f"question {position.number}, then the review again"
        if low == high:
            return f"question {position.number}, then {high} more to go"
        return f"question {position.number}, then up to {high} more to go"

    def checkpoint(self, session: Session) -> None:
        """Save the answers so far, then show any red flag they raise for the first time.

        An emergency flag raised with questions still to ask offers to stop here for the
        emergency summary (the default) or go on; stopping raises :class:`EmergencyStop`.
        Piped answers have nobody to ask: the intake goes on, and the flag is in the summary.
        """
        self.save(session)
        answers = session.path_answers
        raised = raised_flags(self.q, answers)
        # A flag that stops holding (an answer changed) is shown again if it comes back.
        self.shown &= {r.id for r in raised}
        fresh = [rule for rule in raised if rule.id not in self.shown]
        offer = (
            session.current is not None
            and any(rule.level == "emergency" for rule in fresh)
            and _stdin_is_terminal()
        )
        for rule in fresh:
            self.shown.add(rule.id)
            self.alerted[rule.id] = dict(answers)
            if offer:
                self.screen.flag(self.q, rule, answers, after="")
            else:
                self.screen.flag(self.q, rule, answers)
        if offer and self.prompt(_stop_ask()) == STOP_HERE:
            raise EmergencyStop

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

    def kept_words(self, session: Session, *, early: bool) -> str:
        """Where the answers stay and how to resume them; unsaved, the answers themselves."""
        store = self.store
        if not self.saving:
            failure = store.failure or "it could not be written"
            held = len(store.saved)
            lines = [f"The session file could not be written ({failure}):", f"  {store.path}"]
            if held:
                lines += [f"it holds the first {plural(held, 'answers')}; resume with:"]
                lines += [f"  {store.resume}"]
            lines += ["The answers it does not hold, as lines of an answer file:"]
            lines += store.unsaved(session.answers).splitlines()
            return "\n".join(lines)
        so_far = " so far" if early else ""
        return "\n".join(
            [
                f"The answers{so_far} stay in",
                f"  {store.path}",
                "until you discard them (delete the file). Resume with:",
                f"  {store.resume}",
            ]
        )

    def stopped(
        self, session: Session, *, interrupted: bool, signal: int | None = None
    ) -> IntakeStopped:
        """Save what there is and describe the stop for the command line."""
        current = session.current
        # The question in words: a person reads this message, not the questionnaire's ids.
        pending = " ".join(current.prompt.split()) if current is not None else None
        answered = len(session.answers)
        if not answered:
            # Nothing to resume, and no file was written (save skips an empty intake).
            return IntakeStopped(
                interrupted=interrupted, saved=None, resume=None, answered=0, signal=signal
            )
        self.save(session)
        if not self.saving:
            # The disk filled, say: tell what the file holds, and give what it does not.
            kept = bool(self.store.saved)
            return IntakeStopped(
                interrupted=interrupted,
                saved=self.store.path if kept else None,
                resume=self.store.resume if kept else None,
                answered=answered,
                pending=pending,
                failure=self.store.failure or "it could not be written",
                saved_count=len(self.store.saved),
                unsaved=self.store.unsaved(session.answers),
                signal=signal,
            )
        return IntakeStopped(
            interrupted=interrupted,
            saved=self.store.path,
            resume=self.store.resume,
            answered=answered,
            pending=pending,
            signal=signal,
        )


def _to_ask(q: Questionnaire, answers: Mapping[str, Answer], start: str) -> tuple[int, int]:
    """The fewest and most questions without an answer on the ways on from ``start``."""
    from hamstring_cli.model import END

    memo: dict[str, tuple[int, int]] = {}

    def visit(qid: str, stack: frozenset[str]) -> tuple[int, int]:
        if qid == END or qid in stack:
            return (0, 0)
        if qid in memo:
            return memo[qid]
        question = q.question(qid)
        if qid in answers:
            found = visit(q.next_after(question, answers), stack | {qid})
        else:
            ends = [visit(t, stack | {qid}) for t in q.successors(question)]
            found = (1 + min(e[0] for e in ends), 1 + max(e[1] for e in ends))
        memo[qid] = found
        return found

    return visit(start, frozenset())


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


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP during an intake: stops it as Ctrl-C does (saved, with the resume hint).

    A ``KeyboardInterrupt``, so that whatever is drawing (a questionary prompt, a pager) unwinds
    and gives the terminal back on the way out, as it does for Ctrl-C.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


#: The signals that stop an intake as Ctrl-C does.
_STOP_SIGNALS = ("SIGTERM", "SIGHUP")


def _let_a_hung_up_terminal_go() -> None:
    """Point standard streams whose terminal has gone (a hang-up: EIO) at ``/dev/null``.

    What is left to do (the prompt's clean-up, the message) then writes to nothing instead of
    failing on the way out, and the answers are saved whatever; a stream that is a file or a
    terminal still there is left alone.
    """
    import errno
    import termios

    for fd in (0, 1, 2):
        try:
            termios.tcgetattr(fd)
        except termios.error as error:
            if error.args and error.args[0] == errno.EIO:
                with contextlib.suppress(OSError):
                    null = os.open(os.devnull, os.O_RDWR)
                    os.dup2(null, fd)
                    os.close(null)
        except OSError:
            pass


@contextmanager
def _stopped_by_signals() -> Iterator[Callable[[], None]]:
    """While the intake runs, SIGTERM and SIGHUP raise :class:`Terminated` (once).

    Yields the function that puts the terminal back in the modes it had when the intake began
    (a pager killed on the way out may leave it raw).
    """
    import signal

    modes: list[Any] | None = None
    fd = -1
    try:
        import termios

        fd = sys.stdin.fileno()
        if os.isatty(fd):
            modes = termios.tcgetattr(fd)
    except (ImportError, AttributeError, OSError, ValueError):
        modes = None
    fired: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        if fired:
            return  # already stopping: let the answers be saved
        fired.append(signum)
        if signum == getattr(signal, "SIGHUP", None):
            _let_a_hung_up_terminal_go()
        raise Terminated(signum)

    def restore() -> None:
        if modes is None:
            return
        import termios

        with contextlib.suppress(OSError, termios.error):
            termios.tcsetattr(fd, termios.TCSADRAIN, modes)

    previous: dict[int, object] = {}
    for name in _STOP_SIGNALS:
        number = getattr(signal, name, None)
        if number is None:
            continue
        # Outside the main thread (a test's runner, say) the default handling stays.
        with contextlib.suppress(ValueError, OSError):
            previous[number] = signal.signal(number, stop)
    try:
        yield restore
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]


def intake(
    questionnaire: Questionnaire,
    given: Mapping[str, Answer],
    *,
    plain: bool = False,
    session_file: Path | None = None,
    shown_format: str = "text",
    offer_save: bool = True,
    resuming: bool = False,
    deliver: Callable[[Result], None] | None = None,
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
        resuming: ``session_file`` is the session being resumed (else it must not exist).
        deliver: writes the result the command line reports (``--output``, standard output),
            called before the session file is removed, so a report that cannot be written
            loses nothing.

    Raises:
        IntakeStopped: Ctrl-C, a signal, or the input ended; the answers so far are saved.
        SessionKept: ``deliver`` failed; the answers stay in the session file.
        SessionFileError: the session file cannot be used (it is some other file, or its folder
            cannot be made).
    """
    stream = _ui_stream()
    screen = _Screen(stream, plain)
    # Locked from here to the end: a second intake on the same file is refused.
    store = SessionFile.open(questionnaire, session_file, resuming=resuming)
    try:
        session = Session(questionnaire, given)
        terminal = _Terminal(questionnaire, screen, store, plain)
        try:
            with _stopped_by_signals() as restore, _prompts_on(screen):
                screen.intro(questionnaire, store, len(given))
                try:
                    _walk_and_review(session, terminal)
                    early = False
                except EmergencyStop:
                    early = True
                # Stopped early, the questions not asked are unknown: the result reads only
                # the answers given, as it does for any question the path skips.
                result = score(questionnaire, session.path_answers, alerted=terminal.alerted)
                screen.summary(result)
                if early:
                    screen.stopped_early(session)
                # Piped answers have nobody to answer a menu: the output is the record.
                ended = REPORTED
                if _stdin_is_terminal():
                    ended = _after_summary(result, terminal, shown_format, offer_save=offer_save)
        except KeyboardInterrupt as interrupt:
            signum = interrupt.signum if isinstance(interrupt, Terminated) else None
            if signum is not None:
                restore()
            # The message goes on a line of its own, not after the '> ' of the prompt.
            if plain or signum is not None:
                with contextlib.suppress(OSError, ValueError):
                    stream.write("\n")
                    stream.flush()
            raise terminal.stopped(session, interrupted=True, signal=signum) from None
        except EOFError:
            raise terminal.stopped(session, interrupted=False) from None
        if deliver is not None:
            try:
                deliver(result)
            except HamstringError as error:
                # The report could not be written: the answers stay, and the message says where.
                terminal.save(session)
                raise SessionKept(str(error), terminal.kept_words(session, early=early)) from None
        _end_session(terminal, session, ended, early=early)
    finally:
        store.close()
    return session.path_answers


class SessionKept(Stop):
    """The report could not be written after the intake; its answers stay in the session file.

    A :class:`~hamstring_cli.exits.Stop`: the command line says both and exits 1.
    """

    def __init__(self, problem: str, kept: str) -> None:
        super().__init__(f"{problem}\n{kept}")


def _end_session(terminal: _Terminal, session: Session, ended: str, *, early: bool) -> None:
    """Keep or remove the session file as the intake ended, and say which.

    The answers stay until the user discards them, unless a report holds a complete intake;
    an intake stopped early stays resumable whatever was saved.
    """
    store, screen = terminal.store, terminal.screen
    try:
        if ended == DISCARD:
            store.remove()
            if _stdin_is_terminal():
                screen.text("The answers were discarded.")
            return
        if ended == REPORTED and not early:
            store.remove()
            return
    except SessionFileError as error:
        screen.warn(str(error))
        return
    terminal.save(session)
    screen.lines(terminal.kept_words(session, early=early))


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _walk_and_review(session: Session, terminal: _Terminal) -> None:
    """Ask until the path ends, then review; a changed answer re-walks what it changes.

    Once every question is answered the intake is complete: an input that ends at the review
    (the last line of a script) goes on to the summary.
    """
    while True:
        drive(session, terminal)
        terminal.changing = False
        terminal.checkpoint(session)
        terminal.screen.review(session)
        try:
            if terminal.prompt(_review_ask()) != CHANGE_ANSWER:
                return
            raw = terminal.prompt(_change_ask(session))
        except EOFError:
            return
        target = change_target(session, raw)
        if target is not None:
            terminal.changing = True
            session.revisit(target)


def _after_summary(
    result: Result, terminal: _Terminal, shown_format: str, *, offer_save: bool
) -> str:
    """What next: finish, show the reasoning, or save a report to a private file.

    The menu keeps its numbers for as long as it is shown (3 is always "Save a report"), and
    the reasoning can be shown again. Finishing without a saved report asks once whether to
    keep the answers (the default) or discard them. The reports offered are the registry's
    saved formats (:mod:`hamstring_cli.render.formats`), the one the command line shows first.

    Returns:
        How the intake ended: :data:`REPORTED` (a report was saved, or ``--output`` will write
        one), :data:`KEEP_ANSWERS` or :data:`DISCARD`. An input that ends here keeps them.
    """
    from hamstring_cli.render.formats import SAVED_FORMATS

    offered = sorted(SAVED_FORMATS, key=lambda f: f.name != shown_format)
    # Three choices at most, so that the menu stays on the screen under the decision; numbered
    # once, so that a number means the same choice every time the menu is shown.
    entries = [
        ("Finish here", NO_REPORT),
        ("Show the reasoning: differential, notes, references", REASONING),
    ]
    if offer_save:
        entries.append(("Save a report to a file", SAVE_REPORT))
    choices = tuple(Choice(t, v, str(n)) for n, (t, v) in enumerate(entries, 1))
    while True:
        try:
            picked = terminal.prompt(Ask(SAVE, "select", "What next?", choices, NO_REPORT))
            if picked == REASONING:
                terminal.screen.reasoning(result)
                if not terminal.plain:
                    # Back from the pager, the decision is what the screen ends on again.
                    terminal.screen.summary(result)
                continue
            if picked == SAVE_REPORT:
                kinds = tuple(
                    Choice(f"{f.title}, {f.purpose}", f.name, str(n))
                    for n, f in enumerate(offered, 1)
                )
                kind = terminal.prompt(
                    Ask(REPORT_FORMAT, "select", "Which report?", kinds, offered[0].name)
                )
                _save_report(result, terminal, str(kind))
                return REPORTED
            if not offer_save:
                return REPORTED  # the command line writes the report (--output)
            ended = terminal.prompt(_finish_ask(terminal.saving and bool(terminal.store.saved)))
        except EOFError:
            return KEEP_ANSWERS
        if ended != MENU:
            return str(ended)


def _save_report(result: Result, terminal: _Terminal, fmt: str) -> None:
    """Save the report in the format ``fmt`` (a name in the registry) to a private file."""
    from hamstring_cli.render.formats import get

    chosen = get(fmt)
    suggested = _home(default_report_path(chosen.suffix))
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
        terminal.screen.text(f"Saved the {chosen.title} report, private to you (mode 0600), in:")
        terminal.screen.text(str(path.resolve()), indent="  ")
        return


def _check_path(raw: object) -> str | None:
    return None if str(raw).strip() else "Type a file name"


def _home(path: Path) -> str:
    """A path with the home folder as '~', so that it fits a line."""
    try:
        return "~/" + str(path.resolve().relative_to(Path.home().resolve()))
    except (ValueError, RuntimeError, OSError):
        return str(path)
