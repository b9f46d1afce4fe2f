"""The questionnaire as data: questions, routes, conditions and outcome rules.

Standard library only, frozen and slotted. Conditions are evaluated here by
walking their data; nothing in a questionnaire is ever run as code.
"""

# Annotations are evaluated (no ``from __future__ import annotations``): typing.NamedTuple
# compiles every string annotation into a ForwardRef when the module is imported, which
# costs each scripted run about a millisecond over these records.

import itertools
import operator
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Literal, NamedTuple, TypeVar

from hamstring_cli.errors import (
    EXCERPT,
    Place,
    assert_never,
    describe_type,
    short_number,
    short_text,
)
from hamstring_cli.question_types import TYPES, Answer

# The message helpers (``describe_type``, ``short_text``...) and ``Answer`` live in errors and
# question_types; they are named here too, where the records' users have always found them.
__all__ = [
    "DEFAULT_SCOPE_REASON",
    "END",
    "EXCERPT",
    "IMAGING_CHOICES",
    "LEVELS",
    "LEVEL_RANK",
    "LEVEL_TIMEFRAMES",
    "MODALITIES",
    "NO_IMAGING",
    "QUESTION_CONDITIONS",
    "TIMEFRAMES",
    "TIMEFRAME_RANK",
    "TIMEFRAME_WORDS",
    "Advised",
    "All",
    "Answer",
    "Answered",
    "Answers",
    "AnyOf",
    "AtLeast",
    "Compare",
    "Condition",
    "ConditionDef",
    "ConfidenceRule",
    "Contains",
    "Equals",
    "Group",
    "ImagingRule",
    "Leading",
    "LevelText",
    "Named",
    "Not",
    "Note",
    "OneOf",
    "Option",
    "Outcomes",
    "Predicate",
    "Question",
    "QuestionCondition",
    "QuestionType",
    "Questionnaire",
    "RedFlagRule",
    "Reference",
    "Route",
    "SafetyNetRule",
    "Scope",
    "ScopeRule",
    "ScoreRule",
    "Studies",
    "TriageRule",
    "children",
    "describe_type",
    "fill",
    "holds",
    "holds_so_far",
    "id_words",
    "level_timeframe",
    "most_pressing",
    "most_urgent_timeframe",
    "place_blind",
    "placeholder_parts",
    "placeholders",
    "predicate",
    "questions_in",
    "short_number",
    "short_text",
    "study_key",
    "walk_condition",
]

#: A question's ``type``: a name in :data:`hamstring_cli.question_types.TYPES`, the one table of
#: question types (their parsing, answers, words, prompts and uncertainty rule).
QuestionType = str

#: Answers as the engine holds them (:data:`hamstring_cli.question_types.Answer`: a choice value,
#: a tuple of multi values, or a whole number), by question id.
Answers = Mapping[str, Answer]

#: Triage levels, most pressing first (the contract fixes them).
LEVELS: tuple[str, ...] = ("emergency", "urgent", "soon", "routine")
LEVEL_RANK: Mapping[str, int] = MappingProxyType({name: i for i, name in enumerate(LEVELS)})
#: Imaging studies (the contract fixes them).
MODALITIES: tuple[str, ...] = ("MRI", "X-ray", "ultrasound")
#: No imaging now: an imaging rule's modality that advises none, and a student's call.
NO_IMAGING = "none"
#: An imaging decision: a modality, or no imaging now.
IMAGING_CHOICES: tuple[str, ...] = (*MODALITIES, NO_IMAGING)
#: How soon, most pressing first: the one machine-readable timeframe of a result, a study, a
#: red flag or a safety-net sign. Each is also plain enough to print ("within 48 hours").
TIMEFRAMES: tuple[str, ...] = (
    "now",
    "within 4 hours",
    "same day",
    "within 48 hours",
    "within days",
    "within 2 weeks",
    "routine",
)
TIMEFRAME_RANK: Mapping[str, int] = MappingProxyType({name: i for i, name in enumerate(TIMEFRAMES)})
#: The timeframes each level allows: the level's own first, then the sharper ones it allows.
LEVEL_TIMEFRAMES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "emergency": ("now", "within 4 hours"),
        "urgent": ("within days", "within 4 hours", "same day", "within 48 hours"),
        "soon": ("within 2 weeks",),
        "routine": ("routine",),
    }
)
#: A timeframe as a sentence reads it: "URGENT: the same day", "an MRI, within days".
TIMEFRAME_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "now": "now",
        "within 4 hours": "within 4 hours",
        "same day": "the same day",
        "within 48 hours": "within 48 hours",
        "within days": "within days",
        "within 2 weeks": "within 2 weeks",
        "routine": "routine",
    }
)
#: The name that ends a path when used as a ``next`` target.
END = "end"


