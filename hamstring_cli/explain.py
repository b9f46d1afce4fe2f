"""Why a result came out as it did: each answer's contribution, and the single changes that flip it.

Standard library only, pure. :func:`explain` scores the answers on a path, splits every
condition's score into the contributions of the answers its rules read, and tries every
single-answer change on the path (re-walking the tree with :class:`~hamstring_cli.engine.Session`)
to list those that would change the leading condition, the triage level, the advised studies (one
X-ray series or two) or whether the questionnaire's rule applies.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import chain

from hamstring_cli.model import (
    END,
    Answer,
    Question,
    Questionnaire,
    fill,
    holds,
    questions_in,
)
from hamstring_cli.paths import (
    atoms_by_question,
    cut_points,
    outcome_conditions,
    route_conditions,
)
from hamstring_cli.question_types import answer_json, kind
from hamstring_cli.scoring import Finding, Result, score

__all__ = [
    "Change",
    "ConditionContributions",
    "Contribution",
    "alternatives",
    "contributions",
    "explain",
    "integer_alternatives",
    "study_names",
    "what_if",
]


@dataclass(frozen=True, slots=True)
class Contribution:
    """The score rules of one condition that held and read the same answers.

    ``questions`` are the answered questions the rules read, in the order asked; a rule that
    reads several questions is one contribution naming all of them. ``weight`` is the sum of
    the rules' weights.
    """

    questions: tuple[str, ...]
    weight: float
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class ConditionContributions:
    """One condition of the differential, its score and what made it up."""

    id: str
    label: str
    score: float
    contributions: tuple[Contribution, ...]


@dataclass(frozen=True, slots=True)
class Change:
    """A single answer changed on the path, and the leading condition, level, studies and scope
    it gives (``studies`` as :func:`study_names` names them)."""

    question: str
    before: Answer
    after: Answer
    leading: str
    level: str
    changes_leading: bool
    changes_level: bool
    studies: tuple[str, ...] = ()
    changes_imaging: bool = False
    applies: bool = True
    changes_scope: bool = False

    @property
    def changes(self) -> list[str]:
        """What the change changes, by name: leading, level, imaging, scope."""
        return [
            name
            for name, flag in (
                ("leading", self.changes_leading),
                ("level", self.changes_level),
                ("imaging", self.changes_imaging),
                ("scope", self.changes_scope),
            )
            if flag
        ]


def study_names(result: Result) -> tuple[str, ...]:
    """The advised studies in words, most urgent first: 'X-ray of the ankle', 'MRI'."""
    return tuple(
        f"{s.modality} of the {s.site}" if s.site else s.modality for s in result.imaging.studies
    )


@dataclass(frozen=True, slots=True)
class OpenChange:
    """A change that routes to a question not yet answered: more than one answer would change."""

    question: str
    before: Answer
    after: Answer
    asks: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """A result with its contributions and its what-if changes."""

    result: Result
    conditions: tuple[ConditionContributions, ...]
    what_if: tuple[Change, ...]
    needs_more_answers: tuple[OpenChange, ...]

    def to_dict(self) -> dict[str, object]:
        """The explanation as JSON-ready data: the contract result plus two keys."""
        out = self.result.to_dict()
        given = dict(self.result.answers)
        out["contributions"] = [
            {
                "id": c.id,
                "label": c.label,
                "score": c.score,
                "answers": [
                    {
                        "questions": list(part.questions),
                        "answers": {qid: answer_json(given[qid]) for qid in part.questions},
                        "weight": part.weight,
                        "findings": [
                            {"text": f.text, "weight": f.weight, "source": f.source}
                            for f in part.findings
                        ],
                    }
                    for part in c.contributions
                ],
            }
            for c in self.conditions
        ]
        out["what_if"] = [
            {
                "question": ch.question,
                "from": answer_json(ch.before),
                "to": answer_json(ch.after),
                "leading": ch.leading,
                "level": ch.level,
                "studies": list(ch.studies),
                "applies": ch.applies,
                "changes": ch.changes,
            }
            for ch in self.what_if
        ]
        out["needs_more_answers"] = [
            {
                "question": o.question,
                "from": answer_json(o.before),
                "to": answer_json(o.after),
                "asks": o.asks,
            }
            for o in self.needs_more_answers
        ]
        return out

    def to_text(self) -> str:
        """The explanation as plain text, in words: the outcome, contributions, what-ifs."""
        result = self.result
        q = result.questionnaire
        given = dict(result.answers)
        studies = "; ".join(study_names(result)) or "none now"

        def label(condition_id: str) -> str:
            found = q.outcomes.condition(condition_id)
            return found.label if found else condition_id

        def words(qid: str, answer: Answer) -> str:
            return q.question(qid).words(answer) if qid in q.by_id else str(answer)

        def prompt(qid: str) -> str:
            return " ".join(q.question(qid).prompt.split()) if qid in q.by_id else qid

        def level(name: str) -> str:
            found = q.outcomes.levels.get(name)
            return found.label if found else name

        lines = [
            f"Most likely: {label(result.leading)} (confidence {result.confidence}); "
            f"triage: {result.triage.label}; imaging: {studies}",
        ]
        if not result.scope.applies:
            lines.append(f"Outside the questionnaire's rule: {result.scope.reason}")
        lines += [
            "",
            "Contributions (the score rules that held, with the answers they read)",
        ]
        for condition in self.conditions:
            lines.append(f"  {condition.label}: {condition.score:g}")
            for part in condition.contributions:
                read = "; ".join(words(qid, given[qid]) for qid in part.questions) or "-"
                lines.append(f"    {part.weight:+g}  {read}")
                lines += [f"          {f.text} [{f.source}] {f.weight:+g}" for f in part.findings]
        lines += [
            "",
            "What if (one answer changed; the leading condition, the level, the imaging or the "
            "rule's scope changes)",
        ]
        if not self.what_if:
            lines.append("  no single answer on the path changes them")

        def change(qid: str, before: Answer, after: Answer) -> str:
            if isinstance(before, tuple) and isinstance(after, tuple):
                added = [v for v in after if v not in before]
                removed = [v for v in before if v not in after]
                verb, value = ("ticking", added[0]) if added else ("unticking", removed[0])
                return f"{prompt(qid)} {verb} '{words(qid, (value,))}'"
            return f"{prompt(qid)} {words(qid, before)} -> {words(qid, after)}"

        for ch in self.what_if:
            outcome = f"{label(ch.leading)}, {level(ch.level)}"
            if ch.changes_imaging:
                outcome += f"; imaging: {'; '.join(ch.studies) or 'none now'}"
            if ch.changes_scope:
                outcome += "; the rule applies" if ch.applies else "; outside the rule"
            lines.append(f"  {change(ch.question, ch.before, ch.after)}: {outcome}")
        if self.needs_more_answers:
            lines += ["", "Needs more answers (the change opens questions not answered)"]
            lines += [
                f"  {change(o.question, o.before, o.after)}: would ask '{prompt(o.asks)}'"
                for o in self.needs_more_answers
            ]
        return "\n".join(lines) + "\n"


def _value(answer: Answer) -> str:
    if isinstance(answer, tuple):
        return "[" + ", ".join(answer) + "]"
    return str(answer)


def explain(questionnaire: Questionnaire, answers: Mapping[str, Answer]) -> Explanation:
    """Explain the result of the answers on a path (``Session.path_answers``).

    Args:
        questionnaire: the questionnaire the answers belong to.
        answers: only the answers on the path taken, in the order asked.

    Returns:
        The result, each condition's contributions, and the single-answer changes that would
        change the leading condition or the triage level (each replays to what it claims).
    """
    result = score(questionnaire, answers)
    changes, open_changes = what_if(questionnaire, answers, result)
    return Explanation(result, contributions(questionnaire, answers, result), changes, open_changes)


def contributions(
    questionnaire: Questionnaire, answers: Mapping[str, Answer], result: Result | None = None
) -> tuple[ConditionContributions, ...]:
    """Each condition's score split by the answers its held rules read, in differential order."""
    result = result or score(questionnaire, answers)
    order = {qid: i for i, qid in enumerate(answers)}
    grouped: dict[str, dict[tuple[str, ...], list[Finding]]] = {
        c.id: {} for c in questionnaire.outcomes.conditions
    }
    for rule in questionnaire.outcomes.scores:
        if not holds(rule.when, answers):
            continue
        # Only answered questions are the answers' contribution; a rule that holds because a
        # question was not asked (``not`` of an examination finding) names the answers it has.
        read = tuple(
            sorted((q for q in questions_in(rule.when) if q in order), key=order.__getitem__)
        )
        finding = Finding(fill(rule.reason, questionnaire, answers), rule.weight, rule.source)
        grouped[rule.condition].setdefault(read, []).append(finding)
    return tuple(
        ConditionContributions(
            ranked.id,
            ranked.label,
            ranked.score,
            tuple(
                Contribution(qids, round(sum(f.weight for f in found), 2), tuple(found))
                for qids, found in sorted(
                    grouped[ranked.id].items(),
                    key=lambda item: [order[q] for q in item[0]] or [len(order)],
                )
            ),
        )
        for ranked in result.differential
    )


