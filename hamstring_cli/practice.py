"""Grading a student's answer to a teaching case, and the feedback that follows it.

Standard library only, pure. A student commits to a leading condition, a triage level
and an imaging decision; :func:`grade` compares them with the case's expected outcome, and
:func:`feedback` adds what teaches: the findings that separate the leading condition from the
runner-up, the single answers that would change the outcome, and the case's teaching points.
The terminal flow lives in ``practice_session.py``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hamstring_cli.errors import allowed_text, did_you_mean
from hamstring_cli.explain import Change, ConditionContributions, contributions, what_if
from hamstring_cli.model import (
    IMAGING_CHOICES,
    LEVELS,
    MODALITIES,
    NO_IMAGING,
    Answer,
    Questionnaire,
)
from hamstring_cli.question_types import answer_json
from hamstring_cli.scoring import Finding, Result, score

__all__ = [
    "Feedback",
    "Grade",
    "Guess",
    "Outcome",
    "Tally",
    "TeachingPoint",
    "check_guess",
    "discriminating",
    "feedback",
    "grade",
    "history_differences",
    "imaging_choices",
    "outcome_of",
    "sitting_order",
]

#: The graded items, in the order they are asked and shown.
ITEMS: tuple[str, ...] = ("leading", "level", "imaging")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a case should come to: the leading condition, the triage level, the first imaging."""

    leading: str
    level: str
    imaging: str

    def to_dict(self) -> dict[str, str]:
        """The outcome as JSON-ready data."""
        return {"leading": self.leading, "level": self.level, "imaging": self.imaging}


def outcome_of(result: Result) -> Outcome:
    """The outcome a result gives, in the terms a student answers in."""
    modality = result.imaging.modality if result.imaging.advised else None
    return Outcome(result.leading, result.triage.level, modality or NO_IMAGING)


@dataclass(frozen=True, slots=True)
class Guess:
    """A student's answer; ``imaging`` None leaves the imaging decision ungraded."""

    leading: str
    level: str
    imaging: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """The guess as JSON-ready data."""
        return {"leading": self.leading, "level": self.level, "imaging": self.imaging}


@dataclass(frozen=True, slots=True)
class BadGuess:
    """One item of a guess that is not an allowed value."""

    item: str
    value: str
    allowed: tuple[str, ...]

    def __str__(self) -> str:
        return self.words(self.item)

    def words(self, name: str) -> str:
        """The problem in words, naming the item as ``name`` (a command-line option, say)."""
        hint = did_you_mean(self.value, self.allowed)
        allowed = allowed_text(self.allowed)
        return f"{name} '{self.value}' is not allowed{hint}; allowed: {allowed}"


def imaging_choices(questionnaire: Questionnaire) -> tuple[str, ...]:
    """The imaging calls a student is offered: the modalities the questionnaire's imaging rules
    can advise (in the format's order), then no imaging now."""
    used = {rule.modality for rule in questionnaire.outcomes.imaging if rule.modality}
    return (*(m for m in MODALITIES if m in used), NO_IMAGING)


def allowed_values(questionnaire: Questionnaire) -> dict[str, tuple[str, ...]]:
    """The values each graded item accepts for this questionnaire."""
    return {
        "leading": tuple(c.id for c in questionnaire.outcomes.conditions),
        "level": LEVELS,
        "imaging": IMAGING_CHOICES,
    }


def check_guess(questionnaire: Questionnaire, guess: Guess) -> tuple[BadGuess, ...]:
    """Every item of ``guess`` whose value the questionnaire does not allow (empty when fine)."""
    allowed = allowed_values(questionnaire)
    given = guess.to_dict()
    return tuple(
        BadGuess(item, value, allowed[item])
        for item in ITEMS
        if (value := given[item]) is not None and value not in allowed[item]
    )


