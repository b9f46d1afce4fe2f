"""Turn the answers on a path into the result of ``contract.md``.

Standard library only. :func:`score` is pure; :meth:`Result.to_dict` gives the JSON
contract (schema version 1), with a few extra keys that the contract allows.
"""

# Annotations are evaluated (no ``from __future__ import annotations``): typing.NamedTuple
# compiles every string annotation into a ForwardRef when the module is imported, which
# costs each scripted run about a millisecond over these records.

from collections.abc import Mapping
from typing import NamedTuple

from hamstring_cli.compiled import Compiled, compiled, ready
from hamstring_cli.model import (
    END,
    LEVEL_RANK,
    TIMEFRAME_RANK,
    TIMEFRAME_WORDS,
    Answer,
    Condition,
    ConditionDef,
    ImagingRule,
    Leading,
    Note,
    Questionnaire,
    RedFlagRule,
    Reference,
    Studies,
    TriageRule,
    fill,
    holds,
    level_timeframe,
    most_pressing,
    most_urgent_timeframe,
    questions_in,
    study_key,
    walk_condition,
)
from hamstring_cli.question_types import answer_json

__all__ = [
    "SCHEMA_VERSION",
    "Decision",
    "Finding",
    "ImagingAdvice",
    "Interpreted",
    "RaisedFlag",
    "Ranked",
    "Result",
    "Rules",
    "SafetyNetItem",
    "ScopeAdvice",
    "Study",
    "TriageAdvice",
    "Withdrawn",
    "advised_studies",
    "alerts",
    "level_action",
    "reference_score",
    "score",
]

SCHEMA_VERSION = 1


class Finding(NamedTuple):
    """One rule that moved a condition's score, in plain words, with its source."""

    text: str
    weight: float
    source: str
    #: The finding in fewer words, when the rule gives them.
    summary: str | None = None


class Ranked(NamedTuple):
    """One condition of the differential with its score and the findings for and against."""

    id: str
    label: str
    score: float
    findings: tuple[Finding, ...]

    @property
    def for_(self) -> tuple[Finding, ...]:
        """Findings that raised the score."""
        return tuple(f for f in self.findings if f.weight > 0)

    @property
    def against(self) -> tuple[Finding, ...]:
        """Findings that lowered the score."""
        return tuple(f for f in self.findings if f.weight < 0)


class RaisedFlag(NamedTuple):
    """A red flag raised by the answers; ``timeframe`` is one of :data:`~model.TIMEFRAMES`."""

    id: str
    level: str
    advice: str
    source: str
    timeframe: str
    #: What to do in fewer words, when the questionnaire gives them (never cut from ``advice``).
    summary: str | None = None
    #: The flag's short name in words ('Possible cauda equina syndrome').
    name: str = ""


class ScopeAdvice(NamedTuple):
    """Whether the questionnaire's rules cover this patient, and why (or why not)."""

    applies: bool
    reason: str
    source: str | None = None


class TriageAdvice(NamedTuple):
    """How soon to act, in plain words, and what decided it.

    ``timeframe`` is the most pressing timeframe of the result (one of
    :data:`~model.TIMEFRAMES`): of the leading condition's rule, the red flags and the studies.
    """

    level: str
    label: str
    timeframe: str
    advice: str
    condition_advice: str
    sources: tuple[str, ...]
    #: The condition advice in fewer words, when its rule gives them.
    condition_summary: str | None = None


class Study(NamedTuple):
    """One imaging study to order: the modality, how soon, why, the source, and where.

    One study a ``site``: rules for the same site merge into the most urgent one's study, and
    the reasons of the others follow its own (a variant, of the same modality and source, adds
    none). ``sources`` are the sources of every reason given; ``timeframe`` is one of
    :data:`~model.TIMEFRAMES`.
    """

    modality: str
    urgency: str
    reason: str
    source: str
    site: str | None = None
    timeframe: str = "routine"
    sources: tuple[str, ...] = ()
    #: The reason in fewer words, when the rules give them (never cut from ``reason``).
    summary: str | None = None


