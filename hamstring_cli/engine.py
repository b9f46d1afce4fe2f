"""Walk a questionnaire's tree: the pure engine and the one driver.

Standard library only. A :class:`Session` holds every answer given, including
answers that a changed earlier answer took off the path; the path is always re-walked from
the start, so going back and changing an answer keeps the later answers still on the path.
"""

# Annotations are evaluated (no ``from __future__ import annotations``): each string annotation
# of a NamedTuple is compiled when its class is made, on every run's start-up.

from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple, Protocol

from hamstring_cli.errors import MissingAnswers
from hamstring_cli.model import END, Answer, Question, Questionnaire

__all__ = ["BACK", "Back", "PresetAnswers", "Session", "drive"]


class Step(NamedTuple):
    """One question on the path taken, with its answer."""

    question: Question
    answer: Answer


class Position(NamedTuple):
    """Where the session stands: the question number and how many may follow."""

    number: int
    remaining_min: int
    remaining_max: int

    def words(self) -> str:
        """``question 7, about 12 to go``."""
        if self.remaining_max == 0:
            return f"question {self.number}, the last"
        if self.remaining_min == self.remaining_max:
            return f"question {self.number}, {self.remaining_max} to go"
        return f"question {self.number}, about {self.remaining_max} to go"


class _Walk:
    """The path walked so far: its steps, their answers, and where it stopped."""

    __slots__ = ("current", "on_path", "seen", "steps")

    def __init__(
        self, steps: list[Step], on_path: dict[str, Answer], seen: set[str], current: str
    ) -> None:
        self.steps = steps
        self.on_path = on_path
        self.seen = seen
        self.current = current


class Session:
    """One run through a questionnaire.

    ``answers`` may be given up front (an answer file, a resumed session); they are used as
    the walk reaches them. Answers are validated by their question before they are kept.
    """

    def __init__(self, questionnaire: Questionnaire, answers: Mapping[str, Answer] | None = None):
        self.questionnaire = questionnaire
        self._answers: dict[str, Answer] = dict(answers or {})
        self._revisit: str | None = None
        self._walked: _Walk | None = None

    # -- reading -------------------------------------------------------------------------------

    @property
    def answers(self) -> dict[str, Answer]:
        """Every answer held, on the path or not (a copy)."""
        return dict(self._answers)

    def walk(self) -> tuple[list[Step], Question | None]:
        """The answered steps on the path, and the first unanswered question (None at the end).

        The walk is kept until the answers change, and an answer to the question the walk
        stopped at extends it: a session of thousands of questions stays linear.
        """
        if self._walked is None:
            self._walked = _Walk([], {}, set(), self.questionnaire.start)
            self._extend(self._walked)
        walked = self._walked
        current = None if walked.current == END else self.questionnaire.question(walked.current)
        if current is not None and current.id in walked.seen:
            current = None  # a cycle: the checker refuses these; stop rather than loop
        return list(walked.steps), current

    def _extend(self, walked: _Walk) -> None:
        q = self.questionnaire
        current = walked.current
        while current != END and current not in walked.seen:
            question = q.question(current)
            if current not in self._answers:
                break
            walked.seen.add(current)
            walked.on_path[current] = self._answers[current]
            walked.steps.append(Step(question, self._answers[current]))
            current = q.next_after(question, walked.on_path)
        walked.current = current

    @property
    def transcript(self) -> list[Step]:
        """The questions on the path taken, in the order asked, with their answers."""
        return self.walk()[0]

    @property
    def path_answers(self) -> dict[str, Answer]:
        """The answers on the path, in the order asked (what a result reports)."""
        return {s.question.id: s.answer for s in self.transcript}

    @property
    def unused(self) -> list[str]:
        """Ids of answers held that the path does not reach."""
        used = {s.question.id for s in self.transcript}
        return [qid for qid in self._answers if qid not in used]

    @property
    def current(self) -> Question | None:
        """The question to ask now: one being revisited, else the first unanswered."""
        if self._revisit is not None:
            return self.questionnaire.question(self._revisit)
        return self.walk()[1]

    @property
    def finished(self) -> bool:
        """Whether the path has reached its end with every question answered."""
        return self.current is None

    def position(self) -> Position:
        """The number of the current question and how many may follow it."""
        steps = self.transcript
        target = self.current
        if target is None:
            return Position(len(steps), 0, 0)
        ids = [s.question.id for s in steps]
        number = ids.index(target.id) + 1 if target.id in ids else len(steps) + 1
        low, high = _remaining(self.questionnaire, target.id)
        return Position(number, low, high)

    # -- changing ------------------------------------------------------------------------------

    def answer(self, raw: object) -> Answer:
        """Validate and keep an answer to the current question, then move on.

        Raises:
            InvalidAnswer: the value is not allowed for the question.
            RuntimeError: the session is finished.
        """
        question = self.current
        if question is None:
            raise RuntimeError("the session is finished: there is no question to answer")
        value = question.validate(raw)
        walked = self._walked
        extends = walked is not None and self._revisit is None and walked.current == question.id
        self._answers[question.id] = value
        self._revisit = None
        if walked is not None and extends:
            self._extend(walked)
        else:
            self._walked = None
        return value

    def back(self) -> bool:
        """Go to the question before the current one on the path. False at the first question."""
        steps, _ = self.walk()
        ids = [s.question.id for s in steps]
        target = self.current
        index = ids.index(target.id) if target is not None and target.id in ids else len(ids)
        if index == 0:
            return False
        self._revisit = ids[index - 1]
        return True

    def revisit(self, question_id: str) -> None:
        """Ask an answered question on the path again (its answer stays until replaced).

        Raises:
            KeyError: the question is not on the path taken.
        """
        if question_id not in {s.question.id for s in self.transcript}:
            raise KeyError(question_id)
        self._revisit = question_id


