"""Check a questionnaire as a whole: targets, conditions, references, paths and rules.

Pure: it reads the model only, and places come from the model's ``at`` fields.
:func:`check` returns every finding; the loader raises on the errors.

What is checked, and how:

- **Targets.** Every ``next`` (of an option, a route, a question) and ``start`` names a question
  or ``end`` (``E101``); every ``required`` id is a question (``E119``).
- **Conditions.** Question ids exist (``E102``); values are options of the question
  (``E103``); ``lt``/``lte``/``gt``/``gte`` only on integer questions (``E104``) and
  ``contains`` only on multi ones (``E110``); ``equals``/``one_of`` on a multi question never
  hold (``E118``); numbers outside the question's range are a warning (``W113``);
  ``leading`` names a condition (``E112``) and is not used in routes (``E114``).
- **Outcomes.** Score rules name conditions (``E112``); every ``source`` is a reference
  (``E111``); ``{placeholder}`` names a question (``E115``); each condition ends its triage
  with a rule without ``when`` (``E117``), and rules after that one are dead (``W108``).
- **Paths**, on the static graph where every option ``next``, route and fall-through is taken
  to be possible (a choice question whose options all have ``next`` never falls through).
  This over-approximates the paths a user can take, which is the safe side for these checks:
  cycles (``E105``, with the cycle), loops with no way to the end (``E106``), questions never
  reached (``W107``), and required questions that some path skips (``E109``, naming the
  shortest such path). The question ids of the model must be unique (the loader sees to it).
- **Rules no path can satisfy** (``W108``), for the ``when`` of every triage, score, red flag,
  imaging and note rule; only when everything above is free of errors. For each rule a
  depth-first walk follows the real routing (:meth:`Questionnaire.next_after`), trying one
  answer for each group of answers that the routes and the rule itself cannot tell apart,
  so the search is exact for the rule. It prunes with three-valued logic: a question not yet
  answered is *unknown* while the static graph can still reach it, and unanswered (false)
  once it cannot. ``leading`` is always unknown (it depends on the scores), so a rule is
  reported only when it is false on every path whatever condition leads. A rule whose search
  passes :data:`SEARCH_BUDGET` steps is not reported: a warning here is always a proof.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from hamstring_cli import model as m
from hamstring_cli.errors import (
    Code,
    Detail,
    Diagnostic,
    Place,
    assert_never,
    diagnostic,
    did_you_mean,
)
from hamstring_cli.model import (
    END,
    LEVEL_TIMEFRAMES,
    Answer,
    Condition,
    Question,
    Questionnaire,
    TriageRule,
    children,
    holds_so_far,
    placeholder_parts,
    placeholders,
    questions_in,
)
from hamstring_cli.question_types import kind

if TYPE_CHECKING:
    from hamstring_cli.paths import Atom

__all__ = [
    "SEARCH_BUDGET",
    "Graph",
    "check",
    "static_graph",
]

#: The most steps the search for one rule takes before giving up (and saying nothing).
SEARCH_BUDGET = 20_000

Graph = dict[str, list[str]]


def check(questionnaire: Questionnaire, *, search: bool = True) -> list[Diagnostic]:
    """Every error and warning about a questionnaire as a whole (see the module docstring).

    Args:
        questionnaire: the model, as the loader builds it (or built in code).
        search: whether to search for rules that no path can satisfy. That search yields
            warnings only (``W108``) and is most of the checker's time, so a run that drops
            warnings can leave it out: the errors are the same either way.

    Returns:
        The diagnostics, errors and warnings, in the order the checks run.
    """
    return _Checker(questionnaire).run(search)


def static_graph(questionnaire: Questionnaire) -> Graph:
    """Every target each question can lead to (known or not), ``end`` included.

    A choice question whose options all have a ``next`` never falls through to its routes or
    its default; otherwise every option ``next``, every route, and the default are possible.
    """
    ids = [q.id for q in questionnaire.questions]
    following = dict(itertools.pairwise(ids))
    graph: Graph = {}
    for question in questionnaire.questions:
        option_targets = (
            [o.next for o in question.options if o.next]
            if kind(question.type).option_routes
            else []
        )
        if option_targets and all(o.next for o in question.options):
            targets = option_targets
        else:
            default = question.next or following.get(question.id, END)
            targets = [*option_targets, *(r.next for r in question.routes), default]
        graph[question.id] = list(dict.fromkeys(t for t in targets if t))
    return graph


class _Checker:
    def __init__(self, questionnaire: Questionnaire) -> None:
        self.q = questionnaire
        self.out: list[Diagnostic] = []
        self.ids = tuple(questionnaire.by_id)
        self.condition_ids = tuple(c.id for c in questionnaire.outcomes.conditions)
        self.reference_ids = tuple(r.id for r in questionnaire.references)

    def place(self, at: Place | None) -> Place:
        return at if at is not None else Place(self.q.source)

    def add(
        self, detail: Detail, at: Place | None, /, *, question: str | None = None, **fields: object
    ) -> None:
        self.out.append(diagnostic(detail, self.place(at), question=question, allowed=(), **fields))

    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.out)

    def run(self, search: bool) -> list[Diagnostic]:
        if not self.q.questions:
            self.add(Code.NO_QUESTIONS, None)
            return self.out
        self.targets()
        self.conditions()
        self.outcomes()
        graph = static_graph(self.q)
        acyclic = self.cycles(graph)
        self.reachability(graph)
        self.required(graph)
        if acyclic and not self.has_errors():
            # Errors, so run whether or not the warnings' search is asked for.
            self.placeholders_on_path(graph)
        if search and acyclic and not self.has_errors():
            self.feasibility(graph)
        return self.out

    # -- targets -------------------------------------------------------------------------------

    def target(self, target: str | None, where: str, at: Place | None) -> None:
        if target is None or target == END or target in self.q.by_id:
            return
        self.add(
            Code.UNKNOWN_NEXT,
            at,
            where=where,
            target=target,
            hint=did_you_mean(target, (*self.ids, END)),
        )

    def targets(self) -> None:
        self.target(self.q.start, "start", self.q.start_at)
        next_at = self.q.next_at
        for question in self.q.questions:
            if kind(question.type).option_routes:
                for option in question.options:
                    where = f"option '{option.value}' of '{question.id}'"
                    at = next_at.get((question.id, f"option {option.value}"))
                    self.target(option.next, where, at or option.at or question.at)
            for i, route in enumerate(question.routes, 1):
                at = next_at.get((question.id, f"route {i}"))
                self.target(route.next, f"route {i} of '{question.id}'", at or route.at)
            at = next_at.get((question.id, "next"))
            self.target(question.next, f"next of '{question.id}'", at or question.at)
        places = self.q.required_at
        for i, qid in enumerate(self.q.required):
            if qid not in self.q.by_id:
                at = places[i] if i < len(places) else None
                self.add(Code.UNKNOWN_REQUIRED, at, target=qid, hint=did_you_mean(qid, self.ids))

    # -- conditions ----------------------------------------------------------------------------

    def all_conditions(self) -> Iterator[tuple[Condition, str, Place | None]]:
        """Every condition with where it is read (``route``, ``studies`` for the rules that
        may read the advised studies, or what it is), and the place of its rule.

        A named rule's own condition comes once, with the named rules; where it is read, only
        what its place forbids is checked (``leading`` in a route, ``advised`` too early).
        """
        for named in self.q.rules:
            yield named.item, "named", named.at
        for question in self.q.questions:
            for route in question.routes:
                yield route.when, "route", route.at
        yield from self._outcome_conditions()

    def _outcome_conditions(self) -> Iterator[tuple[Condition, str, Place | None]]:
        """The conditions of the outcomes, as :meth:`all_conditions` gives them."""
        outcomes = self.q.outcomes
        for definition in outcomes.conditions:
            for rule in definition.triage:
                if rule.when is not None:
                    yield rule.when, "studies", rule.at
        for rule in outcomes.triage:
            if rule.when is not None:
                yield rule.when, "studies", rule.at
        for exclusion in outcomes.scope.exclusions:
            yield exclusion.when, "a scope exclusion", exclusion.at
        for score in outcomes.scores:
            yield score.when, "a score rule", score.at
        for flag in outcomes.red_flags:
            yield flag.when, "a red flag", flag.at
        for imaging in outcomes.imaging:
            yield imaging.when, "an imaging rule", imaging.at
        for note in outcomes.notes:
            if note.when is not None:
                yield note.when, "studies", note.at
        for item in outcomes.safety_net:
            if item.when is not None:
                yield item.when, "studies", item.at

    def conditions(self) -> None:
        for condition, where, rule_at in self.all_conditions():
            for part, inside in _parts(condition):
                # Read through a named rule, its own parts are checked where it is written;
                # here only what this place forbids, at the place that names it.
                at = (inside.at or part.at or rule_at) if inside else (part.at or rule_at)
                self.on_part(part, inside is not None, where, at)

    def on_part(self, part: Condition, named: bool, where: str, at: Place | None) -> None:
        """Check one part of a condition that stands in ``where`` (read through a rule name)."""
        match part:
            case m.Equals() | m.OneOf() | m.Contains() | m.Compare() | m.Answered():
                if not named:
                    self.on_question(part, at)
            case m.Leading():
                if not named:
                    self.leading(part, where == "route", at)
                elif where == "route":
                    self.add(Code.LEADING_IN_ROUTE, at)
            case m.Advised():
                if where not in ("studies", "named"):
                    what = "a route" if where == "route" else where
                    self.add(Code.ADVISED_TOO_EARLY, at, what=what)
            case m.All() | m.AnyOf() | m.AtLeast() | m.Not() | m.Named():
                pass  # a group: _parts gives each of its parts
            case _:
                assert_never(part)

    def leading(self, part: m.Leading, in_route: bool, at: Place | None) -> None:
        if in_route:
            self.add(Code.LEADING_IN_ROUTE, at)
        elif part.condition not in self.condition_ids:
            self.unknown_condition(part.condition, at)

    def unknown_condition(self, target: str, at: Place | None) -> None:
        self.out.append(
            diagnostic(
                Code.UNKNOWN_CONDITION,
                self.place(at),
                allowed=self.condition_ids,
                target=target,
                hint=did_you_mean(target, self.condition_ids),
            )
        )

    def on_question(self, part: Atom | m.Answered, at: Place | None) -> None:
        question = self.q.by_id.get(part.question)
        if question is None:
            self.add(
                Code.UNKNOWN_QUESTION_REF,
                at,
                target=part.question,
                hint=did_you_mean(part.question, self.ids),
            )
            return
        qtype = question.type
        takes = kind(qtype)
        match part:
            case m.Answered():
                pass  # any question may be asked or not
            case m.Compare():
                if takes.options:
                    self.add(Code.NUMERIC_ON_NON_INTEGER, at, question=question.id, type=qtype)
                else:
                    self.in_range(question, part.value, at)
            case m.Contains():
                if not takes.many:
                    self.add(Code.CONTAINS_ON_NON_MULTI, at, question=question.id, type=qtype)
                else:
                    self.are_options(question, part.values, at)
            case m.Equals() | m.OneOf():
                self.on_values(question, part, at)
            case _:
                assert_never(part)

    def on_values(self, question: Question, part: m.Equals | m.OneOf, at: Place | None) -> None:
        """An ``equals`` or ``one_of``: the values must be the question's options, or in range."""
        takes = kind(question.type)
        if takes.many:
            form = "equals" if isinstance(part, m.Equals) else "one_of"
            self.add(Code.EQUALS_ON_MULTI, at, form=form, question=question.id)
            return
        values = (part.value,) if isinstance(part, m.Equals) else part.values
        if not takes.options:
            for value in values:
                if isinstance(value, int):
                    self.in_range(question, value, at)
                elif _is_whole_number(value):
                    # '"4"' is text: the quotes, not the number, are the problem.
                    self.add(Code.QUOTED_NUMBER, at, question=question.id, value=value)
                else:
                    self.not_option(question, value, at)
            return
        self.are_options(question, values, at)

    def are_options(
        self, question: Question, values: Sequence[str | int], at: Place | None
    ) -> None:
        for value in values:
            if not isinstance(value, str) or question.option(value) is None:
                self.not_option(question, value, at)

    def not_option(self, question: Question, value: str | int, at: Place | None) -> None:
        self.out.append(
            diagnostic(
                Code.VALUE_NOT_OPTION,
                self.place(at),
                question=question.id,
                allowed=question.allowed(),
                value=value,
                hint=did_you_mean(str(value), question.values),
            )
        )

    def in_range(self, question: Question, value: int, at: Place | None) -> None:
        low, high = question.minimum, question.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            self.out.append(
                diagnostic(
                    Code.OUT_OF_RANGE_IN_CONDITION,
                    self.place(at),
                    question=question.id,
                    value=value,
                    low=low,
                    high=high,
                )
            )

    # -- outcomes ------------------------------------------------------------------------------

    def outcomes(self) -> None:
        outcomes = self.q.outcomes
        for score in outcomes.scores:
            if score.condition not in self.condition_ids:
                self.unknown_condition(score.condition, score.at)
        for definition in outcomes.conditions:
            self.triage_order(definition.id, definition.triage, definition.at)
        shown = list(self.shown_texts())
        sourced = [(source, at) for _, _, at, source in shown if source is not None]
        texts = [(text, at) for text, _, at, _ in shown if "{" in text]
        for definition in outcomes.conditions:
            for number, rule in enumerate(definition.triage, start=1):
                what = f"triage rule {number} of '{definition.id}'"
                self.timeframe(what, rule.timeframe, rule.level, rule.at)
        for number, rule in enumerate(outcomes.triage, start=1):
            self.timeframe(f"outcome triage rule {number}", rule.timeframe, rule.level, rule.at)
        for flag in outcomes.red_flags:
            self.timeframe(f"red flag '{flag.id}'", flag.timeframe, flag.level, flag.at)
        for number, imaging in enumerate(outcomes.imaging, start=1):
            if imaging.urgency is not None:
                what = f"imaging rule {number}"
                self.timeframe(what, imaging.timeframe, imaging.urgency, imaging.at)
        for source, at in sourced:
            if source and source not in self.reference_ids:
                self.add(
                    Code.UNKNOWN_REFERENCE,
                    at,
                    source=source,
                    hint=did_you_mean(source, self.reference_ids),
                )
        for text, at in texts:
            for name in placeholders(text or ""):
                if name not in self.q.by_id:
                    self.add(
                        Code.UNKNOWN_PLACEHOLDER, at, name=name, hint=did_you_mean(name, self.ids)
                    )

    def shown_texts(self) -> Iterator[tuple[str, Condition | None, Place | None, str | None]]:
        """Every text a result can show, with the condition under which it is shown (None:
        always), its place and its source."""
        outcomes = self.q.outcomes
        yield outcomes.no_imaging_reason, None, None, None
        for level in outcomes.levels.values():
            # A level's advice may say {timeframe}: the result's timeframe in words.
            yield level.advice.replace("{timeframe}", ""), None, None, None
        for rule in (*(r for d in outcomes.conditions for r in d.triage), *outcomes.triage):
            yield from _shown(rule.advice, rule.summary, rule.when, rule.at, rule.source)
        scope = outcomes.scope
        yield scope.reason, None, None, scope.source
        for exclusion in scope.exclusions:
            yield exclusion.reason, exclusion.when, exclusion.at, exclusion.source
        for score in outcomes.scores:
            yield from _shown(score.reason, score.summary, score.when, score.at, score.source)
        for flag in outcomes.red_flags:
            yield from _shown(flag.advice, flag.summary, flag.when, flag.at, flag.source)
        for imaging in outcomes.imaging:
            yield from _shown(
                imaging.reason, imaging.summary, imaging.when, imaging.at, imaging.source
            )
        for note in outcomes.notes:
            yield note.text, note.when, note.at, note.source
        for item in outcomes.safety_net:
            yield from _shown(item.text, item.summary, item.when, item.at, item.source)

    def placeholders_on_path(self, graph: Graph) -> None:
        """Refuse a placeholder that can be shown with its question off the path (``E133``).

        A placeholder is safe when its question is on every path, or when the text's condition
        cannot hold without an answer to it (it reads the question in every way it can hold);
        otherwise the search looks for a path where the condition holds and the question was
        not asked. A fallback (``{question|words}``) is always safe.
        """
        search: _Search | None = None
        start = self.q.start
        on_every_path: dict[str, bool] = {}
        for text, when, at, _ in self.shown_texts():
            for name, fallback in placeholder_parts(text):
                if fallback is not None or name not in self.q.by_id:
                    continue
                if name not in on_every_path:
                    on_every_path[name] = name == start or (
                        start in graph and _path_avoiding(graph, start, name) is None
                    )
                if on_every_path[name] or (when is not None and _requires(when, name)):
                    continue
                search = search or _Search(self.q, graph)
                asked = m.Answered(name)
                condition: Condition = m.Not(asked) if when is None else m.All((when, m.Not(asked)))
                found = search.satisfiable(condition)
                if found is False:
                    continue
                path = " -> ".join(search.witness) if found else "(not proven either way)"
                self.add(Code.PLACEHOLDER_OFF_PATH, at, name=name, path=path)

    def timeframe(self, what: str, timeframe: str | None, level: str, at: Place | None) -> None:
        """A declared timeframe lies within its level: no 'routine' on an urgent flag."""
        allowed = LEVEL_TIMEFRAMES[level]
        if timeframe is not None and timeframe not in allowed:
            self.add(
                Code.TIMEFRAME_OUTSIDE_LEVEL,
                at,
                what=what,
                timeframe=timeframe,
                level=level,
                choices=", ".join(allowed),
            )

    def triage_order(self, cid: str, rules: Sequence[TriageRule], at: Place | None) -> None:
        whens = [rule.when for rule in rules]
        if None not in whens:
            self.add(Code.LEVEL_WITHOUT_DEFAULT, at, condition=cid)
            return
        default = whens.index(None)
        for j in range(default + 1, len(rules)):
            self.add(
                Code.UNREACHABLE_OUTCOME,
                rules[j].at or at,
                what=f"triage rule {j + 1} of '{cid}' (it follows the rule without 'when')",
            )

    # -- paths ---------------------------------------------------------------------------------

    def cycles(self, graph: Graph) -> bool:
        """Report each cycle, and loops with no way out; whether the graph is acyclic."""
        components = _strongly_connected(graph)
        cyclic = [c for c in components if len(c) > 1 or c[0] in graph.get(c[0], ())]
        if not cyclic:
            return True
        can_end = _can_end(graph)
        order = {qid: i for i, qid in enumerate(self.q.by_id)}
        for component in cyclic:
            members = set(component)
            first = min(component, key=order.__getitem__)
            loop = _cycle_through(graph, first, members)
            at = self.q.by_id[first].at
            self.add(Code.CYCLE, at, cycle=" -> ".join(loop))
            if not members & can_end:
                self.add(Code.NEVER_ENDS, at, question=first)
        return False

    def reachability(self, graph: Graph) -> None:
        start = self.q.start
        if start not in graph:
            return
        seen = {start}
        queue = deque([start])
        while queue:
            for target in graph[queue.popleft()]:
                if target in graph and target not in seen:
                    seen.add(target)
                    queue.append(target)
        for question in self.q.questions:
            if question.id not in seen:
                self.add(Code.UNREACHABLE_QUESTION, question.at, question=question.id)

    def required(self, graph: Graph) -> None:
        start = self.q.start
        places = self.q.required_at
        for i, qid in enumerate(self.q.required):
            if qid not in graph or start not in graph or qid == start:
                continue
            path = _path_avoiding(graph, start, qid)
            if path is not None:
                at = places[i] if i < len(places) else self.q.by_id[qid].at
                self.add(Code.REQUIRED_SKIPPED, at, question=qid, path=" -> ".join(path))

    # -- rules no path can satisfy -------------------------------------------------------------

    def feasibility(self, graph: Graph) -> None:
        search = _Search(self.q, graph)
        outcomes = self.q.outcomes
        rules: list[tuple[str, Condition | None, Place | None]] = []
        for definition in outcomes.conditions:
            for j, rule in enumerate(definition.triage):
                rules.append((f"triage rule {j + 1} of '{definition.id}'", rule.when, rule.at))
        for i, rule in enumerate(outcomes.triage):
            rules.append((f"outcome triage rule {i + 1}", rule.when, rule.at))
        for i, exclusion in enumerate(outcomes.scope.exclusions):
            rules.append((f"scope exclusion {i + 1}", exclusion.when, exclusion.at))
        for i, score in enumerate(outcomes.scores):
            rules.append((f"score rule {i + 1} ('{score.reason}')", score.when, score.at))
        for flag in outcomes.red_flags:
            rules.append((f"red flag '{flag.id}'", flag.when, flag.at))
        for i, imaging in enumerate(outcomes.imaging):
            what = f"imaging rule {i + 1} ({imaging.modality or 'none'})"
            rules.append((what, imaging.when, imaging.at))
        for i, note in enumerate(outcomes.notes):
            rules.append((f"note {i + 1}", note.when, note.at))
        for i, item in enumerate(outcomes.safety_net):
            rules.append((f"safety net {i + 1}", item.when, item.at))
        for what, when, at in rules:
            if when is not None and search.satisfiable(when) is False:
                self.add(Code.UNREACHABLE_OUTCOME, at, what=what)