def level_timeframe(level: str) -> str:
    """The timeframe a level gives when nothing sharper is declared."""
    return LEVEL_TIMEFRAMES[level][0]


def most_urgent_timeframe(timeframes: "list[str]") -> str | None:
    """The most pressing of some timeframes, or ``None`` for none."""
    return min(timeframes, key=TIMEFRAME_RANK.__getitem__) if timeframes else None


_T = TypeVar("_T", bound=tuple[object, ...])


def place_blind(cls: type[_T]) -> type[_T]:
    """Make a record with an ``at`` field compare and hash without it.

    Where a rule is written does not change what it means: a questionnaire loaded from the
    cache (which keeps no line numbers) equals the same file loaded with every place. Optional
    fields added after ``at`` still count.
    """
    at = list(getattr(cls, "_fields", ())).index("at")

    def _meaning(record: tuple[object, ...]) -> tuple[object, ...]:
        return record[:at] + record[at + 1 :]

    def __eq__(self: tuple[object, ...], other: object) -> bool:
        return (
            type(self) is type(other)
            and isinstance(other, tuple)
            and _meaning(self) == _meaning(other)
        )

    def __ne__(self: tuple[object, ...], other: object) -> bool:
        return not __eq__(self, other)

    def __hash__(self: tuple[object, ...]) -> int:
        return hash(_meaning(self))

    setattr(cls, "__eq__", __eq__)  # noqa: B010 - assigning a method to a built class
    setattr(cls, "__ne__", __ne__)  # noqa: B010
    setattr(cls, "__hash__", __hash__)  # noqa: B010
    return cls


def most_pressing(levels: list[str]) -> str | None:
    """The most pressing of some levels, or ``None`` for none."""
    return min(levels, key=LEVEL_RANK.__getitem__) if levels else None


# ---------------------------------------------------------------------------------------------
# Conditions


@place_blind
class Equals(NamedTuple):
    """The answer to ``question`` is ``value``."""

    question: str
    value: str | int
    at: Place | None = None


@place_blind
class OneOf(NamedTuple):
    """The answer to ``question`` is one of ``values``."""

    question: str
    values: tuple[str | int, ...]
    at: Place | None = None


@place_blind
class Contains(NamedTuple):
    """A ``multi`` answer includes ``value``, or (with several values) any of them."""

    question: str
    values: tuple[str, ...]
    at: Place | None = None


@place_blind
class Compare(NamedTuple):
    """A numeric comparison of an ``integer`` answer: ``op`` is lt, lte, gt or gte."""

    question: str
    op: Literal["lt", "lte", "gt", "gte"]
    value: int
    at: Place | None = None


@place_blind
class Answered(NamedTuple):
    """The question was answered on the path taken."""

    question: str
    at: Place | None = None


@place_blind
class All(NamedTuple):
    """Every one of ``items`` holds."""

    items: tuple["Condition", ...]
    at: Place | None = None


@place_blind
class AnyOf(NamedTuple):
    """At least one of ``items`` holds."""

    items: tuple["Condition", ...]
    at: Place | None = None


@place_blind
class Not(NamedTuple):
    """``item`` does not hold."""

    item: "Condition"
    at: Place | None = None


@place_blind
class AtLeast(NamedTuple):
    """At least ``needed`` of ``items`` hold."""

    needed: int
    items: tuple["Condition", ...]
    at: Place | None = None


@place_blind
class Leading(NamedTuple):
    """The leading condition of the differential is ``condition`` (outcome rules only)."""

    condition: str
    at: Place | None = None


