"""When each question is asked, as FHIR enable conditions derived from the tree's routing.

Pure. The engine reaches question ``Q`` when some question ``P`` on the path routes to
it (:meth:`~hamstring_cli.model.Questionnaire.next_after`: an option's ``next`` first, then the
``routes`` in order, then the default ``next``). In a response that holds only the questions
asked, ``P`` is on the path exactly when it is answered (a multi question may be left empty, so
for one of those "reached" is its own enable condition, written out). So::

    enabled(Q) = OR over P of (reached(P) AND the route from P to Q is taken)

Renderers keep the answers of items they hide, and some read them (CSIRO Smart Forms in
``enableWhen`` too, LHC-Forms in ``enableWhenExpression``). So every answer a condition reads
is also required to be on the path, by its *branch's root condition*: the questions of a branch
(those that are on a finished path together or not at all, from the question that opens it)
are on the path exactly when the branch's first question is. Each condition thus repeats the
root conditions of the branches it reads, back to the questions every path asks: short (a
branch's condition, not a whole path's), and right whatever hidden items keep.

Each condition is built as a small boolean formula (:class:`Term`), simplified, then written as
plain ``enableWhen`` when it is one atom or one flat AND or OR of atoms, and otherwise as an SDC
``enableWhenExpression`` (FHIRPath over ``%resource``); never both on one item. The branches
come from the dominator trees of the routing graph, computed in one pass over it in
topological order: the export is near-linear in the number of questions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations
from typing import NamedTuple

from hamstring_cli import model as m
from hamstring_cli.errors import assert_never
from hamstring_cli.fhir import system
from hamstring_cli.model import END, Condition, Question, Questionnaire
from hamstring_cli.question_types import kind

__all__ = [
    "BUDGET",
    "FALSE",
    "TRUE",
    "And",
    "Atom",
    "Cmp",
    "Conditions",
    "Const",
    "Exists",
    "In",
    "Neg",
    "Or",
    "Routing",
    "Term",
    "always_asked",
    "choose",
    "conditions",
    "enable_terms",
    "enable_when",
    "fhirpath",
    "from_condition",
    "literal",
    "make_and",
    "make_or",
    "negate",
    "routing",
]


class In(NamedTuple):
    """A choice or multi question has an answer among ``values`` (any of them, for multi)."""

    question: str
    values: frozenset[str]
    multi: bool = False


class Cmp(NamedTuple):
    """An integer question's answer compares with ``value``: op is =, <, <=, > or >=."""

    question: str
    op: str
    value: int


class Exists(NamedTuple):
    """The question has an answer."""

    question: str


class And(NamedTuple):
    """Every one of ``items`` holds."""

    items: tuple[Term, ...]


class Or(NamedTuple):
    """Some one of ``items`` holds."""

    items: tuple[Term, ...]


class Neg(NamedTuple):
    """``item`` does not hold (true when its question is unanswered)."""

    item: Term


class Const(NamedTuple):
    """Always true or always false."""

    value: bool


Atom = In | Cmp | Exists
Term = In | Cmp | Exists | And | Or | Neg | Const
TRUE = Const(True)
FALSE = Const(False)
_OPS = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def from_condition(q: Questionnaire, condition: Condition) -> Term:
    """A routing condition of the tree as a term."""
    match condition:
        case m.Equals() | m.OneOf():
            values = (condition.value,) if isinstance(condition, m.Equals) else condition.values
            return _among(q.question(condition.question), values)
        case m.Contains():
            return In(condition.question, frozenset(condition.values), multi=True)
        case m.Compare():
            return Cmp(condition.question, _OPS[condition.op], condition.value)
        case m.Answered():
            return Exists(condition.question)
        case m.All():
            return make_and(tuple(from_condition(q, c) for c in condition.items))
        case m.AnyOf():
            return make_or(tuple(from_condition(q, c) for c in condition.items))
        case m.Not():
            return negate(from_condition(q, condition.item))
        case m.Named():
            return from_condition(q, condition.item)
        case m.AtLeast():
            parts = tuple(from_condition(q, c) for c in condition.items)
            groups = combinations(parts, condition.needed)
            return make_or(tuple(make_and(group) for group in groups))
        case m.Leading() | m.Advised():
            raise ValueError("'leading' and 'advised' are known only at the end and cannot route")
        case _:
            assert_never(condition)


