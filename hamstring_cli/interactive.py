"""The interactive intake: the questions in a terminal, back and review, red flags, the summary.

The entry the rest of the package uses (:func:`intake`), and the intake's loop: the review and
changing an answer, the emergency stop, the menu after the summary, finishing and saving. The
parts it is built from are in :mod:`hamstring_cli.intake`: every prompt is first described as
an :class:`~hamstring_cli.intake.asks.Ask` (plain data, :mod:`~hamstring_cli.intake.asks`),
then shown by exactly one function: :func:`prompt`, with questionary
(:mod:`~hamstring_cli.intake.screen`, which draws everything between the prompts too), or
:func:`prompt_plain`, with numbered lines read one at a time for ``--plain`` (screen readers,
dumb terminals, pipes; :mod:`~hamstring_cli.intake.plain`). Tests replace :func:`prompt` (or
:func:`prompt_plain`) here to drive whole intakes without a terminal.

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
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from hamstring_cli.engine import Session, drive
from hamstring_cli.errors import HamstringError
from hamstring_cli.exits import Stop
from hamstring_cli.files import OutputError, write_private
from hamstring_cli.intake import asks
from hamstring_cli.intake.asks import Ask, Choice, interpret, question_ask
from hamstring_cli.intake.plain import prompt_plain
from hamstring_cli.intake.screen import Screen, home, prompt, prompt_rows, prompts_on
from hamstring_cli.intake.signals import Terminated, stopped_by_signals
from hamstring_cli.model import Answer, Question, Questionnaire
from hamstring_cli.render.words import plural
from hamstring_cli.report import render
from hamstring_cli.scoring import Result, score
from hamstring_cli.sessions import (
    IntakeStopped,
    SessionFile,
    SessionFileError,
    default_report_path,
)

#: The intake, and what the command line, the practice sessions and the tests name here: the
#: two prompts (each replaced by a test's script), how prompts are described, and their keys.
#: The intake, and what the practice sessions and the tests name here: the two prompts (each
#: replaced by a test's script) and how a question's prompt is described.
__all__ = [
    "Ask",
    "Choice",
    "EmergencyStop",
    "SessionKept",
    "intake",
    "interpret",
    "prompt",
    "prompt_plain",
    "question_ask",
]


class EmergencyStop(Exception):
    """The user chose to stop the intake at an emergency red flag and see the summary now."""


class _Terminal:
    """The answer source that asks in the terminal; it saves and checks before every question."""

    def __init__(self, q: Questionnaire, screen: Screen, store: SessionFile, plain: bool) -> None:
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
        self.screen.question(question, self.where(session), prompt_rows(ask, self.screen.width))
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
        raised = asks.raised_flags(self.q, answers)
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
        if offer and self.prompt(asks.stop_ask()) == asks.STOP_HERE:
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
            self.store.save(on_path, held, alerted=self.alerted)
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
    screen = Screen(stream, plain)
    # Locked from here to the end: a second intake on the same file is refused.
    store = SessionFile.open(questionnaire, session_file, resuming=resuming)
    try:
        session = Session(questionnaire, given)
        terminal = _Terminal(questionnaire, screen, store, plain)
        if resuming:
            # The flags shown before the stop: the summary still says if one is withdrawn.
            terminal.alerted.update(store.shown())
        try:
            with stopped_by_signals() as restore, prompts_on(screen):
                screen.intro(questionnaire, store, len(given))
                try:
                    _walk_and_review(session, terminal)
                    early = False
                except EmergencyStop:
                    early = True
                # Stopped early, the questions not asked are unknown: the result reads only
                # the answers given, as it does for any question the path skips.
                result = score(
                    questionnaire,
                    session.path_answers,
                    alerted=terminal.alerted,
                    complete=not early,
                )
                screen.summary(result)
                if early:
                    screen.stopped_early(session)
                # Piped answers have nobody to answer a menu: the output is the record.
                ended = asks.REPORTED
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
        if ended == asks.DISCARD:
            store.remove()
            if _stdin_is_terminal():
                screen.text("The answers were discarded.")
            return
        if ended == asks.REPORTED and not early:
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
            if terminal.prompt(asks.review_ask()) != asks.CHANGE_ANSWER:
                return
            raw = terminal.prompt(asks.change_ask(session))
        except EOFError:
            return
        target = asks.change_target(session, raw)
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
        How the intake ended (values of :mod:`~hamstring_cli.intake.asks`): ``REPORTED`` (a
        report was saved, or ``--output`` will write one), ``KEEP_ANSWERS`` or ``DISCARD``. An
        input that ends here keeps them.
    """
    from hamstring_cli.render.formats import SAVED_FORMATS

    offered = sorted(SAVED_FORMATS, key=lambda f: f.name != shown_format)
    # Three choices at most, so that the menu stays on the screen under the decision; numbered
    # once, so that a number means the same choice every time the menu is shown.
    entries = [
        ("Finish here", asks.NO_REPORT),
        ("Show the reasoning: differential, notes, references", asks.REASONING),
    ]
    if offer_save:
        entries.append(("Save a report to a file", asks.SAVE_REPORT))
    while True:
        try:
            picked = terminal.prompt(
                asks.menu(asks.SAVE, "What next?", tuple(entries), asks.NO_REPORT)
            )
            if picked == asks.REASONING:
                terminal.screen.reasoning(result)
                if not terminal.plain:
                    # Back from the pager, the decision is what the screen ends on again.
                    terminal.screen.summary(result)
                continue
            if picked == asks.SAVE_REPORT:
                kinds = tuple((f"{f.title}, {f.purpose}", f.name) for f in offered)
                kind = terminal.prompt(
                    asks.menu(asks.REPORT_FORMAT, "Which report?", kinds, offered[0].name)
                )
                _save_report(result, terminal, str(kind))
                return asks.REPORTED
            if not offer_save:
                return asks.REPORTED  # the command line writes the report (--output)
            ended = terminal.prompt(asks.finish_ask(terminal.saving and bool(terminal.store.saved)))
        except EOFError:
            return asks.KEEP_ANSWERS
        if ended != asks.MENU:
            return str(ended)


def _save_report(result: Result, terminal: _Terminal, fmt: str) -> None:
    """Save the report in the format ``fmt`` (a name in the registry) to a private file."""
    from hamstring_cli.render.formats import get

    chosen = get(fmt)
    suggested = home(default_report_path(chosen.suffix))
    data = render(result, str(fmt)).encode("utf-8")
    while True:
        raw = terminal.prompt(
            Ask(
                asks.SAVE_PATH,
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
                    asks.menu(
                        asks.OVERWRITE,
                        f"{path} exists. Replace it?",
                        (("No, choose another name", asks.KEEP), ("Yes, replace it", asks.REPLACE)),
                        asks.KEEP,
                    )
                )
                == asks.REPLACE
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