@place_blind
class Named(NamedTuple):
    """A named rule of the questionnaire (``{rule: NAME}``): ``item`` is its condition.

    The loader resolves the name when it reads the file, so a named rule is evaluated as its
    condition; the name is kept for the words that show it (documents, graphs, explanations).
    """

    name: str
    item: "Condition"
    at: Place | None = None
    description: str = ""


@place_blind
class Advised(NamedTuple):
    """The result advises a study of ``modality`` (triage rules and notes only).

    The advised studies are known once the imaging rules have run, so only the rules read
    after them (triage rules and evidence notes) may ask.
    """

    modality: str
    at: Place | None = None
    #: Where: only a study of this site counts (None: any site).
    site: str | None = None


def study_key(modality: str, site: str | None) -> str:
    """How an advised study is named for an ``advised`` condition: ``X-ray`` or ``X-ray@ankle``."""
    return f"{modality}@{site}" if site else modality


#: The forms of condition that read one question.
QUESTION_CONDITIONS = (Equals, OneOf, Contains, Compare, Answered)
QuestionCondition = Equals | OneOf | Contains | Compare | Answered
#: The forms of condition that group others: every one, any one, at least some.
Group = All | AnyOf | AtLeast

#: Every form of condition, declared once: each dispatch on a condition matches its forms and
#: ends in :func:`~hamstring_cli.errors.assert_never`, so the type checker names every place a
#: new form must reach (``typing.get_args(Condition)`` lists them for the tests).
Condition = (
    Equals
    | OneOf
    | Contains
    | Compare
    | Answered
    | All
    | AnyOf
    | Not
    | AtLeast
    | Leading
    | Named
    | Advised
)
#: The studies a result advises, as a condition reads them: each modality, and each modality at
#: its site (:func:`study_key`).
Studies = frozenset[str]
_NO_STUDIES: Studies = frozenset()

_COMPARE: Mapping[str, Callable[[int, int], bool]] = MappingProxyType(
    {"lt": operator.lt, "lte": operator.le, "gt": operator.gt, "gte": operator.ge}
)


#: A condition made ready to evaluate: ``predicate(answers, leading, studies)``.
Predicate = Callable[[Answers, "str | None", Studies], bool]
_MISSING = object()
#: Predicates already made, by the id of their condition (kept with it, so an id is never
#: reused while its entry stands). Scoring a batch evaluates the same few hundred conditions
#: for every input.
_PREDICATES: dict[int, tuple[Condition, Predicate]] = {}
_MAX_PREDICATES = 100_000


def holds(
    condition: Condition,
    answers: Answers,
    leading: str | None = None,
    studies: Studies = _NO_STUDIES,
) -> bool:
    """Whether ``condition`` holds for ``answers`` (and the leading condition and the advised
    studies, once known).

    A condition on a question that was not answered is false; ``not`` of it is true.
    """
    entry = _PREDICATES.get(id(condition))
    if entry is None or entry[0] is not condition:
        if len(_PREDICATES) >= _MAX_PREDICATES:
            _PREDICATES.clear()
        entry = _PREDICATES[id(condition)] = (condition, predicate(condition))
    return entry[1](answers, leading, studies)


def predicate(condition: Condition) -> Predicate:
    """Turn a condition into nested plain functions, once, instead of reading it every time.

    The functions only compare answers with the condition's values: nothing in a condition
    is ever run as code.
    """
    match condition:
        case Equals() | OneOf() | Contains() | Compare() | Answered():
            return _question_predicate(condition)
        case Leading():
            name = condition.condition
            return lambda _answers, leading, _studies: leading == name
        case Advised():
            key = study_key(condition.modality, condition.site)
            return lambda _answers, _leading, studies: key in studies
        case Named():
            return predicate(condition.item)
        case Not():
            inner = predicate(condition.item)
            return lambda answers, leading, studies: not inner(answers, leading, studies)
        case All() | AnyOf() | AtLeast():
            return _group_predicate(condition)
        case _:
            assert_never(condition)


