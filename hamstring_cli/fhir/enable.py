"""When each question is asked, as FHIR enable conditions derived from the tree's routing.

Layer 2, pure. The engine reaches question ``Q`` when some question ``P`` on the path routes to
it (:meth:`~hamstring_cli.model.Questionnaire.next_after`: an option's ``next`` first, then the
``routes`` in order, then the default ``next``). In a response that holds only the questions
asked, ``P`` is on the path exactly when it is answered (a multi question may be left empty, so
for one of those "reached" is its own enable condition, written out). So::

    enabled(Q) = OR over P of (reached(P) AND the route from P to Q is taken)

Each condition is built as a small boolean formula (:class:`Term`), simplified, then written as
plain ``enableWhen`` when it is one atom or one flat AND or OR of atoms, and otherwise as an SDC
``enableWhenExpression`` (FHIRPath over ``%resource``); never both on one item.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations
from typing import NamedTuple

from hamstring_cli.fhir import system
from hamstring_cli.model import (
    END,
    Advised,
    All,
    Answered,
    AnyOf,
    AtLeast,
    Compare,
    Condition,
    Contains,
    Equals,
    Leading,
    Named,
    Not,
    OneOf,
    Question,
    Questionnaire,
)


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
    if isinstance(condition, Equals | OneOf):
        values = (condition.value,) if isinstance(condition, Equals) else condition.values
        question = q.question(condition.question)
        if question.type == "integer":
            return make_or(tuple(Cmp(question.id, "=", int(v)) for v in values))
        if question.type == "multi":  # never holds (the checker refuses it): a multi is a list
            return FALSE
        return In(question.id, frozenset(str(v) for v in values))
    if isinstance(condition, Contains):
        return In(condition.question, frozenset(condition.values), multi=True)
    if isinstance(condition, Compare):
        return Cmp(condition.question, _OPS[condition.op], condition.value)
    if isinstance(condition, Answered):
        return Exists(condition.question)
    if isinstance(condition, All):
        return make_and(tuple(from_condition(q, c) for c in condition.items))
    if isinstance(condition, AnyOf):
        return make_or(tuple(from_condition(q, c) for c in condition.items))
    if isinstance(condition, Not):
        return negate(from_condition(q, condition.item))
    if isinstance(condition, Named):
        return from_condition(q, condition.item)
    if isinstance(condition, AtLeast):
        parts = tuple(from_condition(q, c) for c in condition.items)
        return make_or(tuple(make_and(group) for group in combinations(parts, condition.needed)))
    assert isinstance(condition, Leading | Advised)
    raise ValueError("'leading' and 'advised' are known only at the end and cannot route")


def negate(term: Term) -> Term:
    """``not term``, simplified."""
    if isinstance(term, Const):
        return Const(not term.value)
    if isinstance(term, Neg):
        return term.item
    return Neg(term)


def make_and(items: Sequence[Term]) -> Term:
    """A simplified AND: nested ANDs flattened, constants folded, repeats dropped."""
    flat: list[Term] = []
    for item in items:
        parts = item.items if isinstance(item, And) else (item,)
        for part in parts:
            if part == FALSE:
                return FALSE
            if part != TRUE and part not in flat:
                flat.append(part)
    flat = _merge_in(flat, both=True)
    if any(part == FALSE for part in flat):
        return FALSE
    # An answer among some values implies the question is answered.
    answered = {p.question for p in flat if isinstance(p, In | Cmp)}
    flat = [p for p in flat if not (isinstance(p, Exists) and p.question in answered)]
    if not flat:
        return TRUE
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def make_or(items: Sequence[Term]) -> Term:
    """A simplified OR: nested ORs flattened, constants folded, repeats dropped."""
    flat: list[Term] = []
    for item in items:
        parts = item.items if isinstance(item, Or) else (item,)
        for part in parts:
            if part == TRUE:
                return TRUE
            if part != FALSE and part not in flat:
                flat.append(part)
    flat = _merge_in(flat, both=False)
    if not flat:
        return FALSE
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def _merge_in(parts: list[Term], *, both: bool) -> list[Term]:
    # Two "answer among" atoms on one question become one: the intersection under AND (for a
    # single-answer choice), the union under OR.
    out: list[Term] = []
    for part in parts:
        if isinstance(part, In):
            for i, seen in enumerate(out):
                if isinstance(seen, In) and seen.question == part.question:
                    if both and not part.multi:
                        joined = seen.values & part.values
                        out[i] = In(part.question, joined) if joined else FALSE
                    elif not both:
                        out[i] = In(part.question, seen.values | part.values, part.multi)
                    else:
                        continue
                    break
            else:
                out.append(part)
        else:
            out.append(part)
    return out


def _choice_to_exists(q: Questionnaire, term: Term) -> Term:
    # "Any option of a choice" is "answered": keeps most conditions one flat AND or OR.
    if isinstance(term, In):
        question = q.question(term.question)
        if question.type == "choice" and term.values >= set(question.values):
            return Exists(term.question)
        return term
    if isinstance(term, And):
        return make_and(tuple(_choice_to_exists(q, t) for t in term.items))
    if isinstance(term, Or):
        return make_or(tuple(_choice_to_exists(q, t) for t in term.items))
    if isinstance(term, Neg):
        return negate(_choice_to_exists(q, term.item))
    return term


def _edges(q: Questionnaire, question: Question) -> list[tuple[str, Term]]:
    """Where ``question`` routes, each target with the condition (on answers) of going there."""
    out: list[tuple[str, Term]] = []
    # Answered, and not with an option that has its own next: for a single-answer choice that
    # is "among the other options" (a negation alone would be true when it is unanswered).
    # A multi question may be left empty: being on the path is enough (see reached()).
    answered: Term = TRUE if question.type == "multi" else Exists(question.id)
    if question.type == "choice":
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


def always_asked(q: Questionnaire) -> frozenset[str]:
    """The questions on every path: no answer can take them off it."""
    out: set[str] = set()
    for question in q.questions:
        # Without this question, can a walk from the start still reach the end?
        seen: set[str] = {question.id}
        stack = [q.start] if q.start != question.id else []
        ends = False
        while stack and not ends:
            current = stack.pop()
            if current == END:
                ends = True
            elif current not in seen:
                seen.add(current)
                stack.extend(q.successors(q.question(current)))
        if not ends:
            out.add(question.id)
    return frozenset(out)


def _atoms_guarded(term: Term, guard: Callable[[str], Term], skip: str) -> Term:
    # Each atom on a question that some answers take off the path also needs that question to
    # be on the path: a renderer may keep (and an expression read) the answer of an item it hid.
    if isinstance(term, In | Cmp | Exists):
        return term if term.question == skip else make_and((term, guard(term.question)))
    if isinstance(term, And):
        return make_and(tuple(_atoms_guarded(t, guard, skip) for t in term.items))
    if isinstance(term, Or):
        return make_or(tuple(_atoms_guarded(t, guard, skip) for t in term.items))
    if isinstance(term, Neg):
        return negate(_atoms_guarded(term.item, guard, skip))
    return term


def enable_terms(q: Questionnaire, *, robust: bool = False) -> dict[str, Term]:
    """Each question's enable condition (``TRUE`` for the start).

    Plain, a condition reads "P answered" for "P is on the path": true in a response that holds
    only the questions shown, and for ``enableWhen``, whose sources count as unanswered while
    disabled. With ``robust``, every answer read is also required to be on the path, back to
    questions that every path asks: right even when hidden items keep their answers (LHC-Forms
    evaluates ``enableWhenExpression`` so), at the cost of longer conditions.
    """
    incoming: dict[str, list[tuple[str, Term]]] = {}
    for question in q.questions:
        for target, term in _edges(q, question):
            if target != END:
                incoming.setdefault(target, []).append((question.id, term))
    stable = always_asked(q) if robust else frozenset()
    enabled: dict[str, Term] = {}

    def reached(qid: str, stack: frozenset[str]) -> Term:
        # On the path: for a question that must be answered, "answered"; for a multi (which
        # may be left empty), its own enable condition.
        if qid == q.start:
            return TRUE
        answered: Term = TRUE if q.question(qid).type == "multi" else Exists(qid)
        if q.question(qid).type == "multi" or (robust and qid not in stable):
            return make_and((answered, condition(qid, stack)))
        return answered

    def guard(stack: frozenset[str]) -> Callable[[str], Term]:
        def on_path(qid: str) -> Term:
            return TRUE if qid in stable else condition(qid, stack)

        return on_path

    def condition(qid: str, stack: frozenset[str]) -> Term:
        if qid in enabled:
            return enabled[qid]
        if qid == q.start:
            return TRUE
        if qid in stack:  # a cycle: the checker refuses these
            return FALSE
        inner = stack | {qid}
        parts = [
            make_and(
                (
                    reached(source, inner),
                    _atoms_guarded(term, guard(inner), source) if robust else term,
                )
            )
            for source, term in incoming.get(qid, [])
        ]
        enabled[qid] = _choice_to_exists(q, make_or(parts))
        return enabled[qid]

    for question in q.questions:
        condition(question.id, frozenset())
    return {question.id: enabled.get(question.id, TRUE) for question in q.questions}


def questions_of(term: Term) -> set[str]:
    """The questions a term reads."""
    if isinstance(term, In | Cmp | Exists):
        return {term.question}
    if isinstance(term, And | Or):
        return set().union(*(questions_of(t) for t in term.items))
    if isinstance(term, Neg):
        return questions_of(term.item)
    return set()


def choose(q: Questionnaire) -> dict[str, tuple[str, Term]]:
    """How each question's condition is written: ``("none", TRUE)`` for the start,
    ``("enableWhen", plain)``, or ``("expression", robust)``.

    Plain ``enableWhen`` where it can say the condition and every question it reads is asked on
    every path or itself enabled by ``enableWhen``: renderers count a source that ``enableWhen``
    disabled as unanswered, but LHC-Forms keeps the answer of an item that an expression hid,
    and ``enableWhen`` on it would still see it. Elsewhere the robust expression.
    """
    plain, robust = enable_terms(q), enable_terms(q, robust=True)
    trusted = set(always_asked(q))
    out: dict[str, tuple[str, Term]] = {}
    for question in q.questions:
        term = plain[question.id]
        if term == TRUE:
            out[question.id] = ("none", TRUE)
            trusted.add(question.id)
        elif enable_when(q, term) is not None and questions_of(term) <= trusted:
            out[question.id] = ("enableWhen", term)
            trusted.add(question.id)
        else:
            out[question.id] = ("expression", robust[question.id])
    return out


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
        return [{"question": atom.question, "operator": atom.op, "answerInteger": atom.value}]
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


def _answers(question: str) -> str:
    return f"%resource.item.where(linkId='{question}').answer"


def fhirpath(term: Term) -> str:
    """The term as a FHIRPath expression over ``%resource`` that is always true or false."""
    if isinstance(term, Const):
        return "true" if term.value else "false"
    if isinstance(term, Exists):
        return f"{_answers(term.question)}.exists()"
    if isinstance(term, In):
        codes = " or ".join(f"code='{v}'" for v in sorted(term.values))
        return f"{_answers(term.question)}.value.where({codes}).exists()"
    if isinstance(term, Cmp):
        return f"{_answers(term.question)}.value.where($this {term.op} {term.value}).exists()"
    if isinstance(term, Neg):
        return f"({fhirpath(term.item)}).not()"
    joiner = " and " if isinstance(term, And) else " or "
    return "(" + joiner.join(fhirpath(t) for t in term.items) + ")"
