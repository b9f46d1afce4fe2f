"""The question types, declared once: the one place to touch to add a type.

Below the records of :mod:`hamstring_cli.model` (whose ``Question`` dispatches to it):
standard library and the error catalogue only; it reads a question through the :class:`Asked`
shape, never imports the records. Each entry of :data:`TYPES` says, for one ``type:`` of a
question,

- **its parsing**: whether the question lists ``options`` (and whether an option may route with
  ``next`` or be ``uncertain``) or takes a range (``min``, ``max``, ``unit``). The format's
  declaration (``format_spec``) and the parser (``loader``) read these flags, so the keys each
  type allows, the schema and the doc tables follow;
- **its validation of an answer** (from an answer file, a FHIR response or a prompt) and the
  words for what it allows;
- **its words for an answer**, as reports show it;
- **its uncertainty rule**: whether an answer counts as "not sure / not done" for confidence;
- **its JSON shape**, in words (``json_shape``); one conversion, :func:`answer_json`, writes every
  answer to a result, an explanation, a practice record or a saved session (CSV batch rows
  carry the result, not the answers);
- **its prompt**: the name of the function in :mod:`hamstring_cli.intake.asks` that describes
  the prompt as an ``Ask`` (drawn by questionary, or as numbered lines with ``--plain``). It is a
  name, not the function, so this table never imports the terminal layer (nor rich or
  questionary): the intake looks it up in its typed table ``PROMPTS`` when a prompt is drawn;
- **its FHIR form**: the ``type`` of its Questionnaire item (``fhir_type``) and the key that
  holds each answer of a QuestionnaireResponse and each ``answerOption`` (``fhir_value``:
  ``valueCoding`` for a code among the options, ``valueInteger`` for a number). The export and
  the response reader read them here; ``many`` makes an item repeat and leaves it optional.

Adding a type is one new entry here, naming a prompt function of ``intake/asks.py`` (a new one
goes into its ``PROMPTS``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Protocol

from hamstring_cli.errors import (
    Code,
    Invalid,
    InvalidAnswer,
    allowed_text,
    describe_type,
    did_you_mean,
)

__all__ = [
    "CODING",
    "NONE_WORDS",
    "OPTION_TYPES",
    "QUESTION_TYPES",
    "RANGE_TYPES",
    "ROUTING_OPTION_TYPES",
    "TYPES",
    "UNCERTAIN_OPTION_TYPES",
    "Answer",
    "Asked",
    "Offered",
    "QuestionKind",
    "answer_json",
    "kind",
]

#: Answers as the engine holds them, one shape a type: a choice value, a tuple of multi values
#: (in option order), or a whole number.
Answer = str | tuple[str, ...] | int


class Offered(Protocol):
    """What a type's rules read of an option (:class:`hamstring_cli.model.Option` is one)."""

    @property
    def value(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def uncertain(self) -> bool: ...


class Asked(Protocol):
    """What a type's rules read of a question (:class:`hamstring_cli.model.Question` is one).

    The table reads the question through this shape, not the record's class, so the records
    of :mod:`hamstring_cli.model` may dispatch to the table without an import circle.
    """

    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def minimum(self) -> int | None: ...
    @property
    def maximum(self) -> int | None: ...
    @property
    def unit(self) -> str: ...
    @property
    def values(self) -> tuple[str, ...]: ...
    def option(self, value: str) -> Offered | None: ...
    def allowed(self) -> tuple[str, ...]: ...


#: Words that mean 'none of them' where a list of ticked options is expected.
NONE_WORDS = frozenset({"", "none", "no", "nothing", "nil", "n/a", "none of these", "null"})
_WHOLE = re.compile(r"\s*[+-]?\d+\s*")


class QuestionKind:
    """One type of question, with every rule that depends on it.

    A plain slotted class, not a NamedTuple: it is built on every run that reads a
    questionnaire, and making a NamedTuple class costs start-up time.
    """

    __slots__ = (
        "allowed",
        "doc",
        "fhir_type",
        "fhir_value",
        "json_shape",
        "many",
        "name",
        "option_routes",
        "option_uncertain",
        "options",
        "prompt",
        "uncertain",
        "validate",
        "words",
    )

    def __init__(
        self,
        *,
        name: str,
        doc: str,
        json_shape: str,
        options: bool,
        many: bool,
        option_routes: bool,
        option_uncertain: bool,
        validate: Callable[[Asked, object], Answer],
        allowed: Callable[[Asked], tuple[str, ...]],
        words: Callable[[Asked, Answer], str],
        uncertain: Callable[[Asked, Answer], bool],
        prompt: str,
        fhir_type: str,
        fhir_value: str,
    ) -> None:
        self.name = name
        #: What the type asks, in words (the clinical doc's words for a question).
        self.doc = doc
        #: The answer's shape in a JSON result or answer file, in words.
        self.json_shape = json_shape
        #: True: the question lists ``options``; False: it takes ``min``, ``max`` and ``unit``.
        self.options = options
        #: Whether an answer is a list of several options (``contains`` reads it; ``equals``
        #: does not).
        self.many = many
        #: Whether an option may route with ``next`` (the answer picks one option).
        self.option_routes = option_routes
        #: Whether an option may be marked ``uncertain``.
        self.option_uncertain = option_uncertain
        #: Turns a raw answer (a file's, a FHIR response's or a prompt's) into an answer, or
        #: raises ``InvalidAnswer`` naming the question and what is allowed.
        self.validate = validate
        #: What the question accepts, as words for a message.
        self.allowed = allowed
        #: The answer in plain words, as reports show it.
        self.words = words
        #: Whether the answer is an 'unsure' or 'not done' kind (confidence counts them).
        self.uncertain = uncertain
        #: The name of its prompt function in ``hamstring_cli.intake.asks.PROMPTS``.
        self.prompt = prompt
        #: The FHIR Questionnaire item ``type`` (``choice``, ``integer``).
        self.fhir_type = fhir_type
        #: The key of an answer's value in FHIR (``valueCoding``, ``valueInteger``): a
        #: ``valueCoding`` holds an option's code, any other key the answer itself.
        self.fhir_value = fhir_value

    def __repr__(self) -> str:
        return f"QuestionKind({self.name!r})"


# ---------------------------------------------------------------------------------------------
# The one answer-to-JSON conversion


def answer_json(answer: Answer | None) -> str | int | list[str] | None:
    """An answer as JSON (and YAML) hold it: text, a whole number, or a list of option values.

    The one conversion: results, explanations and practice records all write answers with it
    (``None``, no answer, stays ``null``).
    """
    return list(answer) if isinstance(answer, tuple) else answer


# ---------------------------------------------------------------------------------------------
# Rules shared by the types


def _wrong_type(question: Asked, expected: str, raw: object) -> InvalidAnswer:
    return InvalidAnswer(
        Invalid(
            Code.ANSWER_WRONG_TYPE,
            {"question": question.id, "expected": expected, "actual": describe_type(raw)},
            question.allowed(),
        )
    )


def _option_value(question: Asked, raw: str, *, listed: bool = False) -> str:
    if question.option(raw) is not None:
        return raw
    values = question.values
    hint = did_you_mean(raw, values)
    if listed and raw.strip().lower() in NONE_WORDS:
        hint = " (for none of them, write [])"
    raise InvalidAnswer(
        Invalid(
            Code.ANSWER_NOT_ALLOWED,
            {
                "value": raw,
                "question": question.id,
                "hint": hint,
                "allowed": allowed_text(values, limit=20),
            },
            values,
        )
    )


def _option_values(question: Asked) -> tuple[str, ...]:
    return question.values


def _label(question: Asked, value: str) -> str:
    option = question.option(value)
    return option.label if option else value


def _never_uncertain(_question: Asked, _answer: Answer) -> bool:
    return False


# ---------------------------------------------------------------------------------------------
# choice: one option


def _validate_choice(question: Asked, raw: object) -> Answer:
    if not isinstance(raw, str):
        raise _wrong_type(question, "one of the option values (a string)", raw)
    return _option_value(question, raw)


def _choice_words(question: Asked, answer: Answer) -> str:
    return _label(question, answer) if isinstance(answer, str) else str(answer)


def _choice_uncertain(question: Asked, answer: Answer) -> bool:
    if isinstance(answer, str):
        option = question.option(answer)
        return option is not None and option.uncertain
    return False


# ---------------------------------------------------------------------------------------------
# multi: any number of options, held in option order


def _validate_multi(question: Asked, raw: object) -> Answer:
    if isinstance(raw, str):
        # One value for a list of one; empty text is not "none" (that is written []).
        raw = [raw]
    if not isinstance(raw, (list, tuple)):
        raise _wrong_type(question, "a list of option values ([] for none)", raw)
    chosen: list[str] = []
    for item in raw:
        if not isinstance(item, str):
            raise _wrong_type(question, "a list of option values (strings)", item)
        value = _option_value(question, item, listed=True)
        if value in chosen:
            raise InvalidAnswer(
                Invalid(Code.ANSWER_DUPLICATE, {"value": value, "question": question.id})
            )
        chosen.append(value)
    # Held in option order, so equal choices compare equal.
    return tuple(v for v in question.values if v in chosen)


def _multi_words(question: Asked, answer: Answer) -> str:
    if isinstance(answer, tuple):
        if not answer:
            return "None of these"  # as the option reads
        return "; ".join(_label(question, v) for v in answer)
    return _choice_words(question, answer)


# ---------------------------------------------------------------------------------------------
# integer: a whole number in a range


def _integer_allowed(question: Asked) -> tuple[str, ...]:
    return (f"a whole number from {question.minimum} to {question.maximum}",)


def _out_of_range(question: Asked, value: int | str) -> InvalidAnswer:
    low = question.minimum if question.minimum is not None else "any"
    high = question.maximum if question.maximum is not None else "any"
    return InvalidAnswer(
        Invalid(
            Code.ANSWER_OUT_OF_RANGE,
            {"value": value, "question": question.id, "low": low, "high": high},
            question.allowed(),
        )
    )


def _validate_integer(question: Asked, raw: object) -> Answer:
    value: int
    if isinstance(raw, bool):
        raise _wrong_type(question, "a whole number", raw)
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _WHOLE.fullmatch(raw):
        try:
            value = int(raw)
        except ValueError:
            # More digits than Python converts: far beyond any question's range.
            raise _out_of_range(question, raw.strip()) from None
    else:
        raise _wrong_type(question, "a whole number", raw)
    low = question.minimum if question.minimum is not None else value
    high = question.maximum if question.maximum is not None else value
    if not low <= value <= high:
        raise _out_of_range(question, value)
    return value


def _integer_words(question: Asked, answer: Answer) -> str:
    if not isinstance(answer, int):
        return _multi_words(question, answer)
    unit = question.unit or ""
    if answer == 1 and unit.endswith("s") and not unit.endswith("ss"):
        unit = unit[:-1]  # '1 day', never '1 days'
    return f"{answer} {unit}".strip()


# ---------------------------------------------------------------------------------------------
# The table


TYPES: Mapping[str, QuestionKind] = MappingProxyType(
    {
        "choice": QuestionKind(
            name="choice",
            doc="choose one",
            json_shape="one option value (text)",
            options=True,
            many=False,
            option_routes=True,
            option_uncertain=True,
            validate=_validate_choice,
            allowed=_option_values,
            words=_choice_words,
            uncertain=_choice_uncertain,
            prompt="ask_choice",
            fhir_type="choice",
            fhir_value="valueCoding",
        ),
        "multi": QuestionKind(
            name="multi",
            doc="choose any that apply",
            json_shape="a list of option values ([] for none)",
            options=True,
            many=True,
            option_routes=False,
            option_uncertain=False,
            validate=_validate_multi,
            allowed=_option_values,
            words=_multi_words,
            uncertain=_never_uncertain,
            prompt="ask_multi",
            fhir_type="choice",
            fhir_value="valueCoding",
        ),
        "integer": QuestionKind(
            name="integer",
            doc="a whole number",
            json_shape="a whole number",
            options=False,
            many=False,
            option_routes=False,
            option_uncertain=False,
            validate=_validate_integer,
            allowed=_integer_allowed,
            words=_integer_words,
            uncertain=_never_uncertain,
            prompt="ask_integer",
            fhir_type="integer",
            fhir_value="valueInteger",
        ),
    }
)

#: The FHIR answer key of a code among the options (any other key holds the answer itself).
CODING = "valueCoding"

#: The types, in the order the format lists them.
QUESTION_TYPES: tuple[str, ...] = tuple(TYPES)
#: The types whose questions list options, and those whose options may route or be uncertain.
OPTION_TYPES: tuple[str, ...] = tuple(n for n, k in TYPES.items() if k.options)
RANGE_TYPES: tuple[str, ...] = tuple(n for n, k in TYPES.items() if not k.options)
ROUTING_OPTION_TYPES: tuple[str, ...] = tuple(n for n, k in TYPES.items() if k.option_routes)
UNCERTAIN_OPTION_TYPES: tuple[str, ...] = tuple(n for n, k in TYPES.items() if k.option_uncertain)


def kind(name: str) -> QuestionKind:
    """The entry of a question type (``KeyError`` for a type the table does not declare)."""
    return TYPES[name]
