"""What the intake draws on a terminal: questionary's prompts and everything between them.

:func:`prompt` shows an :class:`~hamstring_cli.intake.asks.Ask` with questionary, fitted to the
width of the terminal; :class:`Screen` writes the headings, the help, the red-flag panels, the
review table, the summary and the pager. With :mod:`hamstring_cli.interactive`, the only place
that imports questionary, prompt_toolkit and rich for the intake (ruff's banned-api rule allows
them nowhere else outside ``render`` and the command line), and always inside the function that
draws, so that nothing is loaded before the first question.
"""

from __future__ import annotations

import os
import re
import shutil
import textwrap
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from hamstring_cli.engine import Session
from hamstring_cli.errors import escape
from hamstring_cli.intake.asks import Ask, Choice
from hamstring_cli.model import (
    TIMEFRAME_WORDS,
    Answer,
    Question,
    Questionnaire,
    RedFlagRule,
    fill,
    level_timeframe,
)
from hamstring_cli.render.words import plural
from hamstring_cli.scoring import Result
from hamstring_cli.sessions import SessionFile

if TYPE_CHECKING:
    from prompt_toolkit.output import Output
    from rich.console import Console

__all__ = ["Screen", "home", "prompt", "prompt_rows", "prompts_on"]


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


def prompt_rows(ask: Ask, columns: int) -> int:
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


class Screen:
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
        self.text(f"Saved in {home(store.path)}", "dim")
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


@contextmanager
def prompts_on(screen: Screen) -> Iterator[None]:
    """Draw questionary's prompts where the screen writes (standard error, say)."""
    if screen.output is None:
        yield
        return
    from prompt_toolkit.application import create_app_session

    with create_app_session(output=screen.output):
        yield


def home(path: Path) -> str:
    """A path with the home folder as '~', so that it fits a line."""
    try:
        return "~/" + str(path.resolve().relative_to(Path.home().resolve()))
    except (ValueError, RuntimeError, OSError):
        return str(path)