def _question_predicate(condition: QuestionCondition) -> Predicate:
    question = condition.question
    match condition:
        case Equals():
            value = condition.value
            return lambda answers, _leading, _studies: answers.get(question, _MISSING) == value
        case OneOf():
            values = condition.values
            return lambda answers, _leading, _studies: answers.get(question, _MISSING) in values
        case Contains():
            wanted = condition.values

            def contains(answers: Answers, _leading: str | None, _studies: Studies) -> bool:
                given = answers.get(question)
                return isinstance(given, tuple) and any(v in given for v in wanted)

            return contains
        case Compare():
            compare, bound = _COMPARE[condition.op], condition.value

            def compares(answers: Answers, _leading: str | None, _studies: Studies) -> bool:
                given = answers.get(question)
                return isinstance(given, int) and compare(given, bound)

            return compares
        case Answered():
            return lambda answers, _leading, _studies: question in answers
        case _:
            assert_never(condition)


def _group_predicate(condition: Group) -> Predicate:
    parts = tuple(predicate(c) for c in condition.items)
    match condition:
        case All():

            def every(answers: Answers, leading: str | None, studies: Studies) -> bool:
                # A loop, not all() over a generator: this runs a hundred times an input.
                for p in parts:  # noqa: SIM110
                    if not p(answers, leading, studies):
                        return False
                return True

            return every
        case AnyOf():

            def some(answers: Answers, leading: str | None, studies: Studies) -> bool:
                for p in parts:  # noqa: SIM110
                    if p(answers, leading, studies):
                        return True
                return False

            return some
        case AtLeast():
            needed = condition.needed

            def at_least(answers: Answers, leading: str | None, studies: Studies) -> bool:
                return sum(p(answers, leading, studies) for p in parts) >= needed

            return at_least
        case _:
            assert_never(condition)


def holds_so_far(
    condition: Condition,
    answers: Answers,
    may_come: Callable[[str], bool],
    leading: str | None = None,
) -> bool | None:
    """Kleene three-valued ``holds`` on answers so far: None when what is still to come decides.

    A question not answered yet is unknown while ``may_come`` says it can still be asked, and
    absent (as at the end of a path) once it cannot; the leading condition is unknown until it
    is given. True or False is then what :func:`holds` will say at the end, whatever comes.
    """
    match condition:
        case Equals() | OneOf() | Contains() | Compare() | Answered():
            if condition.question in answers:
                return holds(condition, answers)
            return None if may_come(condition.question) else holds(condition, {})
        case Leading():
            return None if leading is None else leading == condition.condition
        case Advised():
            # The studies are known only once the answers are all in.
            return None
        case Named():
            return holds_so_far(condition.item, answers, may_come, leading)
        case Not():
            inner = holds_so_far(condition.item, answers, may_come, leading)
            return None if inner is None else not inner
        case All() | AnyOf() | AtLeast():
            results = [holds_so_far(item, answers, may_come, leading) for item in condition.items]
            return _group_so_far(condition, results)
        case _:
            assert_never(condition)


def _group_so_far(condition: Group, results: list[bool | None]) -> bool | None:
    match condition:
        case All():
            return False if False in results else (None if None in results else True)
        case AnyOf():
            return True if True in results else (None if None in results else False)
        case AtLeast():
            true, unknown = results.count(True), results.count(None)
            if true >= condition.needed:
                return True
            return False if true + unknown < condition.needed else None
        case _:
            assert_never(condition)


def children(condition: Condition) -> "tuple[Condition, ...]":
    """The conditions written directly inside ``condition``, in order (none in a leaf)."""
    match condition:
        case All() | AnyOf() | AtLeast():
            return condition.items
        case Not() | Named():
            return (condition.item,)
        case Equals() | OneOf() | Contains() | Compare() | Answered() | Leading() | Advised():
            return ()
        case _:
            assert_never(condition)


def walk_condition(condition: Condition) -> list[Condition]:
    """The condition and every condition nested in it, depth first."""
    out: list[Condition] = [condition]
    for item in children(condition):
        out.extend(walk_condition(item))
    return out


