"""The question tree as a picture: a Mermaid flowchart or a Graphviz digraph.

Standard library only, pure: both functions return text. Nodes are the questions
(id and a short prompt), edges are labelled with the options or the route conditions that take
them, in short plain words; the end of the path leads to the outcomes: a box listing the
conditions of the differential, one for the red flags and one for the imaging rules (each study
with its site, urgency and condition). Every word is the questionnaire's or the format's.
"""

from __future__ import annotations

from dataclasses import dataclass

from hamstring_cli import model as m
from hamstring_cli.errors import assert_never
from hamstring_cli.model import END, Condition, Question, Questionnaire
from hamstring_cli.question_types import kind

__all__ = [
    "CONDITION_WIDTH",
    "FORMATS",
    "PROMPT_WIDTH",
    "Edge",
    "describe",
    "dot",
    "edges",
    "imaging_nodes",
    "mermaid",
    "render",
    "short_prompt",
]

FORMATS: tuple[str, ...] = ("mermaid", "dot")
#: Prompts are cut to this many characters: the picture names the question, the tool asks it.
PROMPT_WIDTH = 48
_COMPARE_WORDS = {"lt": "under {}", "lte": "{} or less", "gt": "over {}", "gte": "{} or more"}


@dataclass(frozen=True, slots=True)
class Edge:
    """One arrow of the tree: from a question to a question (or the end), with its label."""

    source: str
    target: str
    label: str


def edges(questionnaire: Questionnaire) -> list[Edge]:
    """Every arrow of the tree, labels merged where several ways lead to the same target.

    The order follows the routing rules: option targets, then routes, then the fall-through,
    which is labelled with the options that take it, or ``otherwise`` after a route.
    """
    out: list[Edge] = []
    for question in questionnaire.questions:
        labels: dict[str, list[str]] = {}
        falls_through = [o.value for o in question.options if not o.next]
        for option in question.options:
            if option.next:
                labels.setdefault(option.next, []).append(option.value)
        # A choice question whose every option names its target never reads its routes.
        routes_read = not kind(question.type).option_routes or bool(falls_through)
        if routes_read:
            for route in question.routes:
                labels.setdefault(route.next, []).append(describe(route.when))
            # Name the options that fall through only where some option goes elsewhere.
            named = " / ".join(falls_through) if len(falls_through) < len(question.options) else ""
            if question.routes:
                fall_label = f"{named} (otherwise)" if named else "otherwise"
            else:
                fall_label = named
            labels.setdefault(questionnaire.default_next(question), []).append(fall_label)
        for target, parts in labels.items():
            out.append(Edge(question.id, target, "; ".join(p for p in parts if p)))
    return out


def describe(condition: Condition) -> str:
    """A condition in short plain words: ``onset is sudden or unsure``, ``age under 18``."""
    match condition:
        case m.Equals():
            return f"{condition.question} is {condition.value}"
        case m.OneOf():
            return f"{condition.question} is {_or(condition.values)}"
        case m.Contains():
            return f"{condition.question} includes {_or(condition.values)}"
        case m.Compare():
            return f"{condition.question} {_COMPARE_WORDS[condition.op].format(condition.value)}"
        case m.Answered():
            return f"{condition.question} answered"
        case m.All():
            return " and ".join(_nested(c) for c in condition.items)
        case m.AnyOf():
            return " or ".join(_nested(c) for c in condition.items)
        case m.Not():
            return f"not {_nested(condition.item)}"
        case m.AtLeast():
            listed = ", ".join(describe(c) for c in condition.items)
            return f"at least {condition.needed} of ({listed})"
        case m.Named():
            return f"rule {condition.name}"
        case m.Advised():
            where = f" of the {condition.site}" if condition.site else ""
            return f"{condition.modality}{where} advised"
        case m.Leading():
            return f"leading is {condition.condition}"
        case _:
            assert_never(condition)


#: A study's condition is cut to this many characters in the picture.
CONDITION_WIDTH = 60