class ImagingAdvice(NamedTuple):
    """The imaging advice: the first study to order (if any) and every advised study.

    ``modality``, ``urgency``, ``reason`` and ``source`` describe the first of ``studies``
    (or, when none is advised, why not), so consumers of the first study keep working.
    """

    advised: bool
    modality: str | None
    urgency: str | None
    reason: str
    source: str | None
    studies: tuple[Study, ...] = ()


class Result(NamedTuple):
    """Everything a report shows; :meth:`to_dict` is the JSON contract."""

    questionnaire: Questionnaire
    answers: tuple[tuple[str, Answer], ...]
    differential: tuple[Ranked, ...]
    confidence: str
    triage: TriageAdvice
    imaging: ImagingAdvice
    red_flags: tuple[RaisedFlag, ...]
    notes: tuple[Note, ...]
    decision: "Decision"
    #: The status of the FHIR QuestionnaireResponse the answers came from, if they did: a FHIR
    #: Bundle of the result keeps it (not part of the JSON contract).
    response_status: str | None = None
    scope: ScopeAdvice = ScopeAdvice(True, "")

    @property
    def leading(self) -> str:
        """The id of the condition ranked first."""
        return self.differential[0].id

    def cited(self) -> tuple[Reference, ...]:
        """The references that this result cites, in the questionnaire's order."""
        ids: set[str] = set(self.triage.sources)
        ids.update(f.source for r in self.differential for f in r.findings)
        ids.update(flag.source for flag in self.red_flags)
        ids.update(note.source for note in self.notes)
        ids.update(item.source for item in self.decision.safety_net)
        ids.update(flag.source for flag in self.decision.withdrawn)
        if self.imaging.source:
            ids.add(self.imaging.source)
        ids.update(source for study in self.imaging.studies for source in study.sources)
        ids.update(study.source for study in self.imaging.studies)
        if self.scope.source:
            ids.add(self.scope.source)
        return tuple(r for r in self.questionnaire.references if r.id in ids)

    def to_dict(self) -> dict[str, object]:
        """The result as the JSON of ``contract.md``."""
        q = self.questionnaire
        return {
            "schema_version": SCHEMA_VERSION,
            "questionnaire": {
                "id": q.id,
                "version": q.version,
                "title": q.title,
                "content_hash": q.content_hash,
            },
            "answers": {qid: answer_json(a) for qid, a in self.answers},
            "leading": self.leading,
            "confidence": self.confidence,
            "differential": [
                {
                    "id": r.id,
                    "label": r.label,
                    "score": r.score,
                    "for": [f.text for f in r.for_],
                    "against": [f.text for f in r.against],
                    "evidence": [
                        {"text": f.text, "weight": f.weight, "source": f.source} for f in r.findings
                    ],
                }
                for r in self.differential
            ],
            "triage": {
                "level": self.triage.level,
                "label": self.triage.label,
                "timeframe": self.triage.timeframe,
                "timeframe_words": TIMEFRAME_WORDS[self.triage.timeframe],
                "advice": self.triage.advice,
                "condition_advice": self.triage.condition_advice,
                "sources": list(self.triage.sources),
            },
            "imaging": {
                "advised": self.imaging.advised,
                "modality": self.imaging.modality,
                "urgency": self.imaging.urgency,
                "reason": self.imaging.reason,
                "source": self.imaging.source,
                "studies": [_study_json(study) for study in self.imaging.studies],
            },
            "scope": {
                "applies": self.scope.applies,
                "reason": self.scope.reason,
                "source": self.scope.source,
            },
            "red_flags": [_flag_json(f) for f in self.red_flags],
            "notes": [{"text": n.text, "source": n.source} for n in self.notes],
            "safety_net": [_safety_json(item) for item in self.decision.safety_net],
            "decision": self.decision.to_dict(),
            "references": [
                {"id": r.id, "citation": r.citation, **({"url": r.url} if r.url else {})}
                for r in self.cited()
            ],
            "disclaimer": q.disclaimer,
        }


