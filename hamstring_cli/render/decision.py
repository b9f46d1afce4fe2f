"""The decision block: one list of entries that every output draws alike.

Standard library only. The terminal summary (interactive and ``--format text``, drawn with rich
by :mod:`hamstring_cli.render.text`) and the Markdown report draw the same :class:`Block`, built
here from the result's one :class:`~hamstring_cli.scoring.Decision`, so they cannot say
different things.

Nothing is cut: every entry is a whole text of the result, or the short form the questionnaire
declares beside it (``summary``). To stay on one 80x24 screen the block may leave out whole
entries that the reasoning and the report give in full (the weaker findings, a study's reason,
a non-urgent flag's action, the condition's advice), chosen at :data:`DECISION_WIDTH` whatever
the width drawn at, so the screen, the text report and the Markdown report hold the same block.
The heading, the action, the emergency flags with what to do, every study with its timeframe,
every red flag by name, every withdrawn flag, the safety net and the disclaimer always stay.
"""

from __future__ import annotations

import functools
import textwrap
from typing import NamedTuple

from hamstring_cli.model import TIMEFRAME_RANK
from hamstring_cli.render.words import (
    flag_action,
    heading_words,
    sentence,
    study_words,
    timeframe_words,
)
from hamstring_cli.scoring import Decision, RaisedFlag, Result

__all__ = [
    "DECISION_LINES",
    "DECISION_WIDTH",
    "Block",
    "Entry",
    "decision_block",
    "flag_todo",
    "flag_words",
    "height",
    "named",
    "safety_net_words",
    "wrap",
    "wrapped",
]

#: The width at which the block is fitted to :data:`DECISION_LINES`: a standard terminal.
DECISION_WIDTH = 80
#: The most lines the decision takes (with its box or underline), so that it stays on an 80x24
#: screen together with the question that follows it.
DECISION_LINES = 18


class Entry(NamedTuple):
    """One entry of the block: a paragraph, wrapped with a hanging indent, in one style.

    ``role`` says what it is for the Markdown report: ``text`` (a paragraph), ``title`` (a list's
    title), ``item`` (a bullet) or ``more`` (the rest of the bullet above it).
    """

    words: str
    style: str = ""
    first: str = ""
    rest: str = ""
    role: str = "text"


class Block(NamedTuple):
    """The decision as drawn: the heading, the entries in the box (``banner``) and below it."""

    level: str
    heading: str
    banner: tuple[Entry, ...]
    after: tuple[Entry, ...]

    def words(self) -> str:
        """Every word of the block in order, on one line (what the outputs must agree on)."""
        texts = [self.heading, *(e.words for e in self.banner), *(e.words for e in self.after)]
        return " ".join(" ".join(texts).split())


class _Detail(NamedTuple):
    """How much the block says; each step down leaves out what matters least."""

    because: int = 3
    reasons: bool = True
    flag_actions: bool = True
    condition: bool = True
    #: The whole safety net, else its instructions and its most pressing signs only (the
    #: rest is in the full report).
    whole_net: bool = True
    #: The studies and the other red flags each in one run of text, not a line each.
    compact: bool = False
    #: The other red flags by name alone (their timeframes are in the report, and the studies
    #: and the heading keep the most pressing one).
    flag_times: bool = True


#: The tersest block that still draws each part its own way.
_TERSE = _Detail(because=0, reasons=False, flag_actions=False, condition=False)

#: From the fullest block to the tersest: the first that fits is drawn.
_LADDER = (
    _Detail(),
    _Detail(because=2),
    _Detail(because=1),
    _Detail(because=1, reasons=False),
    _Detail(because=1, reasons=False, flag_actions=False),
    _Detail(because=0, reasons=False, flag_actions=False),
    _TERSE,
    _TERSE._replace(whole_net=False),
    _TERSE._replace(whole_net=False, compact=True),
    _TERSE._replace(whole_net=False, compact=True, flag_times=False),
)


