"""A questionnaire's rules made ready to evaluate, once a questionnaire.

Standard library only. :func:`compiled` turns each condition of a questionnaire's
outcome rules into a plain function over the answers, the leading condition and the advised
studies, once (the score rules' when compiled, the others when first evaluated; closures over
the condition's values: nothing in a questionnaire is ever run as code),
and indexes the score rules by the questions they read, so that scoring asks no lookup table
a rule at a time and the confidence what-ifs re-read only the rules a changed answer touches.

The result is the same as the interpretive walk of :func:`hamstring_cli.model.holds`, condition
for condition: ``tests/test_compiled.py`` compares whole results on random answer sets.
"""

from collections.abc import Callable, Mapping

from hamstring_cli import model as m
from hamstring_cli.errors import assert_never
from hamstring_cli.model import (
    END,
    Answer,
    Answers,
    Condition,
    Predicate,
    Question,
    Questionnaire,
    ScoreRule,
    Studies,
    questions_in,
    study_key,
)

__all__ = ["Compiled", "SoFar", "compile_condition", "compile_so_far", "compiled", "ready"]

_MISSING = object()
_NO_STUDIES: Studies = frozenset()


#: A test of one answer (the answer, or ``_MISSING`` when the question was not answered).
_Test = Callable[[object], bool]


def _answer_test(condition: Condition) -> tuple[str, _Test] | None:
    """The question a one-question condition reads and its test of the answer (else None)."""
    if isinstance(condition, m.Equals):
        value = condition.value
        return condition.question, lambda given: given == value
    if isinstance(condition, m.OneOf):
        return condition.question, condition.values.__contains__
    if isinstance(condition, m.Contains):
        wanted = frozenset(condition.values)

        def contains(given: object) -> bool:
            return isinstance(given, tuple) and not wanted.isdisjoint(given)

        return condition.question, contains
    if isinstance(condition, m.Compare):
        return condition.question, _compare(condition.op, condition.value)
    if isinstance(condition, m.Answered):
        return condition.question, lambda given: given is not _MISSING
    return None


def _compare(op: str, bound: int) -> _Test:
    """A numeric comparison: only a whole number holds (a text or a missing answer never)."""
    if op == "lt":
        return lambda given: isinstance(given, int) and given < bound
    if op == "lte":
        return lambda given: isinstance(given, int) and given <= bound
    if op == "gt":
        return lambda given: isinstance(given, int) and given > bound
    return lambda given: isinstance(given, int) and given >= bound


def compile_condition(condition: Condition) -> Predicate:
    """A condition as a plain function ``predicate(answers, leading, studies)``.

    A condition on one question becomes a test of that answer; ``all`` and ``any`` of such
    conditions become one loop over (question, test) pairs, with no call a condition.
    """
    # The commonest forms as one function each: one call an evaluation, not two.
    if isinstance(condition, m.Equals):
        question, value = condition.question, condition.value
        return lambda answers, _leading, _studies: answers.get(question, _MISSING) == value
    if isinstance(condition, m.OneOf):
        question, values = condition.question, condition.values
        return lambda answers, _leading, _studies: answers.get(question, _MISSING) in values
    single = _answer_test(condition)
    if single is not None:
        question, test = single

        def one(answers: Answers, _leading: str | None, _studies: Studies) -> bool:
            return test(answers.get(question, _MISSING))

        return one
    if isinstance(condition, (m.Equals, m.OneOf, m.Contains, m.Compare, m.Answered)):
        raise AssertionError("a one-question condition has its test")  # pragma: no cover
    if isinstance(condition, m.Leading):
        name = condition.condition
        return lambda _answers, leading, _studies: leading == name
    if isinstance(condition, m.Advised):
        key = study_key(condition.modality, condition.site)
        return lambda _answers, _leading, studies: key in studies
    if isinstance(condition, m.Named):
        return compile_condition(condition.item)
    if isinstance(condition, m.Not):
        inner = compile_condition(condition.item)
        return lambda answers, leading, studies: not inner(answers, leading, studies)
    if isinstance(condition, (m.All, m.AnyOf)):
        return _compile_group(condition)
    if isinstance(condition, m.AtLeast):
        parts = tuple(compile_condition(c) for c in condition.items)
        needed = condition.needed

        def at_least(answers: Answers, leading: str | None, studies: Studies) -> bool:
            return sum(p(answers, leading, studies) for p in parts) >= needed

        return at_least
    assert_never(condition)