@lru_cache(maxsize=8)
def _distances(questionnaire: Questionnaire) -> dict[str, tuple[int, int]]:
    """For each question, the fewest and most questions from it (inclusive) to the end.

    An iterative depth-first walk (a tree thousands of questions deep needs no deep stack).
    """
    memo: dict[str, tuple[int, int]] = {END: (0, 0)}
    on_path: set[str] = set()
    for root in questionnaire.questions:
        if root.id in memo:
            continue
        stack: list[tuple[str, bool]] = [(root.id, False)]
        while stack:
            qid, done = stack.pop()
            if done:
                on_path.discard(qid)
                ends = [
                    memo.get(t, (0, 0))  # a cycle: the checker refuses these
                    for t in questionnaire.successors(questionnaire.question(qid))
                ]
                memo[qid] = (1 + min(e[0] for e in ends), 1 + max(e[1] for e in ends))
                continue
            if qid in memo or qid in on_path:
                continue
            on_path.add(qid)
            stack.append((qid, True))
            for target in questionnaire.successors(questionnaire.question(qid)):
                if target not in memo and target not in on_path:
                    stack.append((target, False))
    del memo[END]
    return memo


def _remaining(questionnaire: Questionnaire, question_id: str) -> tuple[int, int]:
    low, high = _distances(questionnaire)[question_id]
    return low - 1, high - 1


class Back:
    """Returned by an answer source to go back one question."""


BACK = Back()


class AnswerSource(Protocol):
    """Where answers come from: an answer file, the terminal."""

    def answer(self, question: Question, session: Session) -> object:
        """A raw answer to ``question`` (validated by the driver), or :data:`BACK`."""
        ...


def drive(session: Session, source: AnswerSource) -> Session:
    """Ask ``source`` for each question the session still needs until the path ends.

    An invalid answer is passed back to the source by raising ``InvalidAnswer``; a source that
    cannot answer raises :class:`MissingAnswers` (or lets an interrupt through); the session
    keeps every answer given so far either way.
    """
    while (question := session.current) is not None:
        raw = source.answer(question, session)
        if isinstance(raw, Back):
            session.back()
            continue
        session.answer(raw)
    return session


class PresetAnswers:
    """An answer source that has no answers of its own: every question asked is missing."""

    def answer(self, question: Question, session: Session) -> object:
        """Raise :class:`MissingAnswers` for the first question the given answers leave open."""
        raise MissingAnswers(question.id, dict(session.answers))