def score(
    questionnaire: Questionnaire,
    answers: Mapping[str, Answer],
    *,
    alerted: Mapping[str, Mapping[str, Answer]] | None = None,
    complete: bool = True,
) -> Result:
    """Score the answers on a path (in the order asked) into a result, and its decision.

    ``answers`` must hold only answers on the path taken (``Session.path_answers``), so that
    a rule never reads an answer the patient was not asked about. ``alerted`` gives the red
    flags an intake showed live, each with the answers it was shown on: one that the result
    no longer raises is listed in the decision as withdrawn, with why. ``complete`` False says
    the intake stopped before its path was done (an emergency stop): the questions not reached
    are unknown, so the confidence is low and the decision names no finding for the leading
    condition (a rule may hold there only because a question was never asked).

    The rules are evaluated as compiled once for the questionnaire
    (:mod:`~hamstring_cli.compiled`), from its second result on: a questionnaire's first result
    walks them as data (:func:`reference_score`), since making them ready costs more than one
    walk (about 3.3 ms against 2.0 ms: a scripted run scores once). The result is the same.
    """
    return _score(questionnaire, answers, alerted, _rules(questionnaire), complete=complete)


#: The questionnaires scored once by walking their rules (by id, each kept with its entry).
_WALKED: dict[int, Questionnaire] = {}


def _rules(questionnaire: Questionnaire) -> "Rules":
    """The compiled rules, once the questionnaire has been scored before (or compiled)."""
    if ready(questionnaire) is not None or _WALKED.get(id(questionnaire)) is questionnaire:
        return compiled(questionnaire)
    if len(_WALKED) >= 32:
        _WALKED.clear()
    _WALKED[id(questionnaire)] = questionnaire
    return Interpreted(questionnaire)


def reference_score(
    questionnaire: Questionnaire,
    answers: Mapping[str, Answer],
    *,
    alerted: Mapping[str, Mapping[str, Answer]] | None = None,
) -> Result:
    """:func:`score` by walking each condition as data, rule by rule (the reference that the
    compiled rules are tested against)."""
    return _score(questionnaire, answers, alerted, Interpreted(questionnaire))


def _score(
    q: Questionnaire,
    answers: Mapping[str, Answer],
    alerted: Mapping[str, Mapping[str, Answer]] | None,
    rules: "Rules",
    *,
    complete: bool = True,
) -> Result:
    out = q.outcomes
    held = rules.held(answers)
    differential = _rank(q, answers, held)
    leading = differential[0].id
    raised = tuple(
        RaisedFlag(
            rule.id,
            rule.level,
            fill(rule.advice, q, answers),
            rule.source,
            rule.timeframe or level_timeframe(rule.level),
            summary=fill(rule.summary, q, answers) if rule.summary else None,
            name=rule.title,
        )
        for rule in out.red_flags
        if rules.holds(rule.when, answers, leading)
    )
    condition = out.condition(leading)
    assert condition is not None  # the differential lists only known conditions
    imaging = _imaging(q, answers, leading, rules)
    # The rules read after imaging may ask which studies it advises.
    advised = advised_studies(imaging.studies)
    confidence = _confidence(q, answers, differential, rules, held) if complete else "low"
    triage = _triage(q, answers, condition, raised, imaging.studies, rules, advised)
    flags = tuple(sorted(raised, key=lambda f: (LEVEL_RANK[f.level], TIMEFRAME_RANK[f.timeframe])))
    scope = _scope(q, answers, leading, rules)
    return Result(
        questionnaire=q,
        answers=tuple(answers.items()),
        differential=differential,
        confidence=confidence,
        triage=triage,
        imaging=imaging,
        red_flags=flags,
        notes=tuple(
            Note(fill(n.text, q, answers), n.source)
            for n in out.notes
            if n.when is None or rules.holds(n.when, answers, leading, advised)
        ),
        decision=_decide(
            q,
            answers,
            differential,
            confidence,
            triage,
            imaging,
            flags,
            alerted or {},
            scope,
            rules,
            advised,
            complete=complete,
        ),
        scope=scope,
    )


def advised_studies(studies: tuple[Study, ...]) -> Studies:
    """The advised studies as an ``advised`` condition reads them: each modality, and each
    modality at its site (:func:`~hamstring_cli.model.study_key`)."""
    keys = {study.modality for study in studies}
    keys.update(study_key(study.modality, study.site) for study in studies if study.site)
    return frozenset(keys)