def _among(question: Question, values: tuple[str | int, ...]) -> Term:
    # ``equals`` or ``one_of``: a number of a range type, a code of a type with options.
    takes = kind(question.type)
    if not takes.options:
        return make_or(tuple(Cmp(question.id, "=", int(v)) for v in values))
    if takes.many:  # never holds (the checker refuses it): a multi answer is a list
        return FALSE
    return In(question.id, frozenset(str(v) for v in values))


def negate(term: Term) -> Term:
    """``not term``, simplified."""
    if isinstance(term, Const):
        return Const(not term.value)
    if isinstance(term, Neg):
        return term.item
    return Neg(term)


def make_and(items: Sequence[Term]) -> Term:
    """A simplified AND: nested ANDs flattened, constants folded, repeats dropped."""
    flat: dict[Term, None] = {}
    for item in items:
        parts = item.items if isinstance(item, And) else (item,)
        for part in parts:
            if part == FALSE:
                return FALSE
            if part != TRUE:
                flat[part] = None
    merged = _merge_in(list(flat), both=True)
    if any(part == FALSE for part in merged):
        return FALSE
    # An answer among some values implies the question is answered.
    answered = {p.question for p in merged if isinstance(p, In | Cmp)}
    merged = [p for p in merged if not (isinstance(p, Exists) and p.question in answered)]
    if not merged:
        return TRUE
    return merged[0] if len(merged) == 1 else And(tuple(merged))


def make_or(items: Sequence[Term]) -> Term:
    """A simplified OR: nested ORs flattened, constants folded, repeats dropped."""
    flat: dict[Term, None] = {}
    for item in items:
        parts = item.items if isinstance(item, Or) else (item,)
        for part in parts:
            if part == TRUE:
                return TRUE
            if part != FALSE:
                flat[part] = None
    merged = _merge_in(list(flat), both=False)
    if not merged:
        return FALSE
    return merged[0] if len(merged) == 1 else Or(tuple(merged))


def _merge_in(parts: list[Term], *, both: bool) -> list[Term]:
    # Two "answer among" atoms on one question become one: the intersection under AND (for a
    # single-answer choice), the union under OR. One pass, by question.
    out: list[Term] = []
    where: dict[str, int] = {}
    for part in parts:
        if not isinstance(part, In) or (both and part.multi):
            out.append(part)
            continue
        index = where.get(part.question)
        if index is None:
            where[part.question] = len(out)
            out.append(part)
            continue
        seen = out[index]
        if not isinstance(seen, In):  # already an empty intersection: false whatever follows
            continue
        if both:
            joined = seen.values & part.values
            out[index] = In(part.question, joined) if joined else FALSE
        else:
            out[index] = In(part.question, seen.values | part.values, part.multi)
    return out


def _choice_to_exists(q: Questionnaire, term: Term) -> Term:
    # "Any option of a choice" is "answered": keeps most conditions one flat AND or OR.
    if isinstance(term, In):
        question = q.question(term.question)
        if _picks_one(question) and term.values >= set(question.values):
            return Exists(term.question)
        return term
    if isinstance(term, And):
        return make_and(tuple(_choice_to_exists(q, t) for t in term.items))
    if isinstance(term, Or):
        return make_or(tuple(_choice_to_exists(q, t) for t in term.items))
    if isinstance(term, Neg):
        return negate(_choice_to_exists(q, term.item))
    return term


def _picks_one(question: Question) -> bool:
    """Whether an answer is one option (a choice question: its options may route)."""
    takes = kind(question.type)
    return takes.options and not takes.many