def questions_in(condition: Condition) -> set[str]:
    """The question ids a condition reads."""
    return {c.question for c in walk_condition(condition) if isinstance(c, QUESTION_CONDITIONS)}


# ---------------------------------------------------------------------------------------------
# Questions


@place_blind
class Option(NamedTuple):
    """One answer a ``choice`` or ``multi`` question offers."""

    value: str
    label: str
    help: str = ""
    next: str | None = None
    uncertain: bool = False
    at: Place | None = None


@place_blind
class Route(NamedTuple):
    """Go to ``next`` when ``when`` holds (routes are tried in order)."""

    when: Condition
    next: str
    at: Place | None = None


@place_blind
class Question(NamedTuple):
    """One question of the tree."""

    id: str
    type: QuestionType
    prompt: str
    help: str = ""
    section: str = ""
    options: tuple[Option, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    unit: str = ""
    routes: tuple[Route, ...] = ()
    next: str | None = None
    at: Place | None = None

    @property
    def values(self) -> tuple[str, ...]:
        """The option values, in order."""
        return tuple(o.value for o in self.options)

    def option(self, value: str) -> Option | None:
        """The option with this value, if there is one."""
        for o in self.options:
            if o.value == value:
                return o
        return None

    def allowed(self) -> tuple[str, ...]:
        """What this question accepts, as words for a message."""
        return TYPES[self.type].allowed(self)

    def validate(self, raw: object) -> Answer:
        """Turn a raw answer (from a file or a prompt) into a valid answer, or raise.

        Raises:
            InvalidAnswer: the value is of the wrong type, not an option, or out of range.
        """
        return TYPES[self.type].validate(self, raw)

    def words(self, answer: Answer) -> str:
        """The answer in plain words, as the report shows it."""
        return TYPES[self.type].words(self, answer)

    def is_uncertain(self, answer: Answer) -> bool:
        """Whether the answer is an 'unsure' or 'not done' kind of answer."""
        return TYPES[self.type].uncertain(self, answer)


# ---------------------------------------------------------------------------------------------
# Outcomes


@place_blind
class Reference(NamedTuple):
    """A source that rules cite: a print-ready citation and, optionally, where to open it.

    ``verified`` False marks a source whose details could not be confirmed; the generated
    clinical logic says so beside the rules that rest on it alone. It is never shown to users.
    """

    id: str
    citation: str
    at: Place | None = None
    url: str | None = None
    verified: bool = True


@place_blind
class TriageRule(NamedTuple):
    """The level a condition gives when it leads (first matching rule wins)."""

    level: str
    advice: str
    source: str
    when: Condition | None = None
    at: Place | None = None
    timeframe: str | None = None
    #: A shorter form of ``advice`` for the decision on one screen (the report gives both).
    summary: str | None = None


@place_blind
class ConditionDef(NamedTuple):
    """One condition of the differential."""

    id: str
    label: str
    description: str = ""
    triage: tuple[TriageRule, ...] = ()
    at: Place | None = None


@place_blind
class ScoreRule(NamedTuple):
    """Adds ``weight`` to ``condition`` when ``when`` holds; ``reason`` is a for/against finding."""

    condition: str
    when: Condition
    weight: float
    reason: str
    source: str
    at: Place | None = None
    #: The finding in fewer words, for the decision on one screen.
    summary: str | None = None


@place_blind
class RedFlagRule(NamedTuple):
    """A red flag raised when ``when`` holds.

    ``timeframe`` (one of :data:`TIMEFRAMES`, within the level's) says how soon; left out, the
    level's own (:func:`level_timeframe`).
    """

    id: str
    when: Condition
    level: str
    advice: str
    source: str
    at: Place | None = None
    timeframe: str | None = None
    #: What to do, shorter than ``advice``, for the decision on one screen.
    summary: str | None = None
    #: A short name for the flag ('Possible cauda equina syndrome'); "" reads the id as words.
    name: str = ""

    @property
    def title(self) -> str:
        """The flag's name in words: its ``name``, or else its id as words."""
        return self.name or id_words(self.id)


def id_words(identifier: str) -> str:
    """An id in words: 'cauda_equina' -> 'Cauda equina'."""
    words = identifier.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


@place_blind
class ImagingRule(NamedTuple):
    """An imaging study called for when ``when`` holds; ``modality`` None means 'none now'.

    ``site`` is where to image ("hamstring origin", "lumbar spine"): one study a site.
    ``timeframe`` (one of :data:`TIMEFRAMES`, within the urgency's) says how soon; left out, the
    urgency's own.
    """

    when: Condition
    modality: str | None
    urgency: str | None
    reason: str
    source: str
    at: Place | None = None
    site: str | None = None
    timeframe: str | None = None
    #: A shorter form of ``reason`` for the decision on one screen.
    summary: str | None = None


class LevelText(NamedTuple):
    """The plain words for a triage level."""

    label: str
    timeframe: str
    advice: str


@place_blind
class Note(NamedTuple):
    """An evidence note for the report, with its source."""

    text: str
    source: str
    when: Condition | None = None
    at: Place | None = None


@place_blind
class SafetyNetRule(NamedTuple):
    """When to come back or seek help at once, tailored to the result by ``when``.

    With a ``timeframe`` it is a sign to watch for (``summary``: the sign in a few words, "a
    tense, swollen thigh"), grouped under how soon to seek help; without one it is an
    instruction ("avoid anti-inflammatory painkillers"). ``text`` says it in full.
    """

    text: str
    source: str
    summary: str | None = None
    timeframe: str | None = None
    when: Condition | None = None
    at: Place | None = None


@place_blind
class ScopeRule(NamedTuple):
    """When ``when`` holds, the questionnaire's rule does not cover the patient; ``reason`` says
    why in plain words."""

    when: Condition
    reason: str
    source: str
    at: Place | None = None


#: What a result says of its scope when the questionnaire declares nothing of it.
DEFAULT_SCOPE_REASON = "The questionnaire applies: no limit of its scope is reached."


class Scope(NamedTuple):
    """Whom the questionnaire's rules cover: ``reason`` when they apply, and the exclusions."""

    reason: str = DEFAULT_SCOPE_REASON
    exclusions: tuple[ScopeRule, ...] = ()
    source: str | None = None


class ConfidenceRule(NamedTuple):
    """How sure the ranking is: margins between the top two scores, and the uncertain share."""

    high_margin: float = 4.0
    moderate_margin: float = 2.0
    max_uncertain_fraction: float = 0.5


class Outcomes(NamedTuple):
    """Everything that turns a transcript into a result."""

    conditions: tuple[ConditionDef, ...]
    scores: tuple[ScoreRule, ...] = ()
    red_flags: tuple[RedFlagRule, ...] = ()
    imaging: tuple[ImagingRule, ...] = ()
    no_imaging_reason: str = "No imaging is needed now."
    levels: Mapping[str, LevelText] = MappingProxyType({})
    notes: tuple[Note, ...] = ()
    confidence: ConfidenceRule = ConfidenceRule()
    safety_net: tuple[SafetyNetRule, ...] = ()
    #: Triage rules that apply whatever condition leads: every one that holds counts.
    triage: tuple[TriageRule, ...] = ()
    scope: Scope = Scope()

    def condition(self, condition_id: str) -> ConditionDef | None:
        """The condition with this id, if there is one."""
        for c in self.conditions:
            if c.id == condition_id:
                return c
        return None


class Questionnaire:
    """A whole questionnaire, checked and ready to run (equal only to itself).

    A plain slotted class rather than a record: it derives lookup tables once when it is
    made, and compares by identity, so caches can key on it cheaply.
    """

    __slots__ = (
        "_following",
        "by_id",
        "content_hash",
        "description",
        "disclaimer",
        "disclaimer_summary",
        "id",
        "next_at",
        "outcomes",
        "questions",
        "references",
        "required",
        "required_at",
        "rules",
        "source",
        "start",
        "start_at",
        "title",
        "version",
    )

    def __init__(
        self,
        id: str,
        version: str,
        title: str,
        questions: tuple[Question, ...],
        outcomes: Outcomes,
        description: str = "",
        disclaimer: str = "",
        references: tuple[Reference, ...] = (),
        start: str = "",
        required: tuple[str, ...] = (),
        source: str = "<memory>",
        content_hash: str = "",
        *,
        start_at: Place | None = None,
        required_at: tuple[Place | None, ...] = (),
        next_at: Mapping[tuple[str, str], Place] | None = None,
        disclaimer_summary: str = "",
        rules: tuple[Named, ...] = (),
    ) -> None:
        self.id = id
        self.version = version
        self.title = title
        self.questions = questions
        self.outcomes = outcomes
        self.description = description
        self.disclaimer = disclaimer
        #: The disclaimer in fewer words, for the decision on one screen (else the whole).
        self.disclaimer_summary = disclaimer_summary or disclaimer
        self.references = references
        self.start = start or (questions[0].id if questions else "")
        self.required = required
        self.source = source
        self.content_hash = content_hash
        #: Where ``start`` and each ``required`` entry stand in the file, for diagnostics.
        self.start_at = start_at
        self.required_at = required_at
        #: Where each ``next`` stands: ``(question id, "next")``, ``(id, "option VALUE")``,
        #: ``(id, "route N")`` (1-based), for the checker's messages.
        self.next_at: Mapping[tuple[str, str], Place] = next_at or {}
        #: The named rules (``{rule: NAME}`` conditions), in file order.
        self.rules = rules
        self.by_id: Mapping[str, Question] = MappingProxyType({q.id: q for q in questions})
        # Where each question falls through to, by id: finding a question with tuple.index
        # compares questions field by field, on every step of every walk.
        ids = [q.id for q in questions]
        self._following: Mapping[str, str] = dict(itertools.pairwise(ids))

    def __repr__(self) -> str:
        return f"Questionnaire(id={self.id!r}, version={self.version!r}, source={self.source!r})"

    def question(self, question_id: str) -> Question:
        """The question with this id (``KeyError`` when there is none)."""
        return self.by_id[question_id]

    def reference(self, reference_id: str) -> Reference | None:
        """The reference with this id, if there is one."""
        for r in self.references:
            if r.id == reference_id:
                return r
        return None

    def successors(self, question: Question) -> list[str]:
        """Every target a question can route to, in order, with the fall-through last."""
        targets = [o.next for o in question.options if o.next]
        targets += [r.next for r in question.routes]
        targets.append(self.default_next(question))
        return list(dict.fromkeys(targets))

    def default_next(self, question: Question) -> str:
        """Where a question goes when no option or route says otherwise."""
        if question.next:
            return question.next
        return self._following.get(question.id, END)

    def next_after(self, question: Question, answers: Answers) -> str:
        """Where the path goes after ``question``, given the answers so far."""
        answer = answers.get(question.id)
        # Only an answer of one option can route by it (the format allows ``next`` only there).
        if isinstance(answer, str):
            option = question.option(answer)
            if option is not None and option.next:
                return option.next
        for route in question.routes:
            if holds(route.when, answers):
                return route.next
        return self.default_next(question)


_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)(?:\|([^{}|]*))?\}")


def placeholders(text: str) -> list[str]:
    """The question ids of the ``{question_id}`` placeholders in a piece of advice."""
    return [name for name, _ in placeholder_parts(text)]


def placeholder_parts(text: str) -> list[tuple[str, str | None]]:
    """Each placeholder's question id and its fallback (``{days|an unknown day}``), if any."""
    return [
        (m.group(1), m.group(2) if m.group(2) is not None else None)
        for m in _PLACEHOLDER.finditer(text)
    ]


def fill(text: str, questionnaire: Questionnaire, answers: Answers) -> str:
    """Put answers into ``{question_id}`` placeholders (plain substitution, never code).

    A placeholder whose question was not answered gives its fallback (``{question_id|words}``);
    the checker refuses one without a fallback that can be shown with its question unanswered.
    """

    if "{" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        qid = match.group(1)
        if qid in answers and qid in questionnaire.by_id:
            value = answers[qid]
            return str(value) if isinstance(value, int) else questionnaire.by_id[qid].words(value)
        fallback = match.group(2)
        return fallback if fallback is not None else match.group(0)

    return _PLACEHOLDER.sub(one, text)
