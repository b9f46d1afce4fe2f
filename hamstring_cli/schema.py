"""A JSON Schema (draft 2020-12) of the questionnaire format, for editors.

Layer 1, pure: data only. It mirrors ``docs/format.md`` and allows exactly the keys the loader
allows (a test holds the two together). What a schema cannot say (that a ``next`` names a real
question, that a value is an option of its question, that ``min`` is not above ``max``) is left
to ``hamstring check``.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

_QUESTION_ID = "^[a-z_][a-z0-9_]*$"
_REFERENCE_ID = "^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_LEVELS = ["emergency", "urgent", "soon", "routine"]


def _text(description: str) -> Schema:
    return {"type": "string", "minLength": 1, "description": description}


def _ref(name: str, description: str | None = None) -> Schema:
    out: Schema = {"$ref": f"#/$defs/{name}"}
    if description:
        out["description"] = description
    return out


def _object(
    properties: dict[str, Schema], required: list[str], description: str, **extra: Any
) -> Schema:
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": required,
        "additionalProperties": False,
        **extra,
    }


def _list(items: Schema, description: str, *, non_empty: bool = False) -> Schema:
    out: Schema = {"type": "array", "items": items, "description": description}
    if non_empty:
        out["minItems"] = 1
    return out


def _value_list(description: str) -> Schema:
    return _list(_ref("value"), description, non_empty=True)


def _conditions() -> dict[str, Schema]:
    question = {"$ref": "#/$defs/question_id", "description": "The question the test reads."}
    number = {"type": "integer"}
    forms = [
        _object(
            {"question": question, "equals": _ref("value", "The answer is this value.")},
            ["question", "equals"],
            "The answer to the question is this value (a number for integer questions).",
        ),
        _object(
            {"question": question, "one_of": _value_list("The answer is one of these.")},
            ["question", "one_of"],
            "The answer is one of these values.",
        ),
        _object(
            {
                "question": question,
                "contains": {"type": "string", "description": "An option value."},
            },
            ["question", "contains"],
            "A multi answer includes this value.",
        ),
        _object(
            {
                "question": question,
                "contains_any": _list(
                    {"type": "string"}, "Option values: any of them.", non_empty=True
                ),
            },
            ["question", "contains_any"],
            "A multi answer includes any of these values.",
        ),
        _object(
            {
                "question": question,
                "lt": {**number, "description": "The answer is below this."},
                "lte": {**number, "description": "The answer is at most this."},
                "gt": {**number, "description": "The answer is above this."},
                "gte": {**number, "description": "The answer is at least this."},
            },
            ["question"],
            "An integer answer compares so; several comparisons must all hold "
            "({question: age, gte: 18, lt: 26}).",
            minProperties=2,
        ),
        _object(
            {"answered": {"$ref": "#/$defs/question_id"}},
            ["answered"],
            "The question was answered on the path taken.",
        ),
        _object(
            {"all": _list(_ref("condition"), "Every one holds.", non_empty=True)},
            ["all"],
            "Every condition holds.",
        ),
        _object(
            {"any": _list(_ref("condition"), "At least one holds.", non_empty=True)},
            ["any"],
            "At least one condition holds.",
        ),
        _object({"not": _ref("condition")}, ["not"], "The condition does not hold."),
        _object(
            {
                "at_least": {"type": "integer", "minimum": 1, "description": "How many."},
                "of": _list(_ref("condition"), "The conditions counted.", non_empty=True),
            },
            ["at_least", "of"],
            "At least N of the conditions hold.",
        ),
        _object(
            {"leading": {"$ref": "#/$defs/question_id", "description": "A condition id."}},
            ["leading"],
            "The leading condition of the differential is this one (outcome rules only, "
            "not routes).",
        ),
    ]
    return {
        "condition": {
            "description": "A condition: data, never code. A condition on a question that was "
            "not answered does not hold (and 'not' of it does).",
            "type": "object",
            "anyOf": forms,
        },
        "value": {
            "description": "An option value, or a whole number for integer questions.",
            "anyOf": [{"type": "string"}, {"type": "integer"}],
        },
    }


def _questions() -> dict[str, Schema]:
    target = {
        "$ref": "#/$defs/question_id",
        "description": "A question id, or 'end' to end the path.",
    }
    option = _object(
        {
            "value": {
                "type": "string",
                "minLength": 1,
                "description": "The value answer files use (unique within the question).",
            },
            "label": _text("The words shown for the option."),
            "help": {"type": "string", "description": "Optional words about this option."},
            "next": {**target, "description": "Where this option leads (choice only)."},
            "uncertain": {
                "type": "boolean",
                "description": "Counts as an unsure answer for the confidence.",
            },
        },
        ["value", "label"],
        "One answer a choice or multi question offers.",
    )
    route = _object(
        {
            "when": _ref("condition", "When this holds (leading is not allowed here)."),
            "next": target,
        },
        ["when", "next"],
        "Go to 'next' when 'when' holds; routes are tried in order.",
    )
    question = _object(
        {
            "id": {
                "$ref": "#/$defs/question_id",
                "not": {"const": "end"},
                "description": "Lower case, digits and _; unique in the file.",
            },
            "type": {
                "enum": ["choice", "multi", "integer"],
                "description": "choice: exactly one option; multi: zero or more ([] for none); "
                "integer: a whole number from min to max.",
            },
            "section": {"type": "string", "description": "An optional heading."},
            "prompt": _text("The question as asked."),
            "help": {"type": "string", "description": "Why it is asked: shown under the prompt."},
            "options": _list(_ref("option"), "The options (choice and multi).", non_empty=True),
            "min": {"type": "integer", "description": "The lowest answer (integer questions)."},
            "max": {"type": "integer", "description": "The highest answer (integer questions)."},
            "unit": {"type": "string", "description": "Used in reports (integer questions)."},
            "routes": _list(route, "Tried in order after the option's own next."),
            "next": {
                **target,
                "description": "Where the question goes when no option or route "
                "says otherwise (default: the next question in the file).",
            },
        },
        ["id", "type", "prompt"],
        "One question of the tree.",
        allOf=[
            {
                "if": {"properties": {"type": {"const": "integer"}}, "required": ["type"]},
                "then": {"required": ["min", "max"], "properties": {"options": False}},
                "else": {
                    "required": ["options"],
                    "properties": {"min": False, "max": False, "unit": False},
                },
            },
            {
                "if": {"properties": {"type": {"const": "multi"}}, "required": ["type"]},
                "then": {
                    "properties": {
                        "options": {"items": {"properties": {"next": False}}},
                    }
                },
            },
        ],
    )
    return {"option": option, "question": question}


def _outcomes() -> dict[str, Schema]:
    source = {
        "type": "string",
        "pattern": _REFERENCE_ID,
        "description": "The id of one of the references.",
    }
    level = {"enum": _LEVELS, "description": "A triage level, most pressing first."}
    advice = _text("Plain words; may hold {question_id} placeholders.")
    level_text = _object(
        {
            "label": _text("The level's name."),
            "timeframe": _text("How soon: 'now', 'within days'."),
            "advice": _text("What to do."),
        },
        ["label", "timeframe", "advice"],
        "The plain words for a triage level.",
    )
    triage = _object(
        {
            "when": _ref("condition", "Left out in the last rule, the default."),
            "level": level,
            "advice": advice,
            "source": source,
        },
        ["level", "advice", "source"],
        "The level this condition gives when it leads: the first matching rule wins.",
    )
    condition = _object(
        {
            "id": {"$ref": "#/$defs/question_id", "description": "The condition's id."},
            "label": _text("The condition's name."),
            "description": {"type": "string", "description": "Optional words."},
            "triage": _list(triage, "The last rule has no 'when'.", non_empty=True),
        },
        ["id", "label", "triage"],
        "One condition of the differential.",
    )
    score = _object(
        {
            "condition": {"$ref": "#/$defs/question_id", "description": "A condition id."},
            "when": _ref("condition"),
            "weight": {"type": "number", "description": "Negative weights count against."},
            "reason": _text("Plain words for the condition's 'for' or 'against' list."),
            "source": source,
        },
        ["condition", "when", "weight", "reason", "source"],
        "Adds 'weight' to the condition's score when 'when' holds.",
    )
    red_flag = _object(
        {
            "id": {"$ref": "#/$defs/question_id", "description": "The red flag's id."},
            "when": _ref("condition"),
            "level": level,
            "advice": advice,
            "source": source,
            "timeframe": _text(
                "How soon, in words, when this flag decides the level (the same day);"
                " replaces the level's own timeframe."
            ),
        },
        ["id", "when", "level", "advice", "source"],
        "A red flag, raised whenever 'when' holds.",
    )
    imaging = _object(
        {
            "when": _ref("condition"),
            "modality": {
                "enum": ["MRI", "X-ray", "ultrasound", "none"],
                "description": "The study; 'none' explains why no imaging is advised.",
            },
            "urgency": {**level, "description": "A level; left out with modality none."},
            "reason": _text("The next step, in plain words; may hold placeholders."),
            "source": source,
        },
        ["when", "modality", "reason", "source"],
        "An imaging study: of those that hold, the most urgent wins, then the first in the file.",
        allOf=[
            {
                "if": {"properties": {"modality": {"const": "none"}}, "required": ["modality"]},
                "then": {"properties": {"urgency": False}},
                "else": {"required": ["urgency"]},
            }
        ],
    )
    note = _object(
        {"text": _text("The note."), "source": source, "when": _ref("condition")},
        ["text", "source"],
        "An evidence note for the report.",
    )
    outcomes = _object(
        {
            "levels": _object(
                {name: level_text for name in _LEVELS},
                list(_LEVELS),
                "The plain words for each triage level (all four).",
            ),
            "confidence": _object(
                {
                    "high_margin": {
                        "type": "number",
                        "description": "Top score at least this far ahead: high (default 4).",
                    },
                    "moderate_margin": {
                        "type": "number",
                        "description": "At least this far: moderate; closer: low (default 2).",
                    },
                    "max_uncertain_fraction": {
                        "type": "number",
                        "minimum": 0,
                        "maximum": 1,
                        "description": "More uncertain answers than this: low (default 0.5).",
                    },
                },
                [],
                "How sure the ranking is.",
            ),
            "conditions": _list(condition, "The differential.", non_empty=True),
            "scores": _list(score, "Score rules."),
            "red_flags": _list(red_flag, "Red flag rules."),
            "imaging": _list(imaging, "Imaging rules."),
            "no_imaging_reason": _text("Why no imaging, when no imaging rule holds."),
            "notes": _list(note, "Evidence notes for the report."),
        },
        ["levels", "conditions"],
        "Everything that turns the answers into a result.",
    )
    return {"outcomes": outcomes}


def json_schema() -> Schema:
    """The JSON Schema (draft 2020-12) of questionnaire format 1.

    Returns:
        A fresh dict, ready for ``json.dumps``.
    """
    defs: dict[str, Schema] = {
        "question_id": {"type": "string", "pattern": _QUESTION_ID},
        **_conditions(),
        **_questions(),
        **_outcomes(),
    }
    top = _object(
        {
            "format": {"const": 1, "description": "The format version: 1."},
            "id": {
                "type": "string",
                "pattern": "^[a-z0-9][a-z0-9_-]*$",
                "description": "A short id: lower case, digits, - and _.",
            },
            "version": _text("The questionnaire's own version (1.0.0)."),
            "title": _text("One line."),
            "description": {"type": "string", "description": "A paragraph."},
            "disclaimer": _text("Shown with every result."),
            "references": _list(
                _object(
                    {
                        "id": {
                            "type": "string",
                            "pattern": _REFERENCE_ID,
                            "description": "The id rules cite as their source (R1).",
                        },
                        "citation": _text("The source, in full."),
                        "url": {
                            "type": "string",
                            "pattern": "^https://[A-Za-z0-9.-]+\\.[A-Za-z]{2,}(:[0-9]+)?(/\\S*)?$",
                            "description": "Where a clinician can open the source (https).",
                        },
                        "verified": {
                            "type": "boolean",
                            "description": (
                                "false: the source's details could not be confirmed; the"
                                " clinical logic marks rules resting on it alone (default true)."
                            ),
                        },
                    },
                    ["id", "citation"],
                    "A source that rules cite.",
                ),
                "The sources that rules cite.",
            ),
            "start": {
                "$ref": "#/$defs/question_id",
                "description": "The first question (default: the first in the list).",
            },
            "required": _list(
                {"$ref": "#/$defs/question_id"},
                "Question ids that every path must pass; the checker proves it.",
            ),
            "questions": _list(_ref("question"), "The questions, routed as a tree."),
            "outcomes": _ref("outcomes"),
        },
        ["format", "id", "version", "title", "disclaimer", "questions", "outcomes"],
        "A hamstring questionnaire (format 1): metadata, questions routed as a tree, and "
        "the outcome rules that turn the answers into a result.",
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "hamstring questionnaire, format 1",
        **top,
        "$defs": defs,
    }