def decision_block(result: Result) -> Block:
    """The fullest block that fits :data:`DECISION_LINES` at :data:`DECISION_WIDTH` columns."""
    for detail in _LADDER[:-1]:
        block = _block(result, detail)
        if height(block, DECISION_WIDTH) <= DECISION_LINES:
            return block
    return _block(result, _LADDER[-1])


def height(block: Block, width: int) -> int:
    """The lines the block takes at ``width`` in a box (the taller of the two ways it is drawn)."""
    banner = wrap(block.banner, max(width - 4, 20))
    after = wrap(block.after, max(width, 20))
    return 2 + len(banner) + len(after)


def wrap(entries: tuple[Entry, ...], width: int) -> list[tuple[str, str]]:
    """The entries as lines of at most ``width`` (a word longer than that stays whole)."""
    out: list[tuple[str, str]] = []
    for entry in entries:
        lines = wrapped(entry.words, width, entry.first, entry.rest)
        out += [(line, entry.style) for line in lines]
    return out


@functools.lru_cache(maxsize=4096)
def wrapped(words: str, width: int, first: str = "", rest: str = "") -> tuple[str, ...]:
    """``words`` as lines of at most ``width``, the first opening with ``first`` and the others
    with ``rest``; a word longer than the width stays whole, and a hyphen never breaks a line.

    Kept once wrapped: the ladder of :func:`decision_block` measures the same entries at each
    step, and a batch's results share most of their texts (the safety net, the disclaimer, a
    study's reason).
    """
    return tuple(
        textwrap.wrap(
            words,
            width=width,
            initial_indent=first,
            subsequent_indent=rest,
            break_on_hyphens=False,
            break_long_words=False,
        )
    )


def flag_words(flag: RaisedFlag, level_label: str) -> str:
    """A red flag by name with how pressing it is: 'Possible DVT: urgent, the same day'."""
    return f"{flag.name}: {level_label}, {timeframe_words(flag.timeframe)}"


def named(name: str, text: str) -> str:
    """Text that names what it is about: ``text`` as it is when it opens with ``name``, else
    ``name: text``."""
    words = " ".join(text.split())
    if not name or words.lower().startswith(name.lower()):
        return words
    return f"{name}: {words}"


def flag_todo(flag: RaisedFlag) -> str:
    """What a flag says to do: its declared short form, else its whole action."""
    return sentence(flag.summary) if flag.summary else flag_action(flag.name, flag.advice)


def _block(result: Result, detail: _Detail) -> Block:
    decision = result.decision
    labels = {
        level: words.label.lower() for level, words in result.questionnaire.outcomes.levels.items()
    }
    after = [*_imaging_entries(decision, detail), *_flag_entries(decision, detail, labels)]
    if decision.withdrawn:
        after.append(Entry("Shown during the intake, now withdrawn:", "bold", role="title"))
        for gone in decision.withdrawn:
            name = gone.name
            after.append(Entry(f"• {name}: {gone.why}.", "", "  ", "    ", "item"))
    net = safety_net_words(decision, whole=detail.whole_net)
    if net:
        after.append(Entry(f"Safety net: {net}", "", "", "  "))
    if decision.disclaimer_summary:
        after.append(Entry(" ".join(decision.disclaimer_summary.split()), "dim italic"))
    return Block(
        decision.level,
        heading_words(decision.label, decision.timeframe),
        tuple(_banner(decision, detail)),
        tuple(after),
    )


def _banner(decision: Decision, detail: _Detail) -> list[Entry]:
    """The box: the emergency flags, the action, the scope, the leading condition and why."""
    banner: list[Entry] = []
    for flag in decision.emergency:
        # The flag's advice whole, or the questionnaire's short form, after its name.
        banner.append(Entry(sentence(named(flag.name, flag.summary or flag.advice)), "bold"))
    condition = decision.condition_summary or decision.condition_advice
    if detail.condition and condition and not decision.otherwise:
        banner.append(Entry(f"{decision.action} {sentence(condition)}"))
    else:
        banner.append(Entry(decision.action))
    if not decision.scope.applies:
        # Said whole, before the condition: the rule cannot decide, which is not "no imaging".
        banner.append(Entry(f"Outside the rule: {decision.scope.reason}", "bold", "", "  "))
    likely = "Otherwise most likely" if decision.otherwise else "Most likely"
    banner.append(
        Entry(
            f"{likely}: {decision.leading_label}, confidence {decision.confidence}",
            "bold",
            "",
            "  ",
        )
    )
    because = [f.summary or f.text for f in decision.because[: detail.because]]
    if because:
        banner.append(Entry(f"Because: {'; '.join(because)}", "", "", "  "))
    return banner