class _Changed(Mapping[str, Answer]):
    """The answers of a path with one answer changed, as a view on the path's answers.

    Holds the path's answers before position ``cut``, the changed answer and any walked after
    it (``extra``), and, once the walk rejoins the path for good, the path's answers from
    position ``tail`` on. Reading one answer costs the same however long the path: no copy.
    """

    __slots__ = ("base", "cut", "extra", "index", "tail")

    def __init__(
        self,
        base: Mapping[str, Answer],
        index: Mapping[str, int],
        cut: int,
        extra: dict[str, Answer],
    ) -> None:
        self.base = base
        self.index = index
        self.cut = cut
        self.extra = extra
        self.tail: int | None = None

    def _held(self, key: object) -> bool:
        if key in self.extra:
            return True
        at = self.index.get(key)  # type: ignore[call-overload]
        return at is not None and (at < self.cut or (self.tail is not None and at >= self.tail))

    def __contains__(self, key: object) -> bool:
        return self._held(key)

    def __getitem__(self, key: str) -> Answer:
        if key in self.extra:
            return self.extra[key]
        if self._held(key):
            return self.base[key]
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:  # in the order asked (not on the hot path)
        for qid in self.index:
            if self._held(qid):
                yield qid
        yield from (qid for qid in self.extra if qid not in self.index)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _Path:
    """What a path's answers tell the what-if walks: where each answer stands, which later
    routes read it, and which answers the outcome rules read."""

    def __init__(self, questionnaire: Questionnaire, answers: Mapping[str, Answer]) -> None:
        q = questionnaire
        self.ids = list(answers)
        self.index = {qid: n for n, qid in enumerate(self.ids)}
        # The last position on the path whose routes read each question.
        self.last_reader: dict[str, int] = {}
        for n, qid in enumerate(self.ids):
            for route in q.question(qid).routes:
                for read in questions_in(route.when):
                    self.last_reader[read] = n
        # Prefix sums of "the outcome rules read this answer", and the largest position of a
        # reader among positions p..: answered for any stretch of the path in constant time.
        reads = set()
        for condition in outcome_conditions(q):
            reads.update(questions_in(condition))
        self.reads = frozenset(reads)
        self.read_before = [0]
        for qid in self.ids:
            self.read_before.append(self.read_before[-1] + (qid in reads))
        self.readers = _RangeMax([self.last_reader.get(qid, -1) for qid in self.ids])

    def outcome_reads(self, start: int, stop: int) -> bool:
        """Whether an outcome rule reads an answer at positions ``start`` to ``stop - 1``."""
        return self.read_before[max(stop, start)] > self.read_before[start]


