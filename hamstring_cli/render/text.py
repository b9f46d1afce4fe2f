"""The summary for a terminal, drawn with rich: the triage banner, the differential, imaging.

Rich is imported here and nowhere on the scripted JSON or Markdown paths: this module
is imported only when a text summary is drawn. The interactive intake draws its closing summary
with :func:`render_summary` on its own console.

On a terminal the summary has colour, a panel and a table. When the output is not a terminal, or
``NO_COLOR`` is set, it is plain: no colour and no box drawing, so it survives a pipe, a log
file and a paste into notes. Below :data:`WIDE` columns the differential is a list, not a table.
"""

from __future__ import annotations

import io
import re
from typing import IO

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from hamstring_cli.render.decision import decision_block, flag_words, wrap, wrapped
from hamstring_cli.render.words import (
    reference_words,
    study_words,
    timeframe_words,
)
from hamstring_cli.scoring import Finding, RaisedFlag, Ranked, Result

__all__ = [
    "LEVEL_STYLES",
    "decision_text",
    "render",
    "render_decision",
    "render_reasoning",
    "render_summary",
    "render_text",
    "show",
]

#: Narrower than this, the differential is a list rather than a table of four columns: at 80
#: columns a table leaves the findings a column of two or three words a line.
WIDE = 110

#: The banner's style for each triage level, most pressing first.
LEVEL_STYLES = {
    "emergency": "bold white on red",
    "urgent": "bold red",
    "soon": "bold yellow",
    "routine": "bold green",
}


def make_console(file: IO[str] | None = None, *, width: int | None = None) -> Console:
    """A console for a summary: standard output by default, honouring ``NO_COLOR`` and pipes.

    Args:
        file: where to write (default: standard output, looked up when writing).
        width: a fixed width (default: the terminal's, or 80 when not a terminal).
    """
    # highlight and markup off: questionnaire text is data, and '[R1]' must print as written.
    return Console(file=file, width=width, highlight=False, markup=False, emoji=False)


def is_plain(console: Console) -> bool:
    """Whether to draw without colour or boxes: not a terminal, or ``NO_COLOR`` set."""
    return not console.is_terminal or console.no_color


def render_summary(result: Result, console: Console, *, reasoning: bool = True) -> None:
    """Print the summary of a result on ``console``, plain or coloured as the console allows.

    The decision comes first and fits one screen: the level and its timeframe, what to do, the
    leading condition and confidence, the findings that decided it, every advised study and the
    red flags raised. With ``reasoning`` the full differential, the imaging reasons, the red
    flags' advice, the notes and the references follow (:func:`render_reasoning`).
    """
    render_decision(result, console)
    if reasoning:
        console.print(Text(""))
        render_reasoning(result, console)


def render_decision(result: Result, console: Console) -> None:
    """Print the decision: at most :data:`DECISION_LINES` lines at the console's width."""
    plain = is_plain(console)
    look = _Look(plain)
    console.print(Group(*_decision_renderables(result, look, console.width)))


def render_reasoning(result: Result, console: Console) -> None:
    """Print why: the differential, every study and red flag in full, notes, references."""
    look = _Look(is_plain(console))
    width = console.width
    parts: list[RenderableType] = []
    parts += _what_to_do(result, look, width)
    parts += _differential(result, look, width)
    parts += _scope(result, look, width)
    parts += _imaging(result, look, width)
    parts += _red_flags(result, look, width)
    parts += _safety_net(result, look, width)
    parts += _notes(result, look, width)
    parts += _references(result, look, width)
    if result.questionnaire.disclaimer:
        parts.append(
            look.text(_hanging(result.questionnaire.disclaimer, width, "", "").plain, "dim italic")
        )
    # Lines are wrapped above; only a url longer than the width goes past it, whole, so that
    # it can be copied and opened (a terminal shows the rest on the next row).
    console.print(Group(*parts), crop=False)


