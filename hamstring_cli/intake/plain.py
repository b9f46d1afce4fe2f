"""The ``--plain`` reader: numbered lines and typed answers, for screen readers, dumb terminals
and pipes.

Nothing moves the cursor and no prompt library is loaded: the prompt is written as wrapped lines
of words, the answer read a line at a time, and what was accepted said back on its own line.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap
from typing import TextIO

from hamstring_cli.engine import BACK
from hamstring_cli.errors import escape, shorten
from hamstring_cli.intake.asks import BACK_WORDS, NONE_OF_THESE, Ask
from hamstring_cli.render.words import plural

__all__ = ["prompt_plain"]


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
    if ask.can_go_back and text.lower() in BACK_WORDS:
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