@dataclass(frozen=True, slots=True)
class Grade:
    """Which items of a guess were right; ``imaging`` is None when it was not graded."""

    leading: bool
    level: bool
    imaging: bool | None

    @property
    def marks(self) -> tuple[bool, ...]:
        """The graded items' marks, in :data:`ITEMS` order."""
        return tuple(m for m in (self.leading, self.level, self.imaging) if m is not None)

    @property
    def all(self) -> bool:
        """Whether every graded item was right."""
        return all(self.marks)

    def to_dict(self) -> dict[str, bool | None]:
        """The grade as JSON-ready data, with ``all``."""
        return {
            "leading": self.leading,
            "level": self.level,
            "imaging": self.imaging,
            "all": self.all,
        }


def grade(guess: Guess, expected: Outcome) -> Grade:
    """Mark each item of ``guess`` against the expected outcome."""
    return Grade(
        leading=guess.leading == expected.leading,
        level=guess.level == expected.level,
        imaging=None if guess.imaging is None else guess.imaging == expected.imaging,
    )


@dataclass(frozen=True, slots=True)
class Tally:
    """The running score of one sitting."""

    cases: int = 0
    all_right: int = 0
    items_right: int = 0
    items_graded: int = 0

    def add(self, mark: Grade) -> Tally:
        """The tally with one more graded case."""
        return Tally(
            self.cases + 1,
            self.all_right + mark.all,
            self.items_right + sum(mark.marks),
            self.items_graded + len(mark.marks),
        )

    def words(self) -> str:
        """``2 cases, 1 fully right; 5 of 6 answers right``."""
        noun = "case" if self.cases == 1 else "cases"
        return (
            f"{self.cases} {noun}, {self.all_right} fully right; "
            f"{self.items_right} of {self.items_graded} answers right"
        )


@dataclass(frozen=True, slots=True)
class TeachingPoint:
    """A short point a case teaches, with the reference that supports it."""

    text: str
    source: str


@dataclass(frozen=True, slots=True)
class Discriminator:
    """A finding that supports one condition and not the other.

    ``other`` holds the findings the same answers gave against the other condition; empty when
    the answers simply did not count for it.
    """

    favours: str
    over: str
    questions: tuple[str, ...]
    finding: Finding
    other: tuple[Finding, ...]


def discriminating(ranked: Sequence[ConditionContributions]) -> tuple[Discriminator, ...]:
    """The findings that separate the leading condition from the runner-up, and vice versa.

    A finding of one condition separates it from the other unless the other also has a finding
    in its favour that reads at least the same answers (a pop that supports both a rupture and
    a bony avulsion separates neither).
    """
    if len(ranked) < 2:
        return ()
    first, second = ranked[0], ranked[1]
    return (*_separating(first, second), *_separating(second, first))


def _separating(this: ConditionContributions, other: ConditionContributions) -> list[Discriminator]:
    out: list[Discriminator] = []
    for part in this.contributions:
        read = set(part.questions)
        for finding in part.findings:
            if finding.weight <= 0:
                continue
            shared = any(
                f.weight > 0 and read and read <= set(p.questions)
                for p in other.contributions
                for f in p.findings
            )
            if shared:
                continue
            against = tuple(
                f
                for p in other.contributions
                if read & set(p.questions)
                for f in p.findings
                if f.weight < 0
            )
            out.append(Discriminator(this.id, other.id, part.questions, finding, against))
    return out


@dataclass(frozen=True, slots=True)
class HistoryDifference:
    """A question where the student's history differs from the patient's answers."""

    question: str
    given: Answer | None
    patient: Answer | None


def history_differences(
    given: Mapping[str, Answer], patient: Mapping[str, Answer]
) -> tuple[HistoryDifference, ...]:
    """Where a history the student took differs from the case's answers (path order of each)."""
    ids = list(dict.fromkeys([*patient, *given]))
    return tuple(
        HistoryDifference(qid, given.get(qid), patient.get(qid))
        for qid in ids
        if given.get(qid) != patient.get(qid)
    )