class _RangeMax:
    """The largest value over any stretch of a list, in constant time (a sparse table)."""

    def __init__(self, values: list[int]) -> None:
        self.table = [values]
        width = 1
        while 2 * width <= len(values):
            below = self.table[-1]
            self.table.append(
                [max(below[i], below[i + width]) for i in range(len(values) - 2 * width + 1)]
            )
            width *= 2

    def __call__(self, start: int, stop: int) -> int:
        """The largest of ``values[start:stop]`` (-1 when the stretch is empty)."""
        if stop <= start:
            return -1
        level = (stop - start).bit_length() - 1
        row = self.table[level]
        return max(row[start], row[stop - (1 << level)])


def what_if(
    questionnaire: Questionnaire, answers: Mapping[str, Answer], result: Result | None = None
) -> tuple[tuple[Change, ...], tuple[OpenChange, ...]]:
    """Every single-answer change on the path that changes the leading condition, the level,
    the advised studies or the scope.

    Each answer on the path is replaced, one at a time, by each alternative (every other option;
    each single option toggled for a ``multi``; for an ``integer``, the nearest value in each
    range the questionnaire's conditions tell apart). The tree is walked again with the changed
    answer: a change that routes to an unanswered question is returned apart, as needing more
    answers; a complete path is scored and kept when its leading condition, level, studies
    (modality and site: one X-ray series or two) or scope differs.

    Near-linear in the length of the path: the walk after a change starts at the changed
    answer, and stops as soon as it is back on the path where no later route reads what the
    change altered (the rest of the path is then the same); a changed path is scored only
    when the outcome rules read something that changed, and then by the rules alone
    (:func:`~hamstring_cli.scoring.score`), on a view of the answers, never a copy.

    Returns:
        The changes that alter the outcome, and the changes that need more answers.
    """
    q = questionnaire
    base = result or score(q, answers)
    base_level = base.triage.level
    path = _Path(q, answers)
    cuts = _cuts_by_question(q)
    base_studies = study_names(base)
    base_applies = base.scope.applies
    changes: list[Change] = []
    open_changes: list[OpenChange] = []
    for i, (qid, before) in enumerate(answers.items()):
        question = q.question(qid)
        for after in alternatives(q, question, before, cuts=cuts):
            changed = _Changed(answers, path.index, i, {qid: after})
            walked = _walk_after(q, path, changed, i, qid)
            if isinstance(walked, str):
                open_changes.append(OpenChange(qid, before, after, walked))
                continue
            # Did the outcome rules read anything that changed: this answer, an answer the
            # new walk skipped, or one after the point where it ended?
            touched = qid in path.reads or any(path.outcome_reads(a, b) for a, b in walked)
            if not touched:
                continue
            new = score(q, changed)
            studies = study_names(new)
            change = Change(
                qid,
                before,
                after,
                new.leading,
                new.triage.level,
                changes_leading=new.leading != base.leading,
                changes_level=new.triage.level != base_level,
                studies=studies,
                changes_imaging=studies != base_studies,
                applies=new.scope.applies,
                changes_scope=new.scope.applies != base_applies,
            )
            if change.changes:
                changes.append(change)
    return tuple(changes), tuple(open_changes)


