"""Every path through a questionnaire, found by walking the tree with its own routing.

Pure. :func:`iter_paths` starts at ``start``, tries each candidate answer of each
question it reaches, and follows :meth:`Questionnaire.next_after` (the engine's routing), so a
path here is a path a user can take. Which answers it tries is a strategy:

- ``values="all"`` (the default): every option of a choice question; for a multi question every
  subset of its options (see ``multi``); for an integer question the boundary values that the
  questionnaire's own conditions use: ``min``, ``max``, and each number a condition compares
  with together with its neighbours (``{gte: 18}`` gives 17, 18 and 19).
- ``values="distinct"``: one answer for each group of answers that no condition, route,
  option ``next`` or ``uncertain`` flag tells apart. Every routing decision and every rule
  outcome that ``"all"`` can produce is still produced (only the wording of a ``{placeholder}``
  can differ), with far fewer paths.
- ``values="routing"``: as ``"distinct"``, but only routing (option ``next`` and ``routes``)
  tells answers apart, so each distinct sequence of questions comes once, with the first
  option or lowest value elsewhere. Small even for large trees: a path cover.

Multi questions (``multi``): ``"subsets"`` tries every subset; ``"singles"`` tries the empty
answer, each option alone, and all of them together; ``"auto"`` (the default) takes subsets up
to ``multi_limit`` options and singles beyond.

The number of paths is the product of the candidates along each path, which for a real
questionnaire under ``"all"`` is astronomical: count with ``sum(1 for _ in ...)`` on a
smaller strategy first, or cut the walk short with ``itertools.islice``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Literal, NamedTuple

from hamstring_cli import model as m
from hamstring_cli.errors import assert_never
from hamstring_cli.model import END, Answer, Condition, Question, Questionnaire, walk_condition
from hamstring_cli.question_types import kind

__all__ = [
    "Atom",
    "RoutingError",
    "Walk",
    "atoms_by_question",
    "boundary_values",
    "candidates",
    "cut_points",
    "iter_paths",
    "outcome_conditions",
    "question_candidates",
    "route_conditions",
]

ValueStrategy = Literal["all", "distinct", "routing"]
MultiStrategy = Literal["subsets", "singles", "auto"]
#: A condition on one question that can tell its answers apart.
Atom = m.Equals | m.OneOf | m.Contains | m.Compare


class Walk(NamedTuple):
    """One complete path: the questions in the order asked, and the answers given."""

    path: tuple[str, ...]
    answers: dict[str, Answer]


class RoutingError(ValueError):
    """The routes lead to an unknown question or back to one already asked (check first)."""


def route_conditions(questionnaire: Questionnaire) -> Iterator[Condition]:
    """The ``when`` of every route, in file order."""
    for question in questionnaire.questions:
        for route in question.routes:
            yield route.when


def outcome_conditions(questionnaire: Questionnaire) -> Iterator[Condition]:
    """The ``when`` of every outcome rule (triage, scope, scores, red flags, imaging, notes)."""
    outcomes = questionnaire.outcomes
    for condition in outcomes.conditions:
        for rule in condition.triage:
            if rule.when is not None:
                yield rule.when
    for rule in outcomes.triage:
        if rule.when is not None:
            yield rule.when
    for exclusion in outcomes.scope.exclusions:
        yield exclusion.when
    for score in outcomes.scores:
        yield score.when
    for flag in outcomes.red_flags:
        yield flag.when
    for imaging in outcomes.imaging:
        yield imaging.when
    for note in outcomes.notes:
        if note.when is not None:
            yield note.when


def atoms_by_question(conditions: Iterable[Condition]) -> dict[str, list[Atom]]:
    """The conditions on a single question found in ``conditions``, grouped by question id."""
    out: dict[str, list[Atom]] = {}
    for condition in conditions:
        for part in walk_condition(condition):
            if isinstance(part, (m.Equals, m.OneOf, m.Contains, m.Compare)):
                out.setdefault(part.question, []).append(part)
    return out


def _numbers(atom: Atom) -> tuple[int, ...]:
    match atom:
        case m.Compare():
            return (atom.value,)
        case m.Equals():
            return (atom.value,) if isinstance(atom.value, int) else ()
        case m.OneOf():
            return tuple(v for v in atom.values if isinstance(v, int))
        case m.Contains():
            return ()
        case _:
            assert_never(atom)


def _clip(question: Question, values: Iterable[int]) -> tuple[int, ...]:
    low = question.minimum
    high = question.maximum
    return tuple(
        sorted({v for v in values if (low is None or v >= low) and (high is None or v <= high)})
    )


def boundary_values(question: Question, atoms: Sequence[Atom]) -> tuple[int, ...]:
    """``min``, ``max``, and each number the atoms use with its neighbours, within range."""
    values: list[int] = [v for v in (question.minimum, question.maximum) if v is not None]
    for atom in atoms:
        for n in _numbers(atom):
            values += (n - 1, n, n + 1)
    return _clip(question, values) or (0,)


def cut_points(atoms: Iterable[Atom]) -> set[int]:
    """The integer cut-point rule: the values at which some atom starts to read differently.

    A cut is the first value of a new range: 'lt 18' and 'gte 18' change at 18, 'gt 18' and
    'lte 18' at 19, 'equals 18' (or 18 among 'one_of') at 18 and again at 19. Between two cuts
    every atom reads the same, so one value of each range stands for all of it.
    """
    cuts: set[int] = set()
    for atom in atoms:
        if isinstance(atom, m.Compare):
            cuts.add(atom.value + 1 if atom.op in ("gt", "lte") else atom.value)
        else:
            for n in _numbers(atom):
                cuts.update((n, n + 1))
    return cuts


def _integer_classes(question: Question, atoms: Sequence[Atom]) -> tuple[int, ...]:
    """The lowest value of each range of values on which every atom gives the same answer."""
    cuts = cut_points(atoms)
    low = question.minimum if question.minimum is not None else min(cuts, default=0)
    return _clip(question, {low} | {c for c in cuts if c > low})


def _signature(value: str, atoms: Sequence[Atom]) -> tuple[bool, ...]:
    out: list[bool] = []
    for atom in atoms:
        match atom:
            case m.Equals():
                out.append(atom.value == value)
            case m.OneOf() | m.Contains():
                out.append(value in atom.values)
            case m.Compare():
                pass  # a number: no option's value
            case _:
                assert_never(atom)
    return tuple(out)


def _choice_classes(question: Question, atoms: Sequence[Atom], uncertain: bool) -> tuple[str, ...]:
    seen: set[tuple[object, ...]] = set()
    out: list[str] = []
    for option in question.options:
        key = (option.next, option.uncertain and uncertain, _signature(option.value, atoms))
        if key not in seen:
            seen.add(key)
            out.append(option.value)
    return tuple(out)


def _multi_classes(question: Question, atoms: Sequence[Atom]) -> tuple[str, ...]:
    # An option that no atom names changes nothing that an atom can see: leave it out.
    seen: set[tuple[bool, ...]] = set()
    out: list[str] = []
    for option in question.options:
        key = _signature(option.value, atoms)
        if any(key) and key not in seen:
            seen.add(key)
            out.append(option.value)
    return tuple(out)


def _multi_answers(
    values: Sequence[str], multi: MultiStrategy, multi_limit: int
) -> tuple[tuple[str, ...], ...]:
    if multi == "subsets" or (multi == "auto" and len(values) <= multi_limit):
        return tuple(
            subset
            for size in range(len(values) + 1)
            for subset in itertools.combinations(values, size)
        )
    answers = [(), *((v,) for v in values), tuple(values)]
    return tuple(dict.fromkeys(answers))


def question_candidates(
    question: Question,
    atoms: Sequence[Atom],
    *,
    merge: bool,
    uncertain: bool = True,
    multi: MultiStrategy = "auto",
    multi_limit: int = 6,
) -> tuple[Answer, ...]:
    """The answers to try for one question.

    Args:
        question: the question.
        atoms: the conditions on this question that matter (see :func:`atoms_by_question`).
        merge: ``False`` tries every option (boundary values for integers); ``True`` tries one
            answer per group that ``atoms``, the options' ``next`` and (with ``uncertain``)
            their ``uncertain`` flags cannot tell apart.
        uncertain: whether the ``uncertain`` flag tells choice options apart when merging.
        multi: the strategy for multi questions (see the module's docstring).
        multi_limit: the most options ``"auto"`` takes all subsets of.

    Returns:
        The candidate answers, in option order (multi answers in option order too).
    """
    takes = kind(question.type)
    if not takes.options:
        return _integer_classes(question, atoms) if merge else boundary_values(question, atoms)
    if not takes.many:
        return _choice_classes(question, atoms, uncertain) if merge else question.values
    values = _multi_classes(question, atoms) if merge else question.values
    return _multi_answers(values, multi, multi_limit)


def candidates(
    questionnaire: Questionnaire,
    *,
    values: ValueStrategy = "all",
    multi: MultiStrategy = "auto",
    multi_limit: int = 6,
    integer_values: Mapping[str, Iterable[int]] | None = None,
) -> dict[str, tuple[Answer, ...]]:
    """The answers :func:`iter_paths` tries, by question id (same arguments)."""
    if values == "routing":
        atoms = atoms_by_question(route_conditions(questionnaire))
    else:
        atoms = atoms_by_question(
            itertools.chain(route_conditions(questionnaire), outcome_conditions(questionnaire))
        )
    out: dict[str, tuple[Answer, ...]] = {}
    for question in questionnaire.questions:
        out[question.id] = question_candidates(
            question,
            atoms.get(question.id, ()),
            merge=values != "all",
            uncertain=values == "distinct",
            multi=multi,
            multi_limit=multi_limit,
        )
    for qid, given in (integer_values or {}).items():
        out[qid] = tuple(given)
    return out


def iter_paths(
    questionnaire: Questionnaire,
    *,
    values: ValueStrategy = "all",
    multi: MultiStrategy = "auto",
    multi_limit: int = 6,
    integer_values: Mapping[str, Iterable[int]] | None = None,
) -> Iterator[Walk]:
    """Yield every complete path through the tree, with its answers, depth first.

    Args:
        questionnaire: a questionnaire that passed its checks (no cycles, no unknown targets).
        values: which answers to try (``"all"``, ``"distinct"`` or ``"routing"``; see the
            module's docstring).
        multi: ``"subsets"``, ``"singles"`` or ``"auto"`` for multi questions.
        multi_limit: the most options ``"auto"`` takes every subset of.
        integer_values: the numbers to try for some integer questions, by id, instead of the
            boundary values.

    Yields:
        A :class:`Walk` per complete path: ``path`` in the order asked, and ``answers`` (a
        fresh dict each time, in the same order) as the engine holds them.

    Raises:
        RoutingError: the routes lead to an unknown question or back to one already asked.
    """
    tried = candidates(
        questionnaire,
        values=values,
        multi=multi,
        multi_limit=multi_limit,
        integer_values=integer_values,
    )
    by_id = questionnaire.by_id
    first = by_id.get(questionnaire.start)
    if first is None:
        if questionnaire.start == END or not questionnaire.questions:
            return
        raise RoutingError(f"start points to unknown question '{questionnaire.start}'")
    # One shared answers dict and path list, undone on the way back: no copies but the yield.
    answers: dict[str, Answer] = {}
    path: list[str] = [first.id]
    stack: list[tuple[Question, Iterator[Answer]]] = [(first, iter(tried[first.id]))]
    done = object()
    while stack:
        question, options = stack[-1]
        answer = next(options, done)
        if answer is done:
            stack.pop()
            path.pop()
            answers.pop(question.id, None)
            continue
        answers[question.id] = answer  # type: ignore[assignment]
        target = questionnaire.next_after(question, answers)
        if target == END:
            yield Walk(tuple(path), dict(answers))
            continue
        following = by_id.get(target)
        if following is None:
            raise RoutingError(f"'{question.id}' points to unknown question '{target}'")
        if target in answers:
            raise RoutingError(f"the routes loop: {' -> '.join(path)} -> {target}")
        path.append(target)
        stack.append((following, iter(tried[target])))