def _scope(
    q: Questionnaire, answers: Mapping[str, Answer], leading: str, rules: "Rules"
) -> ScopeAdvice:
    """Whether the questionnaire's rules cover these answers: the first exclusion that holds."""
    scope = q.outcomes.scope
    for rule in scope.exclusions:
        if rules.holds(rule.when, answers, leading):
            return ScopeAdvice(False, fill(rule.reason, q, answers), rule.source)
    return ScopeAdvice(True, fill(scope.reason, q, answers), scope.source)


def _rank(
    q: Questionnaire, answers: Mapping[str, Answer], held: tuple[bool, ...]
) -> tuple[Ranked, ...]:
    """The differential, from whether each score rule holds (``held``, in file order)."""
    findings: dict[str, list[Finding]] = {c.id: [] for c in q.outcomes.conditions}
    for rule, holding in zip(q.outcomes.scores, held, strict=True):
        if holding:
            findings[rule.condition].append(
                Finding(
                    fill(rule.reason, q, answers),
                    rule.weight,
                    rule.source,
                    fill(rule.summary, q, answers) if rule.summary else None,
                )
            )
    ranked = [
        Ranked(
            c.id, c.label, round(sum(f.weight for f in findings[c.id]), 2), tuple(findings[c.id])
        )
        for c in q.outcomes.conditions
    ]
    # sorted() is stable: equal scores keep the order of the conditions in the file.
    return tuple(sorted(ranked, key=lambda r: -r.score))


def _confidence(
    q: Questionnaire,
    answers: Mapping[str, Answer],
    differential: tuple[Ranked, ...],
    rules: "Rules",
    held: tuple[bool, ...],
) -> str:
    """How sure the ranking is, counting only what separates the leader from the runner-up.

    The questions that matter are those the score rules of the two leading conditions read.
    Unknown answers among them (``unsure``, ``obscured``, ``not_done``) cap the confidence at
    moderate; more than ``max_uncertain_fraction`` of them make it low, and so does any unknown
    on the path that, answered otherwise, would put another condition first. Findings against
    the leader that weigh at least ``high_margin`` together also cap it at moderate: a label
    that the examination or the history contradicts is never a confident one, however far
    the others lag behind.
    """
    rule = q.outcomes.confidence
    if len(differential) < 2:
        return "high"
    leader, runner_up = differential[0], differential[1]
    margin = leader.score - runner_up.score
    if margin < rule.moderate_margin:
        return "low"
    separating = rules.separating((leader.id, runner_up.id))
    asked = [qid for qid in answers if qid in separating]
    unknown = [qid for qid in asked if rules.uncertain(qid, answers[qid])]
    if asked and len(unknown) / len(asked) > rule.max_uncertain_fraction:
        return "low"
    # Any unknown on the path, separating or not, that would put another condition first.
    anywhere = [qid for qid in answers if rules.uncertain(qid, answers[qid])]
    if anywhere:
        totals = {r.id: sum(f.weight for f in r.findings) for r in differential}
        for qid in anywhere:
            if _could_change_leader(q, answers, qid, leader.id, totals, rules, held):
                return "low"
    if unknown:
        return "moderate"
    contradicted = -sum(f.weight for f in leader.against) >= rule.high_margin
    return "high" if margin >= rule.high_margin and not contradicted else "moderate"


class Interpreted:
    """The rules of a questionnaire walked as data, condition by condition, as
    :func:`hamstring_cli.model.holds` does: the reference for :class:`~compiled.Compiled`."""

    __slots__ = ("questionnaire",)

    def __init__(self, questionnaire: Questionnaire) -> None:
        self.questionnaire = questionnaire

    def holds(
        self,
        condition: Condition,
        answers: Mapping[str, Answer],
        leading: str | None = None,
        studies: Studies = frozenset(),
    ) -> bool:
        """Whether ``condition`` holds (:func:`hamstring_cli.model.holds`)."""
        return holds(condition, answers, leading, studies)

    def held(self, answers: Mapping[str, Answer]) -> tuple[bool, ...]:
        """Whether each score rule holds, in file order."""
        return tuple(holds(rule.when, answers) for rule in self.questionnaire.outcomes.scores)

    def score_holds(self, index: int, answers: Mapping[str, Answer]) -> bool:
        """Whether the score rule at ``index`` holds."""
        return holds(self.questionnaire.outcomes.scores[index].when, answers)

    def touching(self, qid: str) -> tuple[int, ...]:
        """The score rules that read ``qid``, in file order."""
        scores = self.questionnaire.outcomes.scores
        return tuple(i for i, rule in enumerate(scores) if qid in _reads(rule.when))

    def separating(self, conditions: tuple[str, ...]) -> frozenset[str]:
        """The questions that the score rules of these conditions read."""
        out: set[str] = set()
        for rule in self.questionnaire.outcomes.scores:
            if rule.condition in conditions:
                out.update(_reads(rule.when))
        return frozenset(out)

    def uncertain(self, qid: str, answer: Answer) -> bool:
        """Whether this answer to ``qid`` is an unknown ('unsure', 'not done')."""
        return self.questionnaire.question(qid).is_uncertain(answer)


