"""The summary for a terminal, drawn with rich: the triage banner, the differential, imaging.

Layer 2. rich is imported here and nowhere on the scripted JSON or Markdown paths: this module
is imported only when a text summary is drawn. The interactive intake draws its closing summary
with :func:`render_summary` on its own console.

On a terminal the summary has colour, a panel and a table. When the output is not a terminal, or
``NO_COLOR`` is set, it is plain: no colour and no box drawing, so it survives a pipe, a log
file and a paste into notes. Below :data:`WIDE` columns the differential is a list, not a table.
"""

from __future__ import annotations

import io
import textwrap
from typing import IO

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from hamstring_cli.scoring import Finding, Ranked, Result

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


def render_summary(result: Result, console: Console) -> None:
    """Print the summary of a result on ``console``, plain or coloured as the console allows."""
    plain = is_plain(console)
    look = _Look(plain)
    parts: list[RenderableType] = [_banner(result, plain), Text("")]
    parts += _differential(result, look, console.width)
    parts += _imaging(result, look)
    parts += _red_flags(result, look, console.width)
    parts += _notes(result, look, console.width)
    parts += _references(result, look)
    if result.questionnaire.disclaimer:
        parts.append(look.text(result.questionnaire.disclaimer, "dim italic"))
    console.print(Group(*parts))


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
    return buffer.getvalue()


def _banner(result: Result, plain: bool) -> RenderableType:
    triage = result.triage
    heading = triage.label.upper() + (f": {triage.timeframe}" if triage.timeframe else "")
    leading = result.differential[0]
    body = Text()
    body.append(triage.advice)
    body.append(f"\nMost likely: {leading.label} (confidence {result.confidence})")
    if plain:
        return Group(Text(heading), Text("=" * len(heading)), body)
    style = LEVEL_STYLES.get(triage.level, "bold")
    return Panel(
        body,
        title=Text(f" {heading} ", style=style),
        title_align="left",
        border_style=style.replace(" on red", "").replace("white", "red"),
        box=box.ROUNDED,
    )


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
    return Text(
        textwrap.fill(
            words,
            width=max(width, 20),
            initial_indent=first,
            subsequent_indent=rest,
            break_on_hyphens=False,
            break_long_words=False,
        )
    )


def _imaging(result: Result, look: _Look) -> list[RenderableType]:
    imaging = result.imaging
    source = f" [{imaging.source}]" if imaging.source else ""
    if imaging.advised:
        urgency = f", {imaging.urgency}" if imaging.urgency else ""
        line = f"{imaging.modality}{urgency}: {imaging.reason}{source}"
    else:
        line = f"not advised now: {imaging.reason}{source}"
    return [look.heading("Imaging"), Text(line), Text("")]


def _red_flags(result: Result, look: _Look, width: int) -> list[RenderableType]:
    if not result.red_flags:
        return [look.heading("Red flags"), Text("none raised"), Text("")]
    lines: list[RenderableType] = [look.heading("Red flags")]
    for flag in result.red_flags:
        words = f"• {flag.id} ({flag.level}): {flag.advice} [{flag.source}]"
        line = _hanging(words, width, "", "  ")
        line.stylize("bold red", 2, 2 + len(f"{flag.id} ({flag.level})"))
        lines.append(line if not look.plain else Text(line.plain))
    return [*lines, Text("")]


def _notes(result: Result, look: _Look, width: int) -> list[RenderableType]:
    if not result.notes:
        return []
    lines: list[RenderableType] = [look.heading("Notes")]
    lines += [_hanging(f"• {note.text} [{note.source}]", width, "", "  ") for note in result.notes]
    return [*lines, Text("")]


def _references(result: Result, look: _Look) -> list[RenderableType]:
    cited = result.cited()
    if not cited:
        return []
    lines: list[RenderableType] = [look.heading("References")]
    lines += [
        Text(f"[{ref.id}] {ref.citation}" + (f" {ref.url}" if ref.url else "")) for ref in cited
    ]
    return [*lines, Text("")]
