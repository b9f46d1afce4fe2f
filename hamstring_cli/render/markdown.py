"""The Markdown report: a result written out to paste into clinical notes.

Pure string building (standard library only), so the report can be tested without a terminal
and a scripted ``--format markdown`` run never imports rich.
"""

from __future__ import annotations

import datetime as _dt

from hamstring_cli.render.decision import Block, decision_block, flag_words
from hamstring_cli.render.words import (
    reference_words,
    study_words,
    timeframe_words,
)
from hamstring_cli.scoring import ImagingAdvice, Ranked, Result

__all__ = [
    "decision_markdown",
    "render",
    "render_markdown",
]


def render(result: Result) -> str:
    """``--format markdown``: the report dated today (the output-format registry's entry)."""
    return render_markdown(result)


def render_markdown(result: Result, *, today: _dt.date | None = None) -> str:
    """The result as a Markdown report.

    Args:
        result: the scored result.
        today: the date printed on the report (default: the local date now).

    Returns:
        The report, ending with a newline.
    """
    q = result.questionnaire
    out = _header(result, today)
    out += decision_markdown(decision_block(result))

    out += ["## Answers", "", "| Question | Answer |", "|---|---|"]
    for qid, answer in result.answers:
        question = q.question(qid)
        out.append(f"| {_cell(question.prompt)} | {_cell(question.words(answer))} |")
    out.append("")

    out += [f"## Differential (confidence {result.confidence})", ""]
    for rank, condition in enumerate(result.differential, start=1):
        out += _condition(rank, condition)
    out.append("")

    out += _triage(result)
    out += _imaging(result.imaging)
    out += _red_flags(result)
    out += _closing(result)
    out += ["---", "", f"*{_inline(q.disclaimer)}*" if q.disclaimer else ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _header(result: Result, today: _dt.date | None) -> list[str]:
    """The title and the list of what the report is about: date, questionnaire, result, scope."""
    q = result.questionnaire
    date = (today or _dt.date.today()).isoformat()
    out: list[str] = [f"# {_inline(q.title)}", ""]
    out.append(f"- Date: {date}")
    questionnaire = f"`{q.id}` version {_inline(q.version)}"
    if q.content_hash:
        questionnaire += f" (content hash `{q.content_hash}`)"
    out.append(f"- Questionnaire: {questionnaire}")
    leading = result.differential[0]
    out.append(f"- Leading: {_inline(leading.label)} (confidence {result.confidence})")
    out.append(f"- Triage: **{_inline(result.triage.label)}**{_timeframe(result)}")
    scope = result.scope
    if not scope.applies or q.outcomes.scope.exclusions:
        applies = "applies" if scope.applies else "**does not apply**"
        out.append(
            f"- Scope: the rule {applies}. {_inline(scope.reason)}{_cite((scope.source or '',))}"
        )
    out.append("")
    return out


def _triage(result: Result) -> list[str]:
    triage = result.triage
    out = ["## Triage", "", f"**{_inline(triage.label)}**{_timeframe(result)}.", ""]
    out.append(_inline(triage.advice) + _cite(triage.sources))
    out.append("")
    if triage.condition_advice and triage.condition_advice not in triage.advice:
        # An emergency decided the level: the leading condition's own advice still follows.
        label = _inline(result.differential[0].label)
        out += [f"Otherwise, for {label}: {_inline(triage.condition_advice)}", ""]
    return out


def _imaging(imaging: ImagingAdvice) -> list[str]:
    out = ["## Imaging", ""]
    if imaging.advised and imaging.studies:
        out += [
            f"- **{_inline(study_words(study.modality, study.site))}**,"
            f" {timeframe_words(study.timeframe)}: {_inline(study.reason)}"
            f"{_cite(study.sources or (study.source,))}"
            for study in imaging.studies
        ]
    elif imaging.advised:
        urgency = f", {imaging.urgency}" if imaging.urgency else ""
        out.append(
            f"**{imaging.modality}**{urgency}: {_inline(imaging.reason)}{_cite_one(imaging)}"
        )
    else:
        out.append(f"Not advised now: {_inline(imaging.reason)}{_cite_one(imaging)}")
    out.append("")
    return out


def _red_flags(result: Result) -> list[str]:
    """The red flags raised, each with its advice whole, then those withdrawn."""
    levels = result.questionnaire.outcomes.levels
    out = ["## Red flags", ""]
    if result.red_flags:
        for flag in result.red_flags:
            words = levels.get(flag.level)
            level = words.label.lower() if words is not None else flag.level
            name = _inline(flag_words(flag, level))
            # The advice whole, as the JSON holds it: its name opens it.
            out.append(f"- **{name}**. {_inline(flag.advice)}{_cite((flag.source,))}")
    else:
        out.append("None raised.")
    out.append("")
    if result.decision.withdrawn:
        out += ["### Shown during the intake, now withdrawn", ""]
        out += [
            f"- Withdrawn because {_inline(gone.why)}: {_inline(gone.advice)}"
            f"{_cite((gone.source,))}"
            for gone in result.decision.withdrawn
        ]
        out.append("")
    return out


def _closing(result: Result) -> list[str]:
    """The safety net, the evidence notes and the references, each section only if it has any."""
    out: list[str] = []
    if result.decision.safety_net:
        out += ["## Safety net", ""]
        for item in result.decision.safety_net:
            when = f"**{timeframe_words(item.timeframe).capitalize()}**: " if item.timeframe else ""
            out.append(f"- {when}{_inline(item.text)}{_cite((item.source,))}")
        out.append("")

    if result.notes:
        out += ["## Evidence notes", ""]
        out += [f"- {_inline(note.text)}{_cite((note.source,))}" for note in result.notes]
        out.append("")

    cited = result.cited()
    if cited:
        out += ["## References", ""]
        out += [
            f"- [{ref.id}] {_inline(reference_words(ref.citation))}"
            + (f" <{ref.url}>" if ref.url else "")
            for ref in cited
        ]
        out.append("")
    return out


def decision_markdown(block: Block) -> list[str]:
    """The decision block as Markdown: the same entries as the terminal's, in the same order."""
    out = [f"## Decision: {_inline(block.heading)}", ""]
    for entry in block.banner:
        words = _inline(entry.words)
        out += [f"**{words}**" if entry.style.startswith("bold") else words, ""]
    for entry in block.after:
        words = _inline(entry.words)
        if entry.role == "item":
            out.append(f"- {words.removeprefix('• ')}")
        elif entry.role == "more":
            out.append(f"  {words}")
        else:
            if out[-1] != "":
                out.append("")
            text = f"**{words}**" if entry.role == "title" else words
            out += [f"*{words}*" if "italic" in entry.style else text, ""]
    return [*out, ""] if out[-1] != "" else out


def _condition(rank: int, condition: Ranked) -> list[str]:
    lines = [f"{rank}. **{_inline(condition.label)}**, score {condition.score:g}"]
    lines += [f"   - For: {_inline(f.text)}{_cite((f.source,))}" for f in condition.for_]
    lines += [f"   - Against: {_inline(f.text)}{_cite((f.source,))}" for f in condition.against]
    return lines


def _timeframe(result: Result) -> str:
    words = timeframe_words(result.triage.timeframe)
    return f" ({words})" if words and words != result.triage.label.lower() else ""


def _cite(sources: tuple[str, ...]) -> str:
    ids = [s for s in sources if s]
    return f" [{', '.join(ids)}]" if ids else ""


def _cite_one(imaging: ImagingAdvice) -> str:
    return _cite((imaging.source,)) if imaging.source else ""


#: What Markdown would read as markup in text quoted from data: HTML (``<script>``, an
#: ``<img onerror=...>``, an autolink ``<javascript:...>``) and entities, and the brackets of
#: a link or an image (``[x](javascript:...)``); the backslash first, so that an escape in the
#: data cannot undo one of ours.
_MARKUP = str.maketrans(
    {"\\": "\\\\", "&": "&amp;", "<": "&lt;", ">": "&gt;", "[": "\\[", "]": "\\]"}
)


def _inline(text: str) -> str:
    """Text quoted from data, as Markdown shows it and no more: on one line, markup escaped.

    A line break inside a list item or heading would end it early, so the text is folded to one
    line; HTML, entities and link brackets are escaped (:data:`_MARKUP`), so that the report
    shows the text as written and a viewer never runs or links what the text holds.
    """
    return " ".join(text.split()).translate(_MARKUP)


def _cell(text: str) -> str:
    # A bare '|' would split the table cell in two.
    return _inline(text).replace("|", "\\|")
