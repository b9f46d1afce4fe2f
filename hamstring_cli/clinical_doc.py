"""The clinical logic of a questionnaire as a Markdown document, generated from its rules.

Standard library only; :func:`render_clinical_logic` is pure. It lists every question
(with its routing), every rule (triage, score, red flag, imaging, evidence note) with its
condition in plain words and its source, and the references, so a clinician can review the
logic without reading YAML. ``docs/clinical-logic.md`` is this document for the default
bundled questionnaire and ``docs/clinical-logic-<id>.md`` for each other one; regenerate it after
changing the questionnaire (:func:`regenerate` gives the command)::

    python -m hamstring_cli.clinical_doc > docs/clinical-logic.md
    python -m hamstring_cli.clinical_doc ottawa-ankle > docs/clinical-logic-ottawa-ankle.md

Every word here is the questionnaire's or says how the format works: nothing is particular to
one questionnaire.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from hamstring_cli import model as m
from hamstring_cli.errors import UserError, assert_never
from hamstring_cli.model import (
    END,
    LEVEL_TIMEFRAMES,
    LEVELS,
    Condition,
    Question,
    Questionnaire,
    level_timeframe,
)
from hamstring_cli.question_types import kind

__all__ = ["describe", "document_name", "main", "regenerate", "render_clinical_logic"]

#: The command that regenerates the default questionnaire's document.
REGENERATE = "python -m hamstring_cli.clinical_doc > docs/clinical-logic.md"


def document_name(questionnaire_id: str) -> str:
    """Where a bundled questionnaire's document lives, under ``docs/``."""
    from hamstring_cli.resources import DEFAULT_QUESTIONNAIRE

    if questionnaire_id == DEFAULT_QUESTIONNAIRE:
        return "clinical-logic.md"
    return f"clinical-logic-{questionnaire_id}.md"


def regenerate(questionnaire_id: str) -> str:
    """The command that regenerates a bundled questionnaire's document."""
    from hamstring_cli.resources import DEFAULT_QUESTIONNAIRE

    if questionnaire_id == DEFAULT_QUESTIONNAIRE:
        return REGENERATE
    return (
        f"python -m hamstring_cli.clinical_doc {questionnaire_id} > "
        f"docs/{document_name(questionnaire_id)}"
    )


_COMPARE_WORDS = {"lt": "under", "lte": "at most", "gt": "over", "gte": "at least"}


def render_clinical_logic(questionnaire: Questionnaire) -> str:
    """The clinical logic of ``questionnaire`` as Markdown (ends with a newline)."""
    q = questionnaire
    out: list[str] = [
        f"# Clinical logic: {q.title}",
        "",
        f"<!-- Generated from questionnaires/{Path(q.source).name} by `{regenerate(q.id)}`."
        " Do not edit by hand: change the questionnaire and regenerate. -->",
        "",
        f"Questionnaire `{q.id}`, version {q.version}. {_count(len(q.questions), 'question')};"
        f" a path asks at most {_longest_path(q)}.",
        "",
    ]
    if q.description:
        out += [q.description, ""]
    out += ["**Disclaimer.** " + q.disclaimer, ""]
    out += _conventions()
    out += _questions(q)
    out += _named_rules(q)
    out += _scope(q)
    out += _levels(q)
    out += _decision_triage(q)
    out += _conditions(q)
    out += _scores(q)
    out += _red_flags(q)
    out += _imaging(q)
    out += _notes(q)
    out += _references(q)
    return "\n".join(out).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------------------------
# Conditions in plain words


def describe(condition: Condition, questionnaire: Questionnaire) -> str:
    """A condition as one line of plain words (nested groups in brackets)."""
    group = _group(condition)
    if group is None:
        return _simple(condition, questionnaire)
    heading, items = group
    inner = "; ".join(describe(item, questionnaire) for item in items)
    return f"{heading.rstrip(':')} ({inner})"


def _lines(condition: Condition, q: Questionnaire, depth: int) -> list[str]:
    """The condition as Markdown list lines: simple ones on one line, groups nested below."""
    pad = "  " * depth
    group = _group(condition)
    if group is None:
        return [f"{pad}- {_simple(condition, q)}"]
    heading, items = group
    lines = [f"{pad}- {heading}"]
    for item in items:
        lines += _lines(item, q, depth + 1)
    return lines