def decision_text(result: Result, *, width: int = 80, terminal: bool = False) -> str:
    """The decision as the screen shows it, without colour (for tests and line counts)."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=terminal,
        no_color=not terminal,
        color_system="standard" if terminal else None,
        highlight=False,
        markup=False,
        emoji=False,
    )
    render_decision(result, console)
    out = buffer.getvalue()
    return re.sub(r"\x1b\[[0-9;]*m", "", out)


class _Look:
    """Styles when drawing for a terminal; none at all when plain (not even bold)."""

    def __init__(self, plain: bool) -> None:
        self.plain = plain

    def text(self, words: str, style: str = "") -> Text:
        return Text(words, style="" if self.plain else style)

    def heading(self, words: str) -> Text:
        return self.text(words, "bold")


def render_text(result: Result, *, width: int = WIDE) -> str:
    """The plain summary as a string (for ``--output`` files): no colour, no boxes."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=False,
        no_color=True,
        color_system=None,
        highlight=False,
        markup=False,
        emoji=False,
    )
    render_summary(result, console)
    # Text pasted into notes carries no trailing spaces, whatever rich pads a line with.
    return "\n".join(line.rstrip() for line in buffer.getvalue().split("\n"))


def render(result: Result) -> str:
    """``--format text`` for a file: the plain summary (the output-format registry's entry)."""
    return render_text(result)


def show(result: Result, stream: IO[str]) -> None:
    """``--format text`` on standard output: drawn for the terminal, or plain when piped."""
    render_summary(result, make_console(stream))


# ---------------------------------------------------------------------------------------------
# The decision


def _decision_renderables(result: Result, look: _Look, width: int) -> list[RenderableType]:
    block = decision_block(result)
    inner = max((width - 4) if not look.plain else width, 20)
    body = Text()
    for number, (line, style) in enumerate(wrap(block.banner, inner)):
        body.append(("\n" if number else "") + line, style="" if look.plain else style)
    after = [look.text(line, style) for line, style in wrap(block.after, max(width, 20))]
    parts: list[RenderableType]
    heading = block.heading
    if look.plain:
        heading = _hanging(heading, width, "", "").plain
        underline = "=" * min(max(len(x) for x in heading.split("\n")), width)
        return [Text(heading), Text(underline), body, *after]
    style = LEVEL_STYLES.get(block.level, "bold")
    if len(heading) > width - 8:
        # Too long for the box's top edge: the heading opens the box instead, whole.
        body = Text(heading + "\n", style=style) + body
        heading = block.heading.split(":")[0]
    parts = [
        Panel(
            body,
            title=Text(f" {heading} ", style=style),
            title_align="left",
            border_style=style.replace(" on red", "").replace("white", "red"),
            box=box.ROUNDED,
        )
    ]
    return [*parts, *after]


def _flag_heading(result: Result, flag: RaisedFlag) -> str:
    """'Possible cauda equina syndrome: emergency, now': the flag's name, level and timeframe."""
    level = result.questionnaire.outcomes.levels.get(flag.level)
    return flag_words(flag, level.label.lower() if level is not None else flag.level)


# ---------------------------------------------------------------------------------------------
# The reasoning


def _findings(findings: tuple[Finding, ...]) -> str:
    return "\n".join(f"• {f.text} [{f.source}]" for f in findings)


def _differential(result: Result, look: _Look, width: int) -> list[RenderableType]:
    title = f"Differential (confidence {result.confidence})"
    if look.plain or width < WIDE:
        title += ": + for, - against"
        return [look.heading(title), *_differential_list(result.differential, width), Text("")]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, expand=True, pad_edge=False)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Condition", ratio=3)
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("For", ratio=4, style="green")
    table.add_column("Against", ratio=3, style="red")
    for rank, condition in enumerate(result.differential, start=1):
        table.add_row(
            str(rank),
            Text(condition.label, style="bold" if rank == 1 else ""),
            f"{condition.score:g}",
            _findings(condition.for_) or "-",
            _findings(condition.against) or "-",
        )
    return [look.heading(title), table, Text("")]


def _differential_list(differential: tuple[Ranked, ...], width: int) -> list[RenderableType]:
    out: list[RenderableType] = []
    for rank, condition in enumerate(differential, start=1):
        heading = f"{rank}. {condition.label}, score {condition.score:g}"
        out.append(_hanging(heading, width, "", "   "))
        for sign, findings in (("+", condition.for_), ("-", condition.against)):
            out.extend(_hanging(f"{sign} {f.text} [{f.source}]", width) for f in findings)
    return out


def _hanging(words: str, width: int, first: str = "   ", rest: str = "     ") -> Text:
    # Wrapped here with a hanging indent, so a wrapped line never looks like a new entry:
    # rich's Padding would pad every line to the widest, leaving trailing spaces in text that
    # is pasted into notes.
    # A reference's url stays whole (a word longer than the width is not broken), so it can
    # still be opened when it is copied.
    return Text(
        "\n".join(wrapped(" ".join(words.split()), max(width, 20), first, rest)),
        no_wrap=True,
        overflow="ignore",
    )