def _edges(q: Questionnaire, question: Question) -> list[tuple[str, Term]]:
    """Where ``question`` routes, each target with the condition (on answers) of going there."""
    out: list[tuple[str, Term]] = []
    # Answered, and not with an option that has its own next: for a single-answer choice that
    # is "among the other options" (a negation alone would be true when it is unanswered).
    # A multi question may be left empty: being on the path is enough (see reached()).
    answered: Term = TRUE if kind(question.type).many else Exists(question.id)
    if _picks_one(question):
        by_target: dict[str, set[str]] = {}
        for option in question.options:
            if option.next:
                by_target.setdefault(option.next, set()).add(option.value)
        for target, values in by_target.items():
            out.append((target, In(question.id, frozenset(values))))
        with_next = {o.value for o in question.options if o.next}
        others = frozenset(v for v in question.values if v not in with_next)
        answered = In(question.id, others) if others else FALSE
    taken: list[Term] = []  # the conditions of the routes tried before, which must not hold
    for route in question.routes:
        when = from_condition(q, route.when)
        out.append((route.next, make_and((answered, *[negate(t) for t in taken], when))))
        taken.append(when)
    out.append((q.default_next(question), make_and((answered, *[negate(t) for t in taken]))))
    return out


class Routing(NamedTuple):
    """The routing graph of the questions the start reaches, and its branches.

    ``order`` is a topological order (the start first); ``incoming`` each question's routes
    into it, as (source, condition) in ``order``; ``root`` each question's branch root: the
    question at which the branch it belongs to opens, ``start`` for the questions every path
    asks. Questions the start does not reach are in none of them.
    """

    order: tuple[str, ...]
    incoming: dict[str, list[tuple[str, Term]]]
    root: dict[str, str]


def routing(q: Questionnaire) -> Routing:
    """The routing graph and its branches: near-linear, in one pass each way.

    A question's branch root is the earliest question ``R`` that must come before it on every
    path (it dominates it) and that it must follow on every path from ``R`` to the end (it
    post-dominates ``R``): then on a finished path both are asked or neither is. Dominators
    of a graph without cycles are found in topological order, each the nearest common
    ancestor of its sources in the tree built so far (by binary lifting).
    """
    targets: dict[str, list[tuple[str, Term]]] = {}
    for question in q.questions:
        targets[question.id] = _edges(q, question)
    # The questions the start reaches, in topological order (Kahn's, over what it reaches).
    reach: set[str] = set()
    stack = [q.start] if q.start in q.by_id else []
    while stack:
        current = stack.pop()
        if current in reach or current == END or current not in q.by_id:
            continue
        reach.add(current)
        stack.extend(target for target, _ in targets[current])
    waiting = dict.fromkeys(reach, 0)
    for source in reach:
        for target in dict.fromkeys(t for t, _ in targets[source]):
            if target in waiting:
                waiting[target] += 1
    order: list[str] = []
    ready = [qid for qid in reach if waiting[qid] == 0]
    while ready:
        current = ready.pop()
        order.append(current)
        for target in dict.fromkeys(t for t, _ in targets[current]):
            if target in waiting:
                waiting[target] -= 1
                if waiting[target] == 0:
                    ready.append(target)
    # Questions on a cycle (the checker refuses these) are left out: never enabled.
    index = {qid: n for n, qid in enumerate(order)}
    incoming: dict[str, list[tuple[str, Term]]] = {qid: [] for qid in order}
    for source in order:
        for target, term in targets[source]:
            if target in index:
                incoming[target].append((source, term))
    idom = _dominators(order, {t: [s for s, _ in e] for t, e in incoming.items()})
    # Post-dominators: the same on the reversed graph, from the end (a question's sources
    # there are its targets).
    onward = {
        source: [t for t in dict.fromkeys(t for t, _ in targets[source]) if t in index or t == END]
        for source in order
    }
    ipdom = _dominators([END, *reversed(order)], onward)
    inside = _ancestry(ipdom)
    root: dict[str, str] = {}
    for qid in order:
        up = idom.get(qid)
        # Asked with its dominator on every finished path: the dominator's branch.
        root[qid] = root[up] if up is not None and inside(qid, up) else qid
    return Routing(tuple(order), incoming, root)