def _group(condition: Condition) -> tuple[str, tuple[Condition, ...]] | None:
    """A group's heading and its items; None for a condition written on one line."""
    match condition:
        case m.All() if not _is_range(condition):
            return "all of:", condition.items
        case m.AnyOf():
            return "any of:", condition.items
        case m.AtLeast():
            return f"at least {condition.needed} of:", condition.items
        case m.Not(item=m.AnyOf() as inner):
            return "none of:", inner.items
        case m.Not(item=m.All() as inner):
            return "not all of:", inner.items
        case m.All() | m.Not() | m.Named() | m.Leading() | m.Advised():
            return None
        case m.Equals() | m.OneOf() | m.Contains() | m.Compare() | m.Answered():
            return None
        case _:
            assert_never(condition)


def _is_range(condition: m.All) -> bool:
    """Several comparisons of one integer answer, as ``{question: age, gte: 18, lte: 25}`` loads."""
    items = condition.items
    return (
        len(items) > 1
        and all(isinstance(c, m.Compare) for c in items)
        and len({c.question for c in items if isinstance(c, m.Compare)}) == 1
    )


def _simple(condition: Condition, q: Questionnaire, negate: bool = False) -> str:
    match condition:
        case m.Not():
            return _simple(condition.item, q, not negate)
        case m.Named():
            words = f" ({condition.description})" if condition.description else ""
            return f"{'not ' if negate else ''}rule `{condition.name}`{words}"
        case m.Advised():
            where = f" of the {condition.site}" if condition.site else ""
            verb = "is not" if negate else "is"
            # Every modality of the format reads with 'an': an MRI, an X-ray, an ultrasound.
            return f"an {condition.modality}{where} {verb} advised"
        case m.Leading():
            label = _condition_label(q, condition.condition)
            return f"the leading condition is {'not ' if negate else ''}{label}"
        case m.Answered():
            return f"{_name(condition.question)} was {'not ' if negate else ''}asked"
        case m.All() if _is_range(condition):  # a range of one integer answer
            parts = [c for c in condition.items if isinstance(c, m.Compare)]
            words = " and ".join(f"{_COMPARE_WORDS[c.op]} {c.value}" for c in parts)
            return f"{_name(parts[0].question)} is {'not ' if negate else ''}{words}"
        case m.Equals() | m.OneOf() | m.Contains() | m.Compare():
            return _on_answer(condition, negate)
        case m.All() | m.AnyOf() | m.AtLeast():
            # A group reaches here only under `not` of a group that _group does not name.
            inner = describe(condition, q)
            return f"not ({inner})" if negate else inner
        case _:
            assert_never(condition)


def _on_answer(condition: m.Equals | m.OneOf | m.Contains | m.Compare, negate: bool) -> str:
    """A condition on one answer's value, in words."""
    name = _name(condition.question)
    match condition:
        case m.Compare():
            verb = "is not" if negate else "is"
            return f"{name} {verb} {_COMPARE_WORDS[condition.op]} {condition.value}"
        case m.Equals():
            verb = "is not" if negate else "is"
            return f"{name} {verb} {_value(condition.value)}"
        case m.OneOf():
            verb = "is neither" if negate else "is"
            joiner = " nor " if negate else " or "
            return f"{name} {verb} {_join(condition.values, joiner)}"
        case m.Contains():
            if negate:
                verb = "include none of" if len(condition.values) > 1 else "do not include"
            else:
                verb = "include any of" if len(condition.values) > 1 else "include"
            return f"{name} {verb} {_join(condition.values, ', ')}"
        case _:
            assert_never(condition)


def _name(question_id: str) -> str:
    return question_id.replace("_", " ")


def _value(value: str | int) -> str:
    return str(value).replace("_", " ")


def _join(values: Iterable[str | int], joiner: str) -> str:
    return joiner.join(_value(v) for v in values)


def _condition_label(q: Questionnaire, condition_id: str) -> str:
    found = q.outcomes.condition(condition_id)
    return f"{found.label} (`{condition_id}`)" if found else f"`{condition_id}`"


# ---------------------------------------------------------------------------------------------
# Sections


def _conventions() -> list[str]:
    return [
        "How to read this document: conditions on answers are written in plain words with the"
        " question ids and answer values of the contract (an underscore reads as a space). A"
        " condition on a question that was not asked on the path does not hold, and 'is not'"
        " of it does. A named rule (`rule` and its name) is written once under 'Named rules'"
        " and holds as its condition does. `{question_id}` in advice is replaced by the answer"
        " (`{question_id|words}` by the words when the question was not asked). Sources in square"
        " brackets refer to the references at the end; 'source not verified' marks a rule whose"
        " only source could not be confirmed in full; 'design choice' marks a threshold of"
        " ours, not a validated one.",
        "",
    ]