# ---------------------------------------------------------------------------------------------
# Graph helpers (targets outside the graph are left out: they are reported on their own)


def _strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            advanced = False
            for target in targets:
                if target not in graph:
                    continue
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph[target])))
                    advanced = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(component)
    return out


def _cycle_through(graph: Graph, first: str, members: set[str]) -> list[str]:
    """The shortest cycle from ``first`` back to itself inside a component."""
    parents: dict[str, str] = {}
    queue = deque([first])
    while queue:
        node = queue.popleft()
        for target in graph[node]:
            if target == first:
                chain = [node]
                while chain[-1] != first:
                    chain.append(parents[chain[-1]])
                return [*reversed(chain), first]
            if target in members and target not in parents:
                parents[target] = node
                queue.append(target)
    return [first, first]  # pragma: no cover - a component always has its cycle


def _can_end(graph: Graph) -> set[str]:
    """The questions from which some path reaches the end (an unknown target counts as one)."""
    back: dict[str, list[str]] = {}
    queue: deque[str] = deque()
    for node, targets in graph.items():
        for target in targets:
            back.setdefault(target, []).append(node)
            if target not in graph:
                queue.append(node)
    seen = set(queue)
    while queue:
        for source in back.get(queue.popleft(), ()):
            if source not in seen:
                seen.add(source)
                queue.append(source)
    return seen