#: The questions a condition reads, by the condition's id (the condition is kept with its entry,
#: so an id is never reused while the entry stands).
_READS: dict[int, tuple[Condition, frozenset[str]]] = {}


def _reads(condition: Condition) -> frozenset[str]:
    entry = _READS.get(id(condition))
    if entry is None or entry[0] is not condition:
        if len(_READS) >= 100_000:
            _READS.clear()
        entry = _READS[id(condition)] = (condition, frozenset(questions_in(condition)))
    return entry[1]


#: How a result's rules are evaluated: compiled once a questionnaire, or walked as data.
Rules = Compiled | Interpreted


def _could_change_leader(
    q: Questionnaire,
    answers: Mapping[str, Answer],
    qid: str,
    leader: str,
    totals: Mapping[str, float],
    rules: Rules,
    held: tuple[bool, ...],
) -> bool:
    """Whether answering ``qid`` with any certain value would rank another condition first.

    ``totals`` are the conditions' scores for ``answers``, and ``held`` whether each score rule
    holds for them. Only the score rules that read ``qid`` can change, so each alternative
    re-reads those rules alone, not the whole ranking.
    """
    question = q.question(qid)
    order = {c.id: i for i, c in enumerate(q.outcomes.conditions)}
    score_rules = q.outcomes.scores
    base = dict(totals)
    reading = rules.touching(qid)
    for index in reading:
        if held[index]:
            found = score_rules[index]
            base[found.condition] -= found.weight
    for option in question.options:
        if option.uncertain:
            continue
        changed = {**answers, qid: option.value}
        scores = dict(base)
        for index in reading:
            if rules.score_holds(index, changed):
                found = score_rules[index]
                scores[found.condition] += found.weight
        # As _rank orders: the rounded score, highest first; ties keep the file's order.
        first = min(order, key=lambda c: (-round(scores[c], 2), order[c]))
        if first != leader:
            return True
    return False


def _condition_rule(
    condition: ConditionDef,
    answers: Mapping[str, Answer],
    leading: str,
    rules: "Rules",
    studies: Studies = frozenset(),
) -> TriageRule:
    for rule in condition.triage:
        if rule.when is None or rules.holds(rule.when, answers, leading, studies):
            return rule
    raise LookupError(f"condition '{condition.id}' has no default triage rule")