def imaging_nodes(questionnaire: Questionnaire) -> list[tuple[str, str, str]]:
    """The imaging rules that advise a study, as (node id, study, condition) in file order."""
    out: list[tuple[str, str, str]] = []
    for number, rule in enumerate(questionnaire.outcomes.imaging, start=1):
        if rule.modality is None:
            continue
        where = f" of the {rule.site}" if rule.site else ""
        study = f"{rule.modality}{where} ({rule.urgency})"
        when = describe(rule.when)
        if len(when) > CONDITION_WIDTH:
            when = when[: CONDITION_WIDTH - 1].rsplit(" ", 1)[0] + "…"
        out.append((f"i_{number}", study, f"when {when}"))
    return out


def _nested(condition: Condition) -> str:
    words = describe(condition)
    return f"({words})" if isinstance(condition, (m.All, m.AnyOf)) else words


def _or(values: tuple[str | int, ...]) -> str:
    items = [str(v) for v in values]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def short_prompt(question: Question, width: int = PROMPT_WIDTH) -> str:
    """The prompt, cut at a word boundary to about ``width`` characters."""
    prompt = " ".join(question.prompt.split())
    if len(prompt) <= width:
        return prompt
    cut = prompt[:width].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


# ---------------------------------------------------------------------------------------------
# Mermaid

_END_NODE = "path_end"


def _mermaid_text(text: str) -> str:
    """Escape text for a quoted Mermaid label: entity codes for the characters it reads."""
    # '#' first, since the other escapes introduce it.
    for char, code in (
        ("#", "#35;"),
        ('"', "#quot;"),
        ("&", "#amp;"),
        ("<", "#lt;"),
        (">", "#gt;"),
        ("`", "#96;"),
        ("|", "#124;"),
    ):
        text = text.replace(char, code)
    return text


def _mermaid_label(*lines: str) -> str:
    return '"' + "<br/>".join(_mermaid_text(line) for line in lines) + '"'


def mermaid(questionnaire: Questionnaire) -> str:
    """The tree as a Mermaid flowchart (``flowchart TD``)."""
    q = questionnaire
    out = ["flowchart TD", f"  %% {_comment(q.title)}"]
    for question in q.questions:
        out.append(f"  q_{question.id}[{_mermaid_label(question.id, short_prompt(question))}]")
    out.append(f'  {_END_NODE}(["end of the questions"])')
    for edge in edges(q):
        target = _END_NODE if edge.target == END else f"q_{edge.target}"
        arrow = f"-->|{_mermaid_label(edge.label)}|" if edge.label else "-->"
        out.append(f"  q_{edge.source} {arrow} {target}")
    out.append(f'  subgraph outcomes["{_mermaid_text("Outcomes: the differential")}"]')
    out.append("    direction TB")
    for c in q.outcomes.conditions:
        out.append(f"    c_{c.id}[{_mermaid_label(c.id, c.label)}]")
    out += _mermaid_column([f"c_{c.id}" for c in q.outcomes.conditions])
    out.append("  end")
    if q.outcomes.red_flags:
        out.append(f'  subgraph red_flags_raised["{_mermaid_text("Red flags")}"]')
        out.append("    direction TB")
        for flag in q.outcomes.red_flags:
            out.append(
                f"    f_{flag.id}[{_mermaid_label(flag.id, f'{flag.title} ({flag.level})')}]"
            )
        out += _mermaid_column([f"f_{flag.id}" for flag in q.outcomes.red_flags])
        out.append("  end")
    studies = imaging_nodes(q)
    if studies:
        out.append(f'  subgraph imaging_rules["{_mermaid_text("Imaging")}"]')
        out.append("    direction TB")
        for node, study, when in studies:
            out.append(f"    {node}[{_mermaid_label(study, when)}]")
        out += _mermaid_column([node for node, _, _ in studies])
        out.append("  end")
    out.append(f'  {_END_NODE} -->|"scored"| outcomes')
    if q.outcomes.red_flags:
        out.append(f'  {_END_NODE} -->|"checked"| red_flags_raised')
    if studies:
        out.append(f'  {_END_NODE} -->|"advised"| imaging_rules')
    out.append(f"  style {_END_NODE} fill:#eee")
    return "\n".join(out) + "\n"