def _dominators(order: Sequence[str], sources: dict[str, list[str]]) -> dict[str, str]:
    """Each node's immediate dominator, for nodes in a topological ``order`` (the first is the
    entry; a node none of whose sources is placed before it is left out)."""
    if not order:
        return {}
    tree = _Lifting(order[0])
    idom: dict[str, str] = {}
    for node in order[1:]:
        placed = [s for s in sources.get(node, []) if s in tree.depth]
        if not placed:
            continue
        found = placed[0]
        for other in placed[1:]:
            found = tree.common(found, other)
        idom[node] = found
        tree.place(node, found)
    return idom


class _Lifting:
    """A tree grown one leaf at a time, with binary lifting for the nearest common ancestor."""

    def __init__(self, root: str) -> None:
        self.depth = {root: 0}
        self.up: list[dict[str, str]] = [{}]  # up[k][v]: v's ancestor 2**k levels up

    def place(self, node: str, parent: str) -> None:
        up = self.up
        self.depth[node] = self.depth[parent] + 1
        up[0][node] = parent
        k = 1
        while True:
            if len(up) <= k:
                up.append({})
            middle = up[k - 1].get(node)
            if middle is None or middle not in up[k - 1]:
                break
            up[k][node] = up[k - 1][middle]
            k += 1

    def ancestor(self, node: str, steps: int) -> str:
        k = 0
        while steps:
            if steps & 1:
                node = self.up[k][node]
            steps >>= 1
            k += 1
        return node

    def common(self, a: str, b: str) -> str:
        depth, up = self.depth, self.up
        if depth[a] < depth[b]:
            a, b = b, a
        a = self.ancestor(a, depth[a] - depth[b])
        if a == b:
            return a
        for k in range(len(up) - 1, -1, -1):
            if a in up[k] and up[k][a] != up[k].get(b):
                a, b = up[k][a], up[k][b]
        return up[0][a]


def _ancestry(parent: dict[str, str]) -> Callable[[str, str], bool]:
    """``inside(a, b)``: whether ``a`` is ``b`` or an ancestor of it in the tree ``parent``."""
    children: dict[str, list[str]] = {}
    for child, above in parent.items():
        children.setdefault(above, []).append(child)
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    roots = [n for n in children if n not in parent]
    clock = 0
    for top in roots:
        stack: list[tuple[str, bool]] = [(top, False)]
        while stack:
            node, done = stack.pop()
            if done:
                last[node] = clock
                continue
            first[node] = clock
            clock += 1
            stack.append((node, True))
            stack.extend((child, False) for child in children.get(node, []))

    def inside(a: str, b: str) -> bool:
        if a not in first or b not in first:
            return a == b
        return first[a] <= first[b] and last[b] <= last[a]

    return inside


def always_asked(q: Questionnaire) -> frozenset[str]:
    """The questions on every path: no answer can take them off it."""
    graph = routing(q)
    return frozenset(qid for qid in graph.order if graph.root[qid] == q.start)


def _guarded(
    q: Questionnaire,
    term: Term,
    source: str,
    at: dict[str, int],
    gate: Callable[[str], Term],
    on_path: Callable[[str], Term],
) -> Term:
    # The route condition of ``source``, reading only what the engine reads there: each answer
    # of a question that may come before ``source`` (and also on the path, by its branch's
    # root condition: a renderer may keep the answer of an item it hid); a question that
    # cannot come before it is unanswered when the engine routes, so its atoms are false.
    if isinstance(term, In | Cmp | Exists):
        before = at.get(term.question, len(at)) < at[source]
        if isinstance(term, Exists) and kind(q.question(term.question).type).many:
            # A multi on the path is answered, if only with none ([]), which a response
            # cannot tell from unanswered: "answered" is "on the path".
            if term.question == source:
                return TRUE
            return on_path(term.question) if before else FALSE
        if term.question == source:
            return term
        return make_and((term, gate(term.question))) if before else FALSE
    if isinstance(term, And):
        return make_and(tuple(_guarded(q, t, source, at, gate, on_path) for t in term.items))
    if isinstance(term, Or):
        return make_or(tuple(_guarded(q, t, source, at, gate, on_path) for t in term.items))
    if isinstance(term, Neg):
        return negate(_guarded(q, term.item, source, at, gate, on_path))
    return term