def _triage(
    q: Questionnaire,
    answers: Mapping[str, Answer],
    condition: ConditionDef,
    raised: tuple[RaisedFlag, ...],
    studies: tuple[Study, ...],
    rules: "Rules",
    advised: Studies = frozenset(),
) -> TriageAdvice:
    """The level and timeframe: the most pressing of the condition's, the questionnaire's own
    triage rules', the flags' and the studies'.

    An advised study is never more pressing than the level it is shown under, and the heading's
    timeframe is never later than any line under it.
    """
    rule = _condition_rule(condition, answers, condition.id, rules, advised)
    condition_advice = fill(rule.advice, q, answers)
    # The questionnaire's own triage rules count whatever condition leads (a decision rule).
    general = [
        r
        for r in q.outcomes.triage
        if r.when is None or rules.holds(r.when, answers, condition.id, advised)
    ]
    level = most_pressing(
        [
            rule.level,
            *(r.level for r in general),
            *(f.level for f in raised),
            *(s.urgency for s in studies),
        ]
    )
    assert level is not None
    deciding = [f for f in raised if f.level == level]
    parts = [f.advice for f in deciding]
    sources = [f.source for f in deciding]
    for found in general:
        if found.level == level:
            parts.append(fill(found.advice, q, answers))
            sources.append(found.source)
    if rule.level == level:
        parts.append(condition_advice)
        sources.append(rule.source)
    words = q.outcomes.levels.get(level)
    label = words.label if words else level.capitalize()
    timeframe = most_urgent_timeframe(
        [
            rule.timeframe or level_timeframe(rule.level),
            *(r.timeframe or level_timeframe(r.level) for r in general),
            *(f.timeframe for f in raised),
            *(s.timeframe for s in studies),
        ]
    )
    assert timeframe is not None
    level_words = level_action(q, level, timeframe, answers)
    advice = " ".join(p for p in [level_words, *dict.fromkeys(parts)] if p)
    return TriageAdvice(
        level,
        label,
        timeframe,
        advice,
        condition_advice,
        tuple(dict.fromkeys(sources)),
        fill(rule.summary, q, answers) if rule.summary else None,
    )


def level_action(
    q: Questionnaire, level: str, timeframe: str, answers: Mapping[str, Answer]
) -> str:
    """What a level says to do, its ``{timeframe}`` the result's in words ("the same day")."""
    words = q.outcomes.levels.get(level)
    if words is None:
        return ""
    return fill(words.advice.replace("{timeframe}", TIMEFRAME_WORDS[timeframe]), q, answers)


def _rule_timeframe(rule: ImagingRule) -> str:
    return rule.timeframe or level_timeframe(rule.urgency or "routine")


def _imaging(
    q: Questionnaire, answers: Mapping[str, Answer], leading: str, evaluator: "Rules"
) -> ImagingAdvice:
    matched = [r for r in q.outcomes.imaging if evaluator.holds(r.when, answers, leading)]
    candidates = [r for r in matched if r.modality is not None]
    if candidates:
        # Most urgent first; sorted() is stable, so file order breaks ties: an X-ray rule that
        # excludes a fracture comes first when it is put first in the file.
        ranked = sorted(
            candidates,
            key=lambda r: (TIMEFRAME_RANK[_rule_timeframe(r)], LEVEL_RANK[r.urgency or "routine"]),
        )
        # One study a site (a rule without a site: one a modality). The first rule of a site is
        # the most urgent and gives the study; every other rule there adds its reason, except
        # a variant of one already speaking: the same modality, site and source (the file puts
        # the most specific variant first, as a condition's triage rules do).
        by_site: dict[tuple[str, str], list[ImagingRule]] = {}
        for rule in ranked:
            assert rule.modality is not None
            key = ("site", rule.site) if rule.site else ("modality", rule.modality)
            by_site.setdefault(key, []).append(rule)
        studies: list[Study] = []
        for rules in by_site.values():
            first = rules[0]
            assert first.modality is not None
            speaking = [first]
            seen: set[tuple[str | None, str]] = {(first.modality, first.source)}
            for rule in rules[1:]:
                if (rule.modality, rule.source) not in seen:
                    seen.add((rule.modality, rule.source))
                    speaking.append(rule)
            reasons = dict.fromkeys(" ".join(fill(r.reason, q, answers).split()) for r in speaking)
            summaries = [
                " ".join(fill(r.summary or r.reason, q, answers).split()) for r in speaking
            ]
            summary = (
                " ".join(dict.fromkeys(summaries)) if any(r.summary for r in speaking) else None
            )
            studies.append(
                Study(
                    first.modality,
                    first.urgency or "routine",
                    " ".join(reasons),
                    first.source,
                    first.site,
                    _rule_timeframe(first),
                    tuple(dict.fromkeys(r.source for r in speaking)),
                    summary,
                )
            )
        lead = studies[0]
        return ImagingAdvice(
            True, lead.modality, lead.urgency, lead.reason, lead.source, tuple(studies)
        )
    none = next((r for r in matched if r.modality is None), None)
    if none is not None:
        return ImagingAdvice(False, None, None, fill(none.reason, q, answers), none.source)
    return ImagingAdvice(False, None, None, q.outcomes.no_imaging_reason, None)