def _mermaid_column(nodes: list[str]) -> list[str]:
    # Invisible links stack a list of nodes in a column; unlinked, they would form a wide row.
    return [f"    {' ~~~ '.join(nodes)}"] if len(nodes) > 1 else []


def _comment(text: str) -> str:
    # A Mermaid comment runs to the end of the line: keep it to one line.
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------------
# Graphviz


def _dot_text(text: str) -> str:
    """Escape text for a double-quoted DOT string (backslash first: DOT reads \\n, \\l, ...)."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _dot_label(*lines: str) -> str:
    return '"' + "\\n".join(_dot_text(line) for line in lines) + '"'


def dot(questionnaire: Questionnaire) -> str:
    """The tree as a Graphviz digraph (render with ``dot -Tsvg``)."""
    q = questionnaire
    out = [
        f"digraph {_dot_label(q.id)} {{",
        f"  label={_dot_label(q.title)};",
        "  labelloc=t;",
        "  compound=true;",
        "  rankdir=TB;",
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for question in q.questions:
        node = _dot_label(f"q_{question.id}")
        out.append(f"  {node} [label={_dot_label(question.id, short_prompt(question))}];")
    out.append(f'  "{_END_NODE}" [label="end of the questions", shape=oval, style=filled];')
    for edge in edges(q):
        source = _dot_label(f"q_{edge.source}")
        target = _dot_label(_END_NODE if edge.target == END else f"q_{edge.target}")
        attrs = f" [label={_dot_label(edge.label)}]" if edge.label else ""
        out.append(f"  {source} -> {target}{attrs};")
    conditions = q.outcomes.conditions
    out.append("  subgraph cluster_outcomes {")
    out.append(f"    label={_dot_label('Outcomes: the differential')};")
    for c in conditions:
        out.append(f"    {_dot_label(f'c_{c.id}')} [label={_dot_label(c.id, c.label)}];")
    out += _dot_column([f"c_{c.id}" for c in conditions])
    out.append("  }")
    if q.outcomes.red_flags:
        out.append("  subgraph cluster_red_flags {")
        out.append(f"    label={_dot_label('Red flags')};")
        for flag in q.outcomes.red_flags:
            label = _dot_label(flag.id, f"{flag.title} ({flag.level})")
            out.append(f"    {_dot_label(f'f_{flag.id}')} [label={label}, color=red];")
        out += _dot_column([f"f_{flag.id}" for flag in q.outcomes.red_flags])
        out.append("  }")
    studies = imaging_nodes(q)
    if studies:
        out.append("  subgraph cluster_imaging {")
        out.append(f"    label={_dot_label('Imaging')};")
        for node, study, when in studies:
            out.append(f"    {_dot_label(node)} [label={_dot_label(study, when)}];")
        out += _dot_column([node for node, _, _ in studies])
        out.append("  }")
    if conditions:
        first = _dot_label(f"c_{conditions[0].id}")
        out.append(f'  "{_END_NODE}" -> {first} [lhead=cluster_outcomes, label="scored"];')
    if q.outcomes.red_flags:
        first_flag = _dot_label(f"f_{q.outcomes.red_flags[0].id}")
        out.append(f'  "{_END_NODE}" -> {first_flag} [lhead=cluster_red_flags, label="checked"];')
    if studies:
        first_study = _dot_label(studies[0][0])
        out.append(f'  "{_END_NODE}" -> {first_study} [lhead=cluster_imaging, label="advised"];')
    out.append("}")
    return "\n".join(out) + "\n"


def _dot_column(nodes: list[str]) -> list[str]:
    # Invisible edges stack a list of nodes in a column; unlinked, they would form a wide row.
    if len(nodes) < 2:
        return []
    return [f"    {' -> '.join(_dot_label(n) for n in nodes)} [style=invis];"]


def render(questionnaire: Questionnaire, fmt: str) -> str:
    """The tree in ``fmt`` (``mermaid`` or ``dot``).

    Raises:
        ValueError: the format is not one of :data:`FORMATS`.
    """
    if fmt == "mermaid":
        return mermaid(questionnaire)
    if fmt == "dot":
        return dot(questionnaire)
    raise ValueError(f"unknown graph format '{fmt}'; allowed: {', '.join(FORMATS)}")