def _compile_group(condition: m.All | m.AnyOf) -> Predicate:
    """``all`` or ``any``: the items that read one question in one loop of answer tests, first
    (the cheapest), then the others; a group of the same kind inside (or a named rule that is
    one) joins this one. The items are pure, so their order changes no result."""
    every = isinstance(condition, m.All)
    items = _members(condition.items, m.All if every else m.AnyOf)
    tested = [(item, _answer_test(item)) for item in items]
    simple = [(item, test) for item, test in tested if test is not None]
    parts = [compile_condition(item) for item, test in tested if test is None]
    if len(simple) == 1:
        parts.insert(0, compile_condition(simple[0][0]))
    elif simple:
        parts.insert(0, _table(tuple(test for _, test in simple), every))
    if len(parts) == 1:
        return parts[0]
    members = tuple(parts)
    if every:

        def every_one(answers: Answers, leading: str | None, studies: Studies) -> bool:
            # Loops, not all() over a generator: these run a hundred times an input.
            for p in members:  # noqa: SIM110
                if not p(answers, leading, studies):
                    return False
            return True

        return every_one

    def some(answers: Answers, leading: str | None, studies: Studies) -> bool:
        for p in members:  # noqa: SIM110
            if p(answers, leading, studies):
                return True
        return False

    return some


def _members(items: tuple[Condition, ...], kind: type[m.All] | type[m.AnyOf]) -> list[Condition]:
    """The items of a group, with those of each group of the same ``kind`` in it (named or not)
    in its place: ``all`` of ``all`` is one ``all``, ``any`` of ``any`` one ``any``."""
    out: list[Condition] = []
    stack = list(reversed(items))
    while stack:
        item = stack.pop()
        inner = item.item if isinstance(item, m.Named) else item
        if isinstance(inner, kind):
            stack.extend(reversed(inner.items))
        else:
            out.append(item)
    return out


def _table(pairs: tuple[tuple[str, _Test], ...], every: bool) -> Predicate:
    """``all`` (``every``) or ``any`` of answer tests, in one loop."""
    if every:

        def all_of(answers: Answers, _leading: str | None, _studies: Studies) -> bool:
            get = answers.get
            # Loops, not all() over a generator: these run a hundred times an input.
            for question, test in pairs:  # noqa: SIM110
                if not test(get(question, _MISSING)):
                    return False
            return True

        return all_of

    def any_of(answers: Answers, _leading: str | None, _studies: Studies) -> bool:
        get = answers.get
        for question, test in pairs:  # noqa: SIM110
            if test(get(question, _MISSING)):
                return True
        return False

    return any_of


#: A condition made ready to evaluate on the answers so far (Kleene three-valued, as
#: :func:`hamstring_cli.model.holds_so_far`): ``so_far(answers, may_come, leading)`` is True or
#: False when nothing still to come can change it, else None.
SoFar = Callable[[Answers, Callable[[str], bool], "str | None"], "bool | None"]