def _questions(q: Questionnaire) -> list[str]:
    out = ["## Questions", ""]
    if q.required:
        out += [
            "Asked on every path: " + ", ".join(f"`{r}`" for r in q.required) + ".",
            "",
        ]
    section = None
    for number, question in enumerate(q.questions, start=1):
        if question.section and question.section != section:
            section = question.section
            out += [f"### {section}", ""]
        out += [f"**{number}. `{question.id}`** ({_type_words(question)}): {question.prompt}", ""]
        if question.help:
            out += [f"Why: {question.help}", ""]
        for option in question.options:
            line = f"- `{option.value}`: {option.label}"
            if option.uncertain:
                line += " *(counts as an uncertain answer)*"
            if option.next:
                line += f" → {_target(option.next)}"
            out.append(line)
        if question.options:
            out.append("")
        out += _routing(q, question)
    return out


def _type_words(question: Question) -> str:
    takes = kind(question.type)
    if not takes.options:
        unit = f" {question.unit}" if question.unit else ""
        return f"{takes.doc}, {question.minimum} to {question.maximum}{unit}"
    return takes.doc


def _routing(q: Questionnaire, question: Question) -> list[str]:
    lines = [
        f"- when {describe(route.when, q)} → {_target(route.next)}" for route in question.routes
    ]
    after = _target(q.default_next(question))
    options_route = question.options and all(o.next for o in question.options)
    if options_route:
        return [*lines, ""] if lines else []
    prefix = "otherwise" if lines or any(o.next for o in question.options) else "then"
    lines.append(f"- {prefix} → {after}")
    return ["Next:", "", *lines, ""]


def _target(target: str) -> str:
    return "end of the questionnaire" if target == END else f"`{target}`"


def _levels(q: Questionnaire) -> list[str]:
    out = [
        "## Triage levels",
        "",
        "| level | words | timeframes (the level's own first) | advice |",
        "|---|---|---|---|",
    ]
    for level in LEVELS:
        words = q.outcomes.levels.get(level)
        if words is not None:
            out.append(
                f"| `{level}` | {_cell(words.label)} | {', '.join(LEVEL_TIMEFRAMES[level])}"
                f" | {_cell(words.advice)} |"
            )
    return [*out, ""]


def _named_rules(q: Questionnaire) -> list[str]:
    if not q.rules:
        return []
    out = [
        "## Named rules",
        "",
        "Each is written once and read by its name wherever it is named.",
        "",
    ]
    for rule in q.rules:
        words = f": {rule.description}" if rule.description else ""
        out.append(f"- `{rule.name}`{words}. When:")
        out += _lines(rule.item, q, 1)
    return [*out, ""]


def _scope(q: Questionnaire) -> list[str]:
    scope = q.outcomes.scope
    if not scope.exclusions:
        return []
    source = f" {_src(q, scope.source)}" if scope.source else ""
    out = [
        "## Scope",
        "",
        "Whom the rules cover. The result says whether they apply (`scope.applies`), apart from"
        " its advice: the first exclusion that holds gives the reason they do not.",
        "",
        f"When they apply: {scope.reason}{source}",
        "",
    ]
    for number, rule in enumerate(scope.exclusions, start=1):
        out.append(f"{number}. {rule.reason} {_src(q, rule.source)} When:")
        out += _lines(rule.when, q, 1)
    return [*out, ""]


def _decision_triage(q: Questionnaire) -> list[str]:
    if not q.outcomes.triage:
        return []
    out = [
        "## Triage rules whatever condition leads",
        "",
        "Every one of these that holds counts towards the result's level and timeframe, beside"
        " the leading condition's rule, the red flags and the studies.",
        "",
    ]
    for number, rule in enumerate(q.outcomes.triage, start=1):
        when = "always" if rule.when is None else f"when {describe(rule.when, q)}"
        timeframe = rule.timeframe or level_timeframe(rule.level)
        out.append(
            f"{number}. {when}: **{rule.level}, {timeframe}**. {rule.advice} {_src(q, rule.source)}"
        )
    return [*out, ""]


def _conditions(q: Questionnaire) -> list[str]:
    out = [
        "## Conditions and their triage",
        "",
        "When a condition leads the differential, the first of its triage rules that holds gives"
        " its level and timeframe (the level's own unless it names one); the result's level is"
        " the most pressing of that, the triage rules whatever leads, the red flags raised and"
        " the studies advised, and its timeframe the most pressing of theirs. Ties in score keep"
        " the order below.",
        "",
    ]
    for condition in q.outcomes.conditions:
        out += [f"### {condition.label} (`{condition.id}`)", ""]
        if condition.description:
            out += [condition.description, ""]
        for number, rule in enumerate(condition.triage, start=1):
            when = "otherwise" if rule.when is None else f"when {describe(rule.when, q)}"
            timeframe = rule.timeframe or level_timeframe(rule.level)
            out.append(
                f"{number}. {when}: **{rule.level}, {timeframe}**. {rule.advice}"
                f" {_src(q, rule.source)}"
            )
        out.append("")
    return out