@dataclass(frozen=True, slots=True)
class Feedback:
    """Everything shown after a student commits: the marks, the result and what teaches."""

    case_id: str
    case_title: str
    expected: Outcome
    guess: Guess
    grade: Grade
    result: Result
    discriminating: tuple[Discriminator, ...]
    what_if: tuple[Change, ...]
    teaching_points: tuple[TeachingPoint, ...]
    history: tuple[HistoryDifference, ...] = ()

    @property
    def leading_changes(self) -> tuple[Change, ...]:
        """The single-answer changes that would change the leading condition."""
        return tuple(c for c in self.what_if if c.changes_leading)

    @property
    def level_changes(self) -> tuple[Change, ...]:
        """The single-answer changes that would change only the triage level."""
        return tuple(c for c in self.what_if if c.changes_level and not c.changes_leading)

    @property
    def runner_up(self) -> str | None:
        """The condition ranked second, if there is one."""
        differential = self.result.differential
        return differential[1].id if len(differential) > 1 else None

    def to_dict(self) -> dict[str, object]:
        """The scripted grading output: case, expected, guess, correct, result, feedback."""
        return {
            "case": {"id": self.case_id, "title": self.case_title},
            "expected": self.expected.to_dict(),
            "guess": self.guess.to_dict(),
            "correct": self.grade.to_dict(),
            "result": self.result.to_dict(),
            "feedback": {
                "leading": self.result.leading,
                "runner_up": self.runner_up,
                "discriminating": [
                    {
                        "favours": d.favours,
                        "over": d.over,
                        "questions": list(d.questions),
                        "finding": d.finding.text,
                        "weight": d.finding.weight,
                        "source": d.finding.source,
                        "against_other": [f.text for f in d.other],
                    }
                    for d in self.discriminating
                ],
                "what_if": [
                    {
                        "question": c.question,
                        "from": answer_json(c.before),
                        "to": answer_json(c.after),
                        "leading": c.leading,
                        "level": c.level,
                        "studies": list(c.studies),
                        "applies": c.applies,
                        "changes": c.changes,
                    }
                    for c in self.what_if
                ],
                "teaching_points": [
                    {"text": p.text, "source": p.source} for p in self.teaching_points
                ],
                "history_differences": [
                    {
                        "question": h.question,
                        "given": answer_json(h.given),
                        "patient": answer_json(h.patient),
                    }
                    for h in self.history
                ],
            },
        }


def feedback(
    questionnaire: Questionnaire,
    *,
    case_id: str,
    case_title: str,
    expected: Outcome,
    teaching_points: Sequence[TeachingPoint],
    answers: Mapping[str, Answer],
    guess: Guess,
    patient_answers: Mapping[str, Answer] | None = None,
) -> Feedback:
    """Grade a guess and gather the feedback for the answers on a path.

    Args:
        questionnaire: the case's questionnaire.
        case_id: the case's id, for the output.
        case_title: the case's title, for the output.
        expected: what the case should come to.
        teaching_points: the case's points, with their sources.
        answers: the path answers the result is made from (the case's, or the student's own).
        guess: what the student committed to.
        patient_answers: the case's answers, when the student took the history: the feedback
            then lists where the two differ.
    """
    result = score(questionnaire, answers)
    changes, _ = what_if(questionnaire, answers, result)
    differences = (
        history_differences(answers, patient_answers) if patient_answers is not None else ()
    )
    return Feedback(
        case_id=case_id,
        case_title=case_title,
        expected=expected,
        guess=guess,
        grade=grade(guess, expected),
        result=result,
        discriminating=discriminating(contributions(questionnaire, answers, result)),
        what_if=changes,
        teaching_points=tuple(teaching_points),
        history=differences,
    )


def sitting_order(ids: Sequence[str], first: str | None, rng: random.Random) -> list[str]:
    """The order cases come in one sitting: ``first`` (if given), then the rest shuffled.

    Every case comes once before any comes again; a seeded ``rng`` gives the same order each
    time, so a teacher can hand a class the same sequence.
    """
    rest = [i for i in ids if i != first]
    rng.shuffle(rest)
    return [first, *rest] if first is not None else rest