def compile_so_far(condition: Condition) -> SoFar:
    """A condition as a three-valued function of the answers so far.

    A question not answered yet is unknown while ``may_come`` says it can still be asked, and
    absent once it cannot; the leading condition is unknown until given; the advised studies
    are unknown until the answers are all in.
    """
    if isinstance(condition, (m.Equals, m.OneOf, m.Contains, m.Compare, m.Answered)):
        question, known = condition.question, compile_condition(condition)
        absent = known({}, None, _NO_STUDIES)

        def atom(
            answers: Answers, may_come: Callable[[str], bool], _leading: str | None
        ) -> bool | None:
            if question in answers:
                return known(answers, None, _NO_STUDIES)
            return None if may_come(question) else absent

        return atom
    if isinstance(condition, m.Leading):
        name = condition.condition
        return lambda _answers, _may_come, leading: None if leading is None else leading == name
    if isinstance(condition, m.Advised):
        return lambda _answers, _may_come, _leading: None
    if isinstance(condition, m.Named):
        return compile_so_far(condition.item)
    if isinstance(condition, m.Not):
        inner = compile_so_far(condition.item)

        def negated(
            answers: Answers, may_come: Callable[[str], bool], leading: str | None
        ) -> bool | None:
            found = inner(answers, may_come, leading)
            return None if found is None else not found

        return negated
    if isinstance(condition, (m.All, m.AnyOf, m.AtLeast)):
        return _so_far_group(condition)
    assert_never(condition)


def _so_far_group(condition: m.All | m.AnyOf | m.AtLeast) -> SoFar:
    """``all``, ``any`` and ``at least``, three-valued: a False (``all``) or a True (``any``)
    decides whatever the unknowns are."""
    parts = tuple(compile_so_far(c) for c in condition.items)
    # What decides at once: False for all, True for any; at least counts.
    decides = not isinstance(condition, m.All)
    needed = condition.needed if isinstance(condition, m.AtLeast) else 0
    if isinstance(condition, m.AtLeast):

        def at_least(
            answers: Answers, may_come: Callable[[str], bool], leading: str | None
        ) -> bool | None:
            results = [p(answers, may_come, leading) for p in parts]
            true, unknown = results.count(True), results.count(None)
            if true >= needed:
                return True
            return False if true + unknown < needed else None

        return at_least

    def group(
        answers: Answers, may_come: Callable[[str], bool], leading: str | None
    ) -> bool | None:
        unknown = False
        for p in parts:
            found = p(answers, may_come, leading)
            if found is decides:
                return decides
            if found is None:
                unknown = True
        return None if unknown else not decides

    return group