def _imaging_entries(decision: Decision, detail: _Detail) -> list[Entry]:
    """The studies to order, most urgent first, or why none now."""
    if not decision.studies:
        why = sentence(decision.no_imaging)
        # 'No imaging needed for a muscle strain: ...' says 'none now' itself.
        lead = "Imaging:" if why.lower().startswith("no imaging") else "Imaging: none now."
        return [Entry(f"{lead} {why}")]
    title = "Imaging, most urgent first:" if len(decision.studies) > 1 else "Imaging:"
    if detail.compact:
        studies = "; ".join(
            f"{study_words(s.modality, s.site)}, {timeframe_words(s.timeframe)}"
            for s in decision.studies
        )
        return [Entry(f"{title} {studies}.", "", "", "  ")]
    entries = [Entry(title, "bold", role="title")]
    for study in decision.studies:
        what = f"{study_words(study.modality, study.site)}, {timeframe_words(study.timeframe)}"
        why = study.summary or study.reason
        words = f"• {what}: {why}" if detail.reasons and why else f"• {what}"
        entries.append(Entry(words, "", "  ", "    ", "item"))
    return entries


def _flag_entries(decision: Decision, detail: _Detail, labels: dict[str, str]) -> list[Entry]:
    """The red flags that do not lead the box (the emergency ones do), or 'none raised'."""
    others = [flag for flag in decision.flags if flag not in decision.emergency]
    if not decision.flags:
        return [Entry("Red flags: none raised")]
    if not others:
        return []
    title = "Other red flags:" if decision.emergency else "Red flags:"
    if detail.compact:
        named_flags = "; ".join(
            flag_words(flag, labels.get(flag.level, flag.level)) if detail.flag_times else flag.name
            for flag in others
        )
        return [Entry(f"{title} {named_flags}.", "bold red", "", "  ")]
    entries = [Entry(title, "bold", role="title")]
    for flag in others:
        label = labels.get(flag.level, flag.level)
        entries.append(Entry(f"• {flag_words(flag, label)}", "bold red", "  ", "    ", "item"))
        if detail.flag_actions and flag.level != "emergency":
            entries.append(Entry(flag_todo(flag), "", "    ", "    ", "more"))
    return entries


def safety_net_words(decision: Decision, *, whole: bool = True) -> str:
    """The safety net in the block's words: the instructions, then the signs by timeframe.

    'Avoid anti-inflammatory painkillers. Seek help now: a tense, swollen thigh; ... The same
    day: new numbness, weakness or foot drop.' Not ``whole``: the signs of the most pressing
    timeframe only, saying that the rest is in the report.
    """
    parts = [sentence(item.summary) for item in decision.safety_net if item.timeframe is None]
    timeframes = dict.fromkeys(i.timeframe for i in decision.safety_net if i.timeframe)
    ordered = sorted(timeframes, key=TIMEFRAME_RANK.__getitem__)
    rest = not whole and len(ordered) > 1
    for number, timeframe in enumerate(ordered[:1] if rest else ordered):
        signs = [i.summary.rstrip(".") for i in decision.safety_net if i.timeframe == timeframe]
        when = timeframe_words(timeframe)
        lead = f"Seek help {when}" if number == 0 else when[:1].upper() + when[1:]
        parts.append(f"{lead}: {'; '.join(signs)}.")
    if rest:
        parts.append("The rest of the safety net is in the report.")
    return " ".join(parts)