def _scores(q: Questionnaire) -> list[str]:
    out = [
        "## Score rules",
        "",
        "A condition's score is the sum of the weights of its rules that hold; positive weights"
        " are reasons for it, negative weights reasons against it.",
        "",
    ]
    for condition in q.outcomes.conditions:
        rules = [r for r in q.outcomes.scores if r.condition == condition.id]
        out += [f"### {condition.label} (`{condition.id}`)", ""]
        for rule in rules:
            sign = "for" if rule.weight > 0 else "against"
            source = _src(q, rule.source)
            out.append(f"- **{rule.weight:+g}** ({sign}) {rule.reason} {source}, when:")
            out += _lines(rule.when, q, 1)
        out.append("")
    return out


def _red_flags(q: Questionnaire) -> list[str]:
    out = [
        "## Red flags",
        "",
        "Every red flag whose condition holds is raised, whatever the differential.",
        "",
    ]
    for rule in q.outcomes.red_flags:
        timeframe = f" Timeframe: {rule.timeframe or level_timeframe(rule.level)}."
        out.append(
            f"- `{rule.id}` ({rule.title}), **{rule.level}**: {rule.advice}"
            f" {_src(q, rule.source)}{timeframe} When:"
        )
        out += _lines(rule.when, q, 1)
    return [*out, ""]


def _imaging(q: Questionnaire) -> list[str]:
    out = [
        "## Imaging",
        "",
        "Every rule that holds and names a study advises it, most urgent timeframe first; among"
        " equally urgent ones the first below comes first (so a study that must come first, an"
        " X-ray that excludes a fracture say, is written first). One study a site: the rules for"
        " one site merge into the most urgent one's study, and a rule for another modality at that"
        " site adds its reason (a later rule for the same modality and site is a variant, and"
        " the first wins). When none names a study, the first matching 'no imaging' rule"
        f" explains why; otherwise: {q.outcomes.no_imaging_reason}",
        "",
    ]
    for number, rule in enumerate(q.outcomes.imaging, start=1):
        if rule.modality:
            where = f" of the {rule.site}" if rule.site else ""
            when = rule.timeframe or level_timeframe(rule.urgency or "routine")
            study = f"**{rule.modality}{where}, {rule.urgency}, {when}**"
        else:
            study = "**no imaging now**"
        out.append(f"{number}. {study}: {rule.reason} {_src(q, rule.source)} When:")
        out += _lines(rule.when, q, 1)
    return [*out, ""]


def _notes(q: Questionnaire) -> list[str]:
    out = ["## Evidence notes", "", "Shown with the result when their condition holds.", ""]
    for note in q.outcomes.notes:
        when = "always" if note.when is None else f"when {describe(note.when, q)}"
        out.append(f"- {note.text} {_src(q, note.source)} *({when})*")
    return [*out, ""]


def _references(q: Questionnaire) -> list[str]:
    out = ["## References", ""]
    out += [f"- **{r.id}** {r.citation}" + (f" <{r.url}>" if r.url else "") for r in q.references]
    return [*out, ""]


# ---------------------------------------------------------------------------------------------
# Helpers


def _src(q: Questionnaire, source: str) -> str:
    """A rule's source in brackets, marked when the source could not be confirmed."""
    reference = q.reference(source)
    unverified = reference is not None and not reference.verified
    return f"[{source}]" + (" *(source not verified)*" if unverified else "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _longest_path(q: Questionnaire) -> str:
    """The most questions any path can ask, following every route the tree allows."""
    memo: dict[str, int] = {}

    def longest(qid: str, stack: frozenset[str]) -> int:
        if qid == END or qid in stack:
            return 0
        if qid not in memo:
            question = q.question(qid)
            memo[qid] = 1 + max(longest(t, stack | {qid}) for t in q.successors(question))
        return memo[qid]

    return _count(longest(q.start, frozenset()), "question") if q.questions else "no questions"


def main(argv: list[str] | None = None) -> int:
    """Print the clinical logic of a questionnaire (default: the bundled one) to stdout."""
    from hamstring_cli.cache import load_questionnaire
    from hamstring_cli.resources import resolve_questionnaire

    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        sys.stdout.write(
            "usage: python -m hamstring_cli.clinical_doc [QUESTIONNAIRE] > FILE\n"
            "Print the clinical logic of a questionnaire (an id or a file; default: the bundled\n"
            "one) as Markdown.\n"
        )
        return 0
    try:
        questionnaire = load_questionnaire(resolve_questionnaire(args[0] if args else None))
    except UserError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    text = render_clinical_logic(questionnaire)
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