class Compiled:
    """One questionnaire's outcome rules as functions, and its score rules by question.

    ``scores`` are the questionnaire's score rules in file order, each with its predicate, and
    ``reads`` the questions each reads; :meth:`touching` gives the score rules that read a
    question (as indices into ``scores``).
    """

    __slots__ = (
        "_predicates",
        "_reachable",
        "_separating",
        "_so_far",
        "_touching",
        "_uncertain",
        "questionnaire",
        "reads",
        "scores",
    )

    def __init__(self, questionnaire: Questionnaire) -> None:
        from hamstring_cli.question_types import TYPES

        self.questionnaire = questionnaire
        out = questionnaire.outcomes
        # By the id of each condition evaluated, kept with it (so an id is never reused while
        # its entry stands). The score rules are made now: every result reads all of them; the
        # others when first asked, as a scripted run asks only some.
        self._predicates: dict[int, tuple[Condition, Predicate]] = {}
        self._so_far: dict[int, tuple[Condition, SoFar]] = {}
        self._reachable: dict[str, frozenset[str]] = {}
        self.scores: tuple[tuple[ScoreRule, Predicate], ...] = tuple(
            (rule, self._predicate(rule.when)) for rule in out.scores
        )
        #: The questions each score rule reads, in file order.
        self.reads: tuple[frozenset[str], ...] = tuple(
            frozenset(questions_in(rule.when)) for rule in out.scores
        )
        touching: dict[str, list[int]] = {}
        for index, read in enumerate(self.reads):
            for qid in sorted(read):
                touching.setdefault(qid, []).append(index)
        self._touching: Mapping[str, tuple[int, ...]] = {
            qid: tuple(indices) for qid, indices in touching.items()
        }
        self._separating: dict[tuple[str, ...], frozenset[str]] = {}
        self._uncertain: Mapping[str, Callable[[Answer], bool]] = {
            q.id: _uncertainty(TYPES[q.type].uncertain, q) for q in questionnaire.questions
        }

    def holds(
        self,
        condition: Condition,
        answers: Answers,
        leading: str | None = None,
        studies: Studies = _NO_STUDIES,
    ) -> bool:
        """As :func:`hamstring_cli.model.holds`, with the condition's function made once."""
        found = self._predicates.get(id(condition))
        if found is not None and found[0] is condition:
            return found[1](answers, leading, studies)
        return self._predicate(condition)(answers, leading, studies)

    def _predicate(self, condition: Condition) -> Predicate:
        found = self._predicates.get(id(condition))
        if found is None or found[0] is not condition:
            found = self._predicates[id(condition)] = (condition, compile_condition(condition))
        return found[1]

    def holds_so_far(
        self,
        condition: Condition,
        answers: Answers,
        may_come: Callable[[str], bool],
        leading: str | None = None,
    ) -> bool | None:
        """As :func:`hamstring_cli.model.holds_so_far`, with the condition's function made once."""
        found = self._so_far.get(id(condition))
        if found is None or found[0] is not condition:
            found = self._so_far[id(condition)] = (condition, compile_so_far(condition))
        return found[1](answers, may_come, leading)

    def reachable(self, start: str) -> frozenset[str]:
        """The questions a path at ``start`` may still ask: ``start`` and every question any
        route, option or fall-through leads to from it."""
        found = self._reachable.get(start)
        if found is None:
            q = self.questionnaire
            ahead: set[str] = set()
            stack = [start]
            while stack:
                qid = stack.pop()
                if qid == END or qid in ahead:
                    continue
                ahead.add(qid)
                stack.extend(q.successors(q.question(qid)))
            found = self._reachable[start] = frozenset(ahead)
        return found

    def held(self, answers: Answers) -> tuple[bool, ...]:
        """Whether each score rule holds for these answers, in file order."""
        return tuple([p(answers, None, _NO_STUDIES) for _rule, p in self.scores])

    def score_holds(self, index: int, answers: Answers) -> bool:
        """Whether the score rule at ``index`` holds for these answers."""
        return self.scores[index][1](answers, None, _NO_STUDIES)

    def touching(self, qid: str) -> tuple[int, ...]:
        """The score rules that read ``qid``, in file order."""
        return self._touching.get(qid, ())

    def separating(self, conditions: tuple[str, ...]) -> frozenset[str]:
        """The questions that the score rules of these conditions read."""
        found = self._separating.get(conditions)
        if found is None:
            found = frozenset(
                qid
                for qid, indices in self._touching.items()
                if any(self.scores[i][0].condition in conditions for i in indices)
            )
            self._separating[conditions] = found
        return found

    def uncertain(self, qid: str, answer: Answer) -> bool:
        """Whether this answer to ``qid`` is an unknown ('unsure', 'not done')."""
        return self._uncertain[qid](answer)


def _uncertainty(
    rule: Callable[[Question, Answer], bool], question: Question
) -> Callable[[Answer], bool]:
    return lambda answer: rule(question, answer)


#: Compiled questionnaires, by id (the questionnaire is kept with its entry, so an id is never
#: reused while the entry stands): a batch scores the same questionnaire for every input.
_COMPILED: dict[int, tuple[Questionnaire, Compiled]] = {}
_KEEP = 32


def ready(questionnaire: Questionnaire) -> Compiled | None:
    """The questionnaire's compiled rules if they have been made (else ``None``)."""
    entry = _COMPILED.get(id(questionnaire))
    return entry[1] if entry is not None and entry[0] is questionnaire else None


def compiled(questionnaire: Questionnaire) -> Compiled:
    """The questionnaire's rules compiled, made on first use and kept."""
    entry = _COMPILED.get(id(questionnaire))
    if entry is None or entry[0] is not questionnaire:
        if len(_COMPILED) >= _KEEP:
            _COMPILED.clear()
        entry = _COMPILED[id(questionnaire)] = (questionnaire, Compiled(questionnaire))
    return entry[1]