def _walk_after(
    q: Questionnaire, path: _Path, changed: _Changed, i: int, qid: str
) -> str | list[tuple[int, int]]:
    """Walk on from the changed answer at position ``i`` as the engine would.

    Returns the first question the walk reaches that the path did not answer, or else the
    stretches of the path (positions, end excluded) that the changed walk leaves out; the view
    ``changed`` then holds the changed path's answers.
    """
    left_out: list[tuple[int, int]] = []
    reader = path.last_reader.get(qid, -1)  # the last route that reads what changed
    last = i
    current = q.next_after(q.question(qid), changed)
    seen = {qid}
    while True:
        if current == END:
            left_out.append((last + 1, len(path.ids)))
            return left_out
        at = path.index.get(current)
        if at is None or at <= last or current in seen:
            # Off the path (unanswered), or a route back (the checker refuses those).
            return current
        if at > last + 1:
            left_out.append((last + 1, at))
            reader = max(reader, path.readers(last + 1, at))
        if reader < at:
            # From here on the walk reads what the path read: it is the path's.
            changed.tail = at
            return left_out
        seen.add(current)
        changed.extra[current] = changed.base[current]
        last = at
        current = q.next_after(q.question(current), changed)


def alternatives(
    questionnaire: Questionnaire,
    question: Question,
    current: Answer,
    *,
    cuts: Mapping[str, set[int]] | None = None,
) -> list[Answer]:
    """The answers to try in place of ``current``, in a stable order (``cuts``: the values at
    which conditions part each integer question, :func:`_cuts_by_question`, if known)."""
    takes = kind(question.type)
    if takes.options and not takes.many:
        return [v for v in question.values if v != current]
    if takes.many:
        chosen = set(current) if isinstance(current, tuple) else set()
        return [
            tuple(v for v in question.values if (v in chosen) != (v == t)) for t in question.values
        ]
    if not isinstance(current, int):
        return []
    return list(integer_alternatives(questionnaire, question, current, cuts=cuts))


def integer_alternatives(
    questionnaire: Questionnaire,
    question: Question,
    current: int,
    *,
    cuts: Mapping[str, set[int]] | None = None,
) -> list[int]:
    """For an integer answer, the value nearest ``current`` in each range the conditions part.

    The questionnaire's conditions on the question cut its range into intervals within which
    every condition reads the same; one value per other interval is enough, and the nearest one
    reads best ("if the patient were 17 instead of 34").
    """
    low = question.minimum if question.minimum is not None else min(current, 0)
    high = question.maximum if question.maximum is not None else current
    starts = {low}
    if cuts is None:
        cuts = _cuts_by_question(questionnaire)
    for cut in cuts.get(question.id, set()):
        if low < cut <= high:
            starts.add(cut)
    bounds = sorted(starts)
    out: list[int] = []
    for i, start in enumerate(bounds):
        end = bounds[i + 1] - 1 if i + 1 < len(bounds) else high
        if start <= current <= end:
            continue
        out.append(end if end < current else start)
    return out


def _cuts_by_question(questionnaire: Questionnaire) -> dict[str, set[int]]:
    """For each question, the values at which some condition on it starts to read differently
    (every condition read once for all the questions)."""
    conditions = chain(route_conditions(questionnaire), outcome_conditions(questionnaire))
    return {qid: cut_points(atoms) for qid, atoms in atoms_by_question(conditions).items()}