def _imaging(result: Result, look: _Look, width: int) -> list[RenderableType]:
    imaging = result.imaging
    lines: list[RenderableType] = [look.heading("Imaging")]
    if imaging.advised and imaging.studies:
        for study in imaging.studies:
            source = f" [{', '.join(study.sources or (study.source,))}]"
            what = f"{study_words(study.modality, study.site)}, {timeframe_words(study.timeframe)}"
            words = f"• {what}: {study.reason}{source}"
            lines.append(_hanging(words, width, "", "  "))
    elif imaging.advised:
        source = f" [{imaging.source}]" if imaging.source else ""
        urgency = f", {imaging.urgency}" if imaging.urgency else ""
        lines.append(
            _hanging(f"• {imaging.modality}{urgency}: {imaging.reason}{source}", width, "", "  ")
        )
    else:
        source = f" [{imaging.source}]" if imaging.source else ""
        lines.append(_hanging(f"Not advised now: {imaging.reason}{source}", width, "", ""))
    return [*lines, Text("")]


def _what_to_do(result: Result, look: _Look, width: int) -> list[RenderableType]:
    """The triage advice in full: the level's, the deciding red flags' and the condition's."""
    triage = result.triage
    sources = f" [{', '.join(triage.sources)}]" if triage.sources else ""
    lines: list[RenderableType] = [look.heading("What to do")]
    lines.append(_hanging(f"{triage.advice}{sources}", width, "", ""))
    if triage.condition_advice and triage.condition_advice not in triage.advice:
        # An emergency decided the level: the leading condition's own advice still follows.
        rule = result.differential[0]
        lines.append(
            _hanging(f"Otherwise, for {rule.label}: {triage.condition_advice}", width, "", "")
        )
    return [*lines, Text("")]


def _scope(result: Result, look: _Look, width: int) -> list[RenderableType]:
    """Whom the rules cover, for a questionnaire that declares it: applies or not, and why."""
    scope = result.scope
    if scope.applies and not result.questionnaire.outcomes.scope.exclusions:
        return []
    source = f" [{scope.source}]" if scope.source else ""
    words = ("Applies: " if scope.applies else "Does not apply: ") + scope.reason + source
    return [look.heading("Scope"), _hanging(words, width, "", ""), Text("")]


def _red_flags(result: Result, look: _Look, width: int) -> list[RenderableType]:
    withdrawn = result.decision.withdrawn
    lines: list[RenderableType] = [look.heading("Red flags")]
    if not result.red_flags:
        lines.append(Text("None raised"))
    for flag in result.red_flags:
        heading = _flag_heading(result, flag)
        # The advice whole, as the JSON holds it: its name opens it.
        words = f"• {heading}. {flag.advice} [{flag.source}]"
        line = _hanging(words, width, "", "  ")
        if not look.plain:
            line.stylize("bold red", 2, 2 + len(heading))
        lines.append(line)
    if withdrawn:
        lines.append(look.heading("Shown during the intake, now withdrawn"))
        for gone in withdrawn:
            words = f"• Withdrawn because {gone.why}: {gone.advice} [{gone.source}]"
            lines.append(_hanging(words, width, "", "  "))
    return [*lines, Text("")]


def _safety_net(result: Result, look: _Look, width: int) -> list[RenderableType]:
    items = result.decision.safety_net
    if not items:
        return []
    lines: list[RenderableType] = [look.heading("Safety net")]
    for item in items:
        when = f"{timeframe_words(item.timeframe).capitalize()}: " if item.timeframe else ""
        lines.append(_hanging(f"• {when}{item.text} [{item.source}]", width, "", "  "))
    return [*lines, Text("")]


def _notes(result: Result, look: _Look, width: int) -> list[RenderableType]:
    if not result.notes:
        return []
    lines: list[RenderableType] = [look.heading("Notes")]
    lines += [_hanging(f"• {note.text} [{note.source}]", width, "", "  ") for note in result.notes]
    return [*lines, Text("")]


def _references(result: Result, look: _Look, width: int) -> list[RenderableType]:
    cited = result.cited()
    if not cited:
        return []
    lines: list[RenderableType] = [look.heading("References")]
    lines += [
        _hanging(
            f"[{ref.id}] {reference_words(ref.citation)}" + (f" {ref.url}" if ref.url else ""),
            width,
            "",
            "  ",
        )
        for ref in cited
    ]
    return [*lines, Text("")]