def _path_avoiding(graph: Graph, start: str, avoid: str) -> list[str] | None:
    """The shortest path from ``start`` to the end that never passes ``avoid``, if any."""
    parents: dict[str, str] = {start: ""}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target in graph[node]:
            if target == END:
                path = [END, node]
                while parents[path[-1]]:
                    path.append(parents[path[-1]])
                return path[::-1]
            if target in graph and target != avoid and target not in parents:
                parents[target] = node
                queue.append(target)
    return None


def _descendants(graph: Graph, bit: dict[str, int]) -> dict[str, int]:
    """For each question, a bit mask of itself and every question after it (acyclic graph)."""
    masks: dict[str, int] = {}

    def visit(root: str) -> None:
        # Iterative post-order: a question's mask needs its targets' masks first.
        work: list[tuple[str, bool]] = [(root, False)]
        while work:
            node, ready = work.pop()
            if node in masks:
                continue
            targets = [t for t in graph[node] if t in graph]
            if ready:
                mask = bit[node]
                for t in targets:
                    mask |= masks[t]
                masks[node] = mask
                continue
            work.append((node, True))
            work.extend((t, False) for t in targets if t not in masks)

    for node in graph:
        visit(node)
    return masks


class _Search:
    """Whether a rule's condition can hold on some path (see the module docstring)."""

    def __init__(self, questionnaire: Questionnaire, graph: Graph) -> None:
        self.q = questionnaire
        # The search alone reads paths.py: a check without it (every run) does not import it.
        from hamstring_cli.paths import atoms_by_question, route_conditions

        self.route_atoms = atoms_by_question(route_conditions(questionnaire))
        self.base = {
            question.id: self.candidates(question, ()) for question in questionnaire.questions
        }
        bit = {qid: 1 << i for i, qid in enumerate(graph)}
        self.bit = bit
        self.later = _descendants(graph, bit)
        #: The questions of the last path found to satisfy a condition, in the order asked.
        self.witness: tuple[str, ...] = ()

    def candidates(self, question: Question, extra: Sequence[Atom]) -> tuple[Answer, ...]:
        atoms = [*self.route_atoms.get(question.id, ()), *extra]
        from hamstring_cli.paths import question_candidates

        return question_candidates(question, atoms, merge=True, uncertain=False, multi="subsets")

    def may_come(self, mask: int) -> Callable[[str], bool]:
        """Whether a question is still ahead, given the mask of what can come next."""
        bit = self.bit
        return lambda qid: bool(mask & bit[qid])

    def satisfiable(self, condition: Condition) -> bool | None:
        """True when some path satisfies it, False when none can, None when it cannot tell."""
        from hamstring_cli.paths import atoms_by_question

        own = atoms_by_question([condition])
        reads = questions_in(condition)
        if not reads:
            return None
        tried = dict(self.base)
        for qid, atoms in own.items():
            tried[qid] = self.candidates(self.q.by_id[qid], atoms)
        by_id = self.q.by_id
        first = by_id[self.q.start]
        answers: dict[str, Answer] = {}
        stack: list[tuple[Question, Iterator[Answer]]] = [(first, iter(tried[first.id]))]
        done = object()
        steps = 0
        while stack:
            question, options = stack[-1]
            answer = next(options, done)
            if answer is done:
                stack.pop()
                answers.pop(question.id, None)
                continue
            steps += 1
            if steps > SEARCH_BUDGET:
                return None
            answers[question.id] = answer  # type: ignore[assignment]
            target = self.q.next_after(question, answers)
            if target == END or question.id in reads:
                mask = 0 if target == END else self.later[target]
                verdict = _holds3(condition, answers, self.may_come(mask))
                if verdict is not False and (verdict is True or target == END):
                    self.witness = tuple(answers)
                    return True
                if verdict is False or target == END:
                    continue
            stack.append((by_id[target], iter(tried[target])))
        return False