# ---------------------------------------------------------------------------------------------
# The decision: computed once, read by every output


class SafetyNetItem(NamedTuple):
    """When to come back or seek help at once: a sign (with a timeframe) or an instruction."""

    text: str
    summary: str
    timeframe: str | None
    source: str


class Withdrawn(NamedTuple):
    """A red flag shown during the intake that the final answers no longer raise, and why."""

    id: str
    level: str
    timeframe: str
    advice: str
    source: str
    why: str
    #: The flag's short name in words.
    name: str = ""


class Decision(NamedTuple):
    """What to do, how soon and why: one object, drawn alike by every output.

    The heading, the action and every study carry a timeframe from the one ordered set, and
    ``timeframe`` is the most pressing of them, so they cannot disagree. When an emergency red
    flag is raised it leads (``emergency``), and the leading condition is what is "otherwise"
    most likely. Nothing here is shortened: a short form (``summary``) is the questionnaire's.
    """

    level: str
    label: str
    timeframe: str
    #: What the level says to do, with the decision's timeframe in words.
    action: str
    #: The emergency red flags, which lead the decision.
    emergency: tuple[RaisedFlag, ...]
    leading: str
    leading_label: str
    confidence: str
    #: True when an emergency flag leads: the condition is "otherwise most likely".
    otherwise: bool
    #: The findings for the leading condition, strongest first.
    because: tuple[Finding, ...]
    condition_advice: str
    condition_summary: str | None
    studies: tuple[Study, ...]
    no_imaging: str
    flags: tuple[RaisedFlag, ...]
    withdrawn: tuple[Withdrawn, ...]
    safety_net: tuple[SafetyNetItem, ...]
    disclaimer: str
    disclaimer_summary: str
    #: Whether the questionnaire's rules cover the patient, and why (or why not).
    scope: ScopeAdvice = ScopeAdvice(True, "")

    @property
    def timeframe_words(self) -> str:
        """The timeframe as a sentence reads it ("the same day")."""
        return TIMEFRAME_WORDS[self.timeframe]

    def to_dict(self) -> dict[str, object]:
        """The decision as JSON (the result's ``decision`` key)."""
        return {
            "level": self.level,
            "label": self.label,
            "timeframe": self.timeframe,
            "timeframe_words": self.timeframe_words,
            "action": self.action,
            "emergency": [f.id for f in self.emergency],
            "leading": self.leading,
            "leading_label": self.leading_label,
            "confidence": self.confidence,
            "otherwise": self.otherwise,
            "because": [f.summary or f.text for f in self.because],
            "condition_advice": self.condition_advice,
            "condition_summary": self.condition_summary,
            "studies": [_study_json(s) for s in self.studies],
            "no_imaging": self.no_imaging,
            "red_flags": [_flag_json(f) for f in self.flags],
            "withdrawn": [w._asdict() for w in self.withdrawn],
            "safety_net": [_safety_json(item) for item in self.safety_net],
            "disclaimer": self.disclaimer,
            "disclaimer_summary": self.disclaimer_summary,
            "scope": self.scope._asdict(),
        }


def _study_json(study: Study) -> dict[str, object]:
    out: dict[str, object] = {**study._asdict(), "sources": list(study.sources)}
    if study.summary is None:
        del out["summary"]
    return out


def _flag_json(flag: RaisedFlag) -> dict[str, object]:
    out: dict[str, object] = {
        "id": flag.id,
        "name": flag.name,
        "level": flag.level,
        "timeframe": flag.timeframe,
        "advice": flag.advice,
        "source": flag.source,
    }
    if flag.summary is not None:
        out["summary"] = flag.summary
    return out


def _safety_json(item: SafetyNetItem) -> dict[str, object]:
    return item._asdict()