#: The most atoms one hardened condition holds. Past it (a tree in which each of hundreds of
#: questions may end the intake, so a question deep in it depends on every answer before it)
#: a condition is written without the branch conditions: the export stays near-linear.
BUDGET = 64


class Conditions(NamedTuple):
    """Each question's enable condition, and the questions whose condition is written without
    the root conditions of the branches it reads (it would hold more than :data:`BUDGET`
    atoms), or reads such a condition: right in renderers that count a hidden item as
    unanswered, as R4 says, but not in those that read the kept answers of hidden items."""

    terms: dict[str, Term]
    unguarded: tuple[str, ...]


def _atoms(term: Term, limit: int) -> int:
    """How many atoms a term holds (counting stops past ``limit``)."""
    count = 0
    stack = [term]
    while stack and count <= limit:
        current = stack.pop()
        if isinstance(current, And | Or):
            stack.extend(current.items)
        elif isinstance(current, Neg):
            stack.append(current.item)
        elif not isinstance(current, Const):
            count += 1
    return count


def conditions(q: Questionnaire, budget: int = BUDGET) -> Conditions:
    """Each question's enable condition (``TRUE`` for the start, ``FALSE`` for a question the
    start never reaches), hardened: every answer it reads must also be on the path, by the
    root condition of that answer's branch (within ``budget`` atoms a condition).
    """
    graph = routing(q)
    at = {qid: n for n, qid in enumerate(graph.order)}
    enabled: dict[str, Term] = {}
    unguarded: list[str] = []
    # Questions whose condition is unguarded, or reads one that is: not robust either.
    weak: set[str] = set()
    leans: list[str] = []  # the conditions the one being written reads

    def gate(qid: str) -> Term:
        # On the path, on a finished path: its branch's first question is.
        root = graph.root[qid]
        if root == q.start:
            return TRUE
        leans.append(root)
        return enabled[root]

    def trusted(qid: str) -> Term:
        return TRUE

    def on_path(qid: str) -> Term:
        leans.append(qid)
        return enabled[qid]

    def reached(qid: str, guard: Callable[[str], Term]) -> Term:
        # On the path so far: for a question that must be answered, answered (and on the
        # path, not a kept answer of a hidden item); for a multi (which may be left empty),
        # its own enable condition.
        if qid == q.start:
            return TRUE
        if kind(q.question(qid).type).many:
            return on_path(qid)
        return make_and((Exists(qid), guard(qid)))

    def written(qid: str, guard: Callable[[str], Term]) -> Term:
        parts = [
            make_and((reached(source, guard), _guarded(q, term, source, at, guard, on_path)))
            for source, term in graph.incoming[qid]
        ]
        return _choice_to_exists(q, make_or(parts))

    for qid in graph.order:
        if qid == q.start:
            enabled[qid] = TRUE
            continue
        leans.clear()
        term = written(qid, gate)
        if _atoms(term, budget) > budget:
            leans.clear()
            term = written(qid, trusted)
            weak.add(qid)
        elif not weak.isdisjoint(leans):
            weak.add(qid)
        if qid in weak:
            unguarded.append(qid)
        enabled[qid] = term
    terms = {question.id: enabled.get(question.id, FALSE) for question in q.questions}
    return Conditions(terms, tuple(unguarded))


def enable_terms(q: Questionnaire) -> dict[str, Term]:
    """Each question's enable condition (see :func:`conditions`)."""
    return conditions(q).terms