#: Kleene three-valued ``holds`` (model's): None when questions still to come could decide it.
_holds3 = holds_so_far


def _parts(condition: Condition) -> list[tuple[Condition, m.Named | None]]:
    """The condition and every condition in it, depth first, each with the outermost named rule
    it is read through (None when written in place)."""
    out: list[tuple[Condition, m.Named | None]] = []
    stack: list[tuple[Condition, m.Named | None]] = [(condition, None)]
    while stack:
        part, inside = stack.pop()
        out.append((part, inside))
        through = (inside or part) if isinstance(part, m.Named) else inside
        stack.extend((item, through) for item in reversed(children(part)))
    return out


def _requires(condition: Condition, question: str) -> bool:
    """Whether ``condition`` can hold only when ``question`` was answered (read from its shape).

    A condition on a question that was not answered is false, so a condition that reads the
    question (positively) in every way it can hold needs its answer.
    """
    match condition:
        case m.Equals() | m.OneOf() | m.Contains() | m.Compare() | m.Answered():
            return condition.question == question
        case m.Named():
            return _requires(condition.item, question)
        case m.All():
            return any(_requires(item, question) for item in condition.items)
        case m.AnyOf():
            return all(_requires(item, question) for item in condition.items)
        case m.AtLeast():
            free = sum(not _requires(item, question) for item in condition.items)
            return free < condition.needed
        case m.Not():
            # Only a double negation reads the question positively.
            inner = condition.item
            return isinstance(inner, m.Not) and _requires(inner.item, question)
        case m.Leading() | m.Advised():
            return False
        case _:
            assert_never(condition)


def _is_whole_number(value: str | int) -> bool:
    text = str(value).strip()
    return text.lstrip("+-").isdigit()


def _shown(
    text: str, summary: str | None, when: Condition | None, at: Place | None, source: str | None
) -> Iterator[tuple[str, Condition | None, Place | None, str | None]]:
    """A text a result can show, and its short form when it has one, under one condition."""
    yield text, when, at, source
    if summary is not None:
        yield summary, when, at, source
