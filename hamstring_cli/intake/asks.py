"""Every prompt of the intake described as plain data, before anything is drawn (pure).

A question of the questionnaire becomes an :class:`Ask` through the prompt function its type
names in :data:`hamstring_cli.question_types.TYPES` (looked up in :data:`PROMPTS`); the menus
of the intake (review, change, emergency stop, finish) are described here too. An ``Ask`` is
then shown by :func:`hamstring_cli.intake.screen.prompt` (questionary) or
:func:`hamstring_cli.intake.plain.prompt_plain` (``--plain``), and what it returns is read back
by :func:`interpret`. No terminal library is imported here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from hamstring_cli.engine import BACK, Back, Session
from hamstring_cli.errors import InvalidAnswer
from hamstring_cli.model import Answer, Question, Questionnaire, RedFlagRule
from hamstring_cli.question_types import kind
from hamstring_cli.scoring import alerts

__all__ = [
    "BACK_TITLE",
    "BACK_WORDS",
    "CHANGE",
    "CHANGE_ANSWER",
    "DISCARD",
    "FINISH",
    "GO_ON",
    "KEEP",
    "KEEP_ANSWERS",
    "MENU",
    "NONE_OF_THESE",
    "NO_REPORT",
    "OVERWRITE",
    "PROMPTS",
    "REASONING",
    "REPLACE",
    "REPORTED",
    "REPORT_FORMAT",
    "REVIEW",
    "SAVE",
    "SAVE_PATH",
    "SAVE_REPORT",
    "SHOW_SUMMARY",
    "STOP",
    "STOP_HERE",
    "Ask",
    "Choice",
    "Describe",
    "ask_choice",
    "ask_integer",
    "ask_multi",
    "change_ask",
    "change_target",
    "finish_ask",
    "interpret",
    "menu",
    "question_ask",
    "raised_flags",
    "review_ask",
    "stop_ask",
]


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
#: What typed at a text prompt goes back.
BACK_WORDS = ("b", "back")
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


#: A prompt function: the prompt for a question, given its answer so far (shown as the default)
#: and whether there is an earlier question to go back to.
Describe = Callable[[Question, Answer | None, bool], Ask]


def question_ask(question: Question, current: Answer | None, can_back: bool) -> Ask:
    """The prompt for a question of the questionnaire, by the prompt function its type names.

    Args:
        question: the question.
        current: its answer so far (when it is asked again), shown as the default.
        can_back: whether there is an earlier question to go back to.
    """
    return PROMPTS[kind(question.type).prompt](question, current, can_back)


def ask_integer(question: Question, current: Answer | None, can_back: bool) -> Ask:
    """An integer question: a number typed, its range as the hint (``b`` goes back)."""
    unit = f" {question.unit}" if question.unit else ""
    hint = f"{question.minimum} to {question.maximum}{unit}"

    def check_number(raw: object) -> str | None:
        text = str(raw).strip()
        if can_back and text.lower() in BACK_WORDS:
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


#: The prompt functions, by the name a question type's entry in
#: :data:`hamstring_cli.question_types.TYPES` gives as its ``prompt``.
PROMPTS: Mapping[str, Describe] = {
    "ask_choice": ask_choice,
    "ask_multi": ask_multi,
    "ask_integer": ask_integer,
}


def interpret(ask: Ask, raw: object) -> object:
    """Turn what a prompt returned into a raw answer for the session, or :data:`BACK`."""
    if isinstance(raw, Back):
        return BACK
    if ask.kind == "checkbox" and isinstance(raw, (list, tuple)):
        if any(v is BACK for v in raw):
            return BACK
        return [v for v in raw if v is not NONE_OF_THESE]
    if ask.kind == "text" and ask.back and str(raw).strip().lower() in BACK_WORDS:
        return BACK
    return raw


def raised_flags(questionnaire: Questionnaire, answers: Mapping[str, Answer]) -> list[RedFlagRule]:
    """The red-flag rules that the answers so far on the path make certain (pure).

    The result's own evaluation (:func:`hamstring_cli.scoring.alerts`): a flag appears as soon
    as no answer still to come can take it back, and a rule that reads the leading condition
    only at the end, so every flag shown is in the summary unless an answer is changed.
    """
    return list(alerts(questionnaire, answers))


def menu(key: str, message: str, entries: tuple[tuple[str, str], ...], default: str) -> Ask:
    """A menu of the intake: ``entries`` (title, value) numbered from 1, ``default`` first."""
    choices = tuple(Choice(title, value, str(n)) for n, (title, value) in enumerate(entries, 1))
    return Ask(key, "select", message, choices, default=default)


def review_ask() -> Ask:
    """Every question answered: show the summary (the default), or change an answer."""
    return menu(
        REVIEW,
        "All questions are answered. What next?",
        (("Show the summary", SHOW_SUMMARY), ("Change an answer", CHANGE_ANSWER)),
        SHOW_SUMMARY,
    )


def stop_ask() -> Ask:
    """After an emergency red flag: stop for the emergency summary (the default), or go on."""
    return menu(
        STOP,
        "An emergency: stop the intake here?",
        (
            ("Stop here and show the emergency summary", STOP_HERE),
            ("Go on with the intake", GO_ON),
        ),
        STOP_HERE,
    )


def finish_ask(saved: bool) -> Ask:
    """Finishing without a saved report: keep the answers (the default), discard them, or not.

    ``saved``: whether the session file holds the answers (it does not when the disk is full).
    """
    if not saved:
        return menu(
            FINISH,
            "Finish without saving a report? The answers could not be saved to a file.",
            (("Yes, finish: the answers are not kept", DISCARD), ("No, back to the menu", MENU)),
            MENU,
        )
    return menu(
        FINISH,
        "Finish without saving a report?",
        (
            ("Yes, and keep the answers to resume or report later", KEEP_ANSWERS),
            ("Yes, and discard the answers", DISCARD),
            ("No, back to the menu", MENU),
        ),
        KEEP_ANSWERS,
    )


def change_ask(session: Session) -> Ask:
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