def choose(q: Questionnaire) -> tuple[dict[str, tuple[str, Term]], tuple[str, ...]]:
    """How each question's condition is written: ``("none", TRUE)`` for the start,
    ``("enableWhen", term)`` where plain ``enableWhen`` can say it (one atom, or one flat AND
    or OR of atoms), else ``("expression", term)``; and the questions whose condition is written
    without the branch conditions it reads (:attr:`Conditions.unguarded`).
    """
    found = conditions(q)
    out: dict[str, tuple[str, Term]] = {}
    for qid, term in found.terms.items():
        if term == TRUE:
            out[qid] = ("none", TRUE)
        elif enable_when(q, term) is not None:
            out[qid] = ("enableWhen", term)
        else:
            out[qid] = ("expression", term)
    return out, found.unguarded


# ---------------------------------------------------------------------------------------------
# Writing terms as FHIR


def _coding(q: Questionnaire, question: str, value: str) -> dict[str, object]:
    label = q.question(question).option(value)
    return {
        "system": system(q, question),
        "code": value,
        "display": label.label if label else value,
    }


def _atom_enable_when(q: Questionnaire, atom: Term) -> list[dict[str, object]] | None:
    """The enableWhen entries an atom gives (several for "any of"), or None if it cannot."""
    if isinstance(atom, Exists):
        return [{"question": atom.question, "operator": "exists", "answerBoolean": True}]
    if isinstance(atom, Cmp):
        # answerInteger for valueInteger: the type's own answer key, as an enableWhen holds it.
        key = "answer" + kind(q.question(atom.question).type).fhir_value.removeprefix("value")
        return [{"question": atom.question, "operator": atom.op, key: atom.value}]
    if isinstance(atom, In):
        order = q.question(atom.question).values
        return [
            {
                "question": atom.question,
                "operator": "=",
                "answerCoding": _coding(q, atom.question, v),
            }
            for v in order
            if v in atom.values
        ]
    return None


def enable_when(q: Questionnaire, term: Term) -> tuple[list[dict[str, object]], str] | None:
    """The term as plain ``enableWhen`` entries and their ``enableBehavior``, if it can be."""
    if isinstance(term, In | Cmp | Exists):
        entries = _atom_enable_when(q, term)
        assert entries is not None
        return entries, "any"
    if isinstance(term, Or):
        out: list[dict[str, object]] = []
        for item in term.items:
            entries = _atom_enable_when(q, item)
            if entries is None:
                return None
            out += entries
        return out, "any"
    if isinstance(term, And):
        out = []
        for item in term.items:
            entries = _atom_enable_when(q, item)
            if entries is None or len(entries) != 1:
                return None
            out += entries
        return out, "all"
    return None


#: FHIRPath's escapes for what a string literal cannot hold as itself (a backslash starts an
#: escape, a quote ends the literal) and for the white space that has one.
_ESCAPES = str.maketrans(
    {"\\": "\\\\", "'": "\\'", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f"}
)


def literal(text: str) -> str:
    """``text`` as a FHIRPath string literal: in single quotes, with a backslash and a quote
    escaped (``don't`` is ``'don\\'t'``), so no value can end the literal and write FHIRPath
    of its own. Every other character stands as itself, as the grammar allows (a value holds no
    control character: the format refuses them)."""
    return "'" + text.translate(_ESCAPES) + "'"


def _answers(question: str) -> str:
    return f"%resource.item.where(linkId={literal(question)}).answer"


def fhirpath(term: Term) -> str:
    """The term as a FHIRPath expression over ``%resource`` that is always true or false."""
    if isinstance(term, Const):
        return "true" if term.value else "false"
    if isinstance(term, Exists):
        return f"{_answers(term.question)}.exists()"
    if isinstance(term, In):
        codes = " or ".join(f"code={literal(v)}" for v in sorted(term.values))
        return f"{_answers(term.question)}.value.where({codes}).exists()"
    if isinstance(term, Cmp):
        return f"{_answers(term.question)}.value.where($this {term.op} {term.value}).exists()"
    if isinstance(term, Neg):
        return f"({fhirpath(term.item)}).not()"
    joiner = " and " if isinstance(term, And) else " or "
    return "(" + joiner.join(fhirpath(t) for t in term.items) + ")"