def _decide(
    q: Questionnaire,
    answers: Mapping[str, Answer],
    differential: tuple[Ranked, ...],
    confidence: str,
    triage: TriageAdvice,
    imaging: ImagingAdvice,
    flags: tuple[RaisedFlag, ...],
    alerted: Mapping[str, Mapping[str, Answer]],
    scope: ScopeAdvice,
    rules: "Rules",
    advised: Studies = frozenset(),
    *,
    complete: bool = True,
) -> Decision:
    leading = differential[0]
    emergency = tuple(f for f in flags if f.level == "emergency")
    raised = {f.id for f in flags}
    return Decision(
        level=triage.level,
        label=triage.label,
        timeframe=triage.timeframe,
        action=level_action(q, triage.level, triage.timeframe, answers),
        emergency=emergency,
        leading=leading.id,
        leading_label=leading.label,
        confidence=confidence,
        otherwise=bool(emergency),
        because=tuple(sorted(leading.for_, key=lambda f: -f.weight)) if complete else (),
        condition_advice=triage.condition_advice,
        condition_summary=triage.condition_summary,
        studies=imaging.studies,
        no_imaging="" if imaging.advised else imaging.reason,
        flags=flags,
        withdrawn=tuple(
            _withdrawn(q, answers, leading, rule_id, then)
            for rule_id, then in alerted.items()
            if rule_id not in raised
        ),
        safety_net=tuple(
            SafetyNetItem(
                fill(item.text, q, answers),
                fill(item.summary or item.text, q, answers),
                item.timeframe,
                item.source,
            )
            for item in q.outcomes.safety_net
            if item.when is None or rules.holds(item.when, answers, leading.id, advised)
        ),
        disclaimer=q.disclaimer,
        disclaimer_summary=q.disclaimer_summary,
        scope=scope,
    )


def _withdrawn(
    q: Questionnaire,
    answers: Mapping[str, Answer],
    leading: Ranked,
    rule_id: str,
    then: Mapping[str, Answer],
) -> Withdrawn:
    """A flag shown live that the result does not raise, with the answers that withdrew it."""
    rule = next(r for r in q.outcomes.red_flags if r.id == rule_id)
    changes = []
    for qid in sorted(questions_in(rule.when), key=list(q.by_id).index):
        before, now = then.get(qid), answers.get(qid)
        if before == now:
            continue
        question = q.question(qid)
        prompt = " ".join(question.prompt.split())
        if now is None:
            changes.append(f"'{prompt}' is no longer asked")
        elif before is None:
            changes.append(f"'{prompt}' was answered '{question.words(now)}'")
        else:
            changes.append(
                f"the answer to '{prompt}' changed from '{question.words(before)}' to"
                f" '{question.words(now)}'"
            )
    if changes:
        why = "; ".join(changes)
    elif any(isinstance(c, Leading) for c in walk_condition(rule.when)):
        why = f"it does not apply when {leading.label} leads, as it now does"
    else:
        why = "the answers as they now stand do not raise it"
    return Withdrawn(
        rule.id,
        rule.level,
        rule.timeframe or level_timeframe(rule.level),
        fill(rule.advice, q, then),
        rule.source,
        why,
        rule.title,
    )


# ---------------------------------------------------------------------------------------------
# Live alerts: the same evaluation as the result, on the answers so far


def alerts(q: Questionnaire, answers: Mapping[str, Answer]) -> tuple[RedFlagRule, ...]:
    """The red flags that the answers so far on a path make certain, as the result will raise.

    A rule is alerted only when no answer still to come can change it: questions that may still
    be asked are unknown, and so is the leading condition until the path ends. At the end this
    is exactly the result's red flags (the same rules, the same evaluation), so a flag shown
    during an intake is in its summary unless an answer is changed afterwards.
    """
    ahead = _ahead(q, answers)
    if ahead is None:
        leading = _rank(q, answers, compiled(q).held(answers))[0].id
        return tuple(r for r in q.outcomes.red_flags if holds(r.when, answers, leading))
    may_come = ahead.__contains__
    rules = compiled(q)
    return tuple(
        r for r in q.outcomes.red_flags if rules.holds_so_far(r.when, answers, may_come) is True
    )


def _ahead(q: Questionnaire, answers: Mapping[str, Answer]) -> frozenset[str] | None:
    """The questions that may still be asked after these answers (None: the path has ended)."""
    current, seen = q.start, set()
    while current != END and current in answers and current not in seen:
        seen.add(current)
        current = q.next_after(q.question(current), answers)
    if current == END or current in seen:
        return None
    return compiled(q).reachable(current)
