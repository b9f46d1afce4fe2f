"""The one declaration of questionnaire format 1: every record, its keys, their kinds and words.

Data only (standard library). Everything that knows the shape of a questionnaire reads
this table instead of spelling it out again:

- :mod:`hamstring_cli.loader` (the parser) takes from it the keys each record allows and needs,
  the allowed words of every closed set, the id patterns and the range of every number, and
  reads each value by its kind, in the words the field gives for its messages, reporting every
  problem with its place; records that name their model record (``builds``) it builds by the
  table alone;
- :mod:`hamstring_cli.schema` turns it into the JSON Schema that ``hamstring schema`` prints;
- :mod:`hamstring_cli.format_doc` turns it into the key tables of ``docs/format.md``;
- :mod:`hamstring_cli.cache` stores a questionnaire's data and reads it back through the parser,
  so an entry is held to this declaration as a file is.

What a table of keys cannot say (that a ``next`` names a real question, that a value is an
option of its question, that ``min`` is not above ``max``) is the checker's
(:mod:`hamstring_cli.checks`) and the parser's own code.

To add a key: add a :class:`Field` to its record here. A record that names the model record it
``builds`` is read and built by this table alone (:mod:`hamstring_cli.record_reader`): the key
needs only the model record's attribute of the same name; the others (the questionnaire, a
question, an option, a condition) are put together by the parser's own builder, which reads
each value by its field here. The schema and the docs follow.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from hamstring_cli.format_fields import (
    PATTERN_WORDS,
    PATTERNS,
    WEIGHT_LIMIT,
    WHOLE_LIMIT,
    Field,
    Record,
)
from hamstring_cli.model import (
    IMAGING_CHOICES,
    LEVELS,
    MODALITIES,
    TIMEFRAMES,
    ImagingRule,
    LevelText,
    Note,
    RedFlagRule,
    Reference,
    Route,
    SafetyNetRule,
    ScopeRule,
    ScoreRule,
    TriageRule,
)
from hamstring_cli.question_types import (
    OPTION_TYPES,
    QUESTION_TYPES,
    RANGE_TYPES,
    ROUTING_OPTION_TYPES,
    UNCERTAIN_OPTION_TYPES,
)

__all__ = [
    "COMPARISONS",
    "CONDITION_FORMS",
    "CONDITION_KEYS",
    "FORMS",
    "FORM_OF",
    "PATTERNS",
    "PATTERN_WORDS",
    "QUESTION_TESTS",
    "RECORDS",
    "WEIGHT_LIMIT",
    "WHOLE_LIMIT",
    "Field",
    "Record",
]


_SOURCE = Field(
    "source",
    "reference_id",
    "The id of one of the references.",
    required=True,
    words="a reference id",
)
_LEVEL_ADVICE = "Plain words; may hold {question_id} placeholders."
_SUMMARY = (
    "A shorter form, whole sentences, for the decision on one screen (the report gives both); "
    "never cut by the program."
)

#: Every record of the format, the whole questionnaire first.
RECORDS: Mapping[str, Record] = MappingProxyType(
    {
        r.name: r
        for r in (
            Record(
                "questionnaire",
                "A hamstring questionnaire (format 1): metadata, questions routed as a tree, "
                "and the outcome rules that turn the answers into a result.",
                (
                    Field("format", "format", "The format version: 1.", required=True),
                    Field(
                        "id",
                        "questionnaire_id",
                        "A short id (proximal-hamstring).",
                        required=True,
                        label="the questionnaire id",
                    ),
                    Field(
                        "version",
                        "text",
                        "The questionnaire's own version (1.0.0, in quotes if it reads as "
                        "a number).",
                        required=True,
                    ),
                    Field("title", "text", "One line.", required=True),
                    Field("description", "optional_text", "A paragraph."),
                    Field("disclaimer", "text", "Shown with every result.", required=True),
                    Field(
                        "disclaimer_summary",
                        "text",
                        "The disclaimer in fewer words, for the decision on one screen "
                        "(default: the whole disclaimer).",
                    ),
                    Field("references", "list", "The sources that rules cite.", of="reference"),
                    Field(
                        "start",
                        "target",
                        "The first question.",
                        default="the first in the list",
                    ),
                    Field(
                        "required",
                        "list",
                        "Question ids that every path must pass (a safety screen); the "
                        "checker proves it.",
                        of="question_id",
                    ),
                    Field(
                        "rules",
                        "list",
                        "Named rules: a condition written once and read by name ({rule: NAME}) "
                        "in routes and outcome rules.",
                        of="named_rule",
                    ),
                    Field(
                        "questions",
                        "list",
                        "The questions, routed as a tree.",
                        required=True,
                        of="question",
                    ),
                    Field(
                        "outcomes",
                        "record",
                        "Everything that turns the answers into a result.",
                        required=True,
                        of="outcomes",
                    ),
                ),
                label="{key}",
            ),
            Record(
                "reference",
                "A source that rules cite.",
                (
                    Field(
                        "id",
                        "reference_id",
                        "The id rules cite as their source (R1).",
                        required=True,
                        label="a reference id",
                    ),
                    Field("citation", "text", "The source, in full.", required=True, label="{key}"),
                    Field(
                        "url",
                        "url",
                        "Where to read it: an https:// address.",
                        label="the url of a reference",
                    ),
                    Field(
                        "verified",
                        "boolean",
                        "false marks a source whose details could not be confirmed; never "
                        "shown to users.",
                        default="true",
                        label="verified of a reference",
                    ),
                ),
                builds=Reference,
            ),
            Record(
                "named_rule",
                "A condition with a name, written once: {rule: NAME} reads it wherever a "
                "condition goes.",
                (
                    Field(
                        "id",
                        "question_id",
                        "The rule's name; unique among the named rules.",
                        required=True,
                        label="a named rule's id",
                    ),
                    Field("when", "condition", "The condition.", required=True),
                    Field(
                        "description",
                        "optional_text",
                        "What it means, in plain words.",
                        collapse=True,
                    ),
                ),
            ),
            Record(
                "question",
                "One question of the tree. choice: exactly one option; multi: zero or more "
                "([] for none); integer: a whole number from min to max.",
                (
                    Field(
                        "id",
                        "question_id",
                        "Unique in the file; 'end' is reserved.",
                        required=True,
                        reserved=("end",),
                        label="a question id",
                    ),
                    Field(
                        "type",
                        "enum",
                        "What kind of answer it takes.",
                        required=True,
                        allowed=QUESTION_TYPES,
                    ),
                    Field("section", "optional_text", "A heading for the interactive session."),
                    Field("prompt", "text", "The question as asked.", required=True),
                    Field("help", "optional_text", "Why it is asked: shown under the prompt."),
                    Field(
                        "options",
                        "list",
                        "The options; values unique within the question.",
                        required=True,
                        of="option",
                        non_empty=True,
                        only=OPTION_TYPES,
                    ),
                    Field(
                        "min",
                        "integer",
                        "The lowest answer.",
                        required=True,
                        only=RANGE_TYPES,
                        label="min of {what}",
                        low=-WHOLE_LIMIT,
                        high=WHOLE_LIMIT,
                    ),
                    Field(
                        "max",
                        "integer",
                        "The highest answer (not below min).",
                        required=True,
                        only=RANGE_TYPES,
                        label="max of {what}",
                        low=-WHOLE_LIMIT,
                        high=WHOLE_LIMIT,
                    ),
                    Field(
                        "unit",
                        "optional_text",
                        "Used in reports (years).",
                        only=RANGE_TYPES,
                        label="unit of {what}",
                    ),
                    Field(
                        "routes",
                        "list",
                        "Tried in order after the option's own next.",
                        of="route",
                    ),
                    Field(
                        "next",
                        "target",
                        "Where the question goes when no option or route says otherwise.",
                        default="the next question in the file",
                        label="next of {what}",
                    ),
                ),
                variant="type",
            ),
            Record(
                "option",
                "One answer a choice or multi question offers.",
                (
                    Field(
                        "value",
                        "option_value",
                        'The value answer files use (quote numbers: "1"); it is the option\'s '
                        "FHIR code too.",
                        required=True,
                    ),
                    Field("label", "text", "The words shown for the option.", required=True),
                    Field("help", "optional_text", "Words about this option."),
                    Field(
                        "next",
                        "target",
                        "Where this option leads.",
                        only=ROUTING_OPTION_TYPES,
                        label="next of {what}",
                    ),
                    Field(
                        "uncertain",
                        "boolean",
                        "An unsure or not-done answer: counts towards low confidence.",
                        only=UNCERTAIN_OPTION_TYPES,
                        default="false",
                        label="uncertain of {what}",
                    ),
                ),
                variant="type",
                parent_variant=True,
            ),
            Record(
                "route",
                "Go to next when the condition holds; routes are tried in order.",
                (
                    Field(
                        "when",
                        "condition",
                        "When this holds ('leading' is not allowed here).",
                        required=True,
                    ),
                    Field("next", "target", "Where to go.", required=True, label="next of {what}"),
                ),
                builds=Route,
            ),
            Record(
                "outcomes",
                "Everything that turns the answers into a result.",
                (
                    Field(
                        "levels",
                        "record",
                        "The plain words for each triage level (all four).",
                        required=True,
                        of="levels",
                    ),
                    Field("confidence", "record", "How sure the ranking is.", of="confidence"),
                    Field(
                        "conditions",
                        "list",
                        "The differential.",
                        required=True,
                        of="condition_def",
                        non_empty=True,
                    ),
                    Field(
                        "triage",
                        "list",
                        "Triage rules that apply whatever condition leads (a decision rule's "
                        "own level): every rule that holds counts.",
                        of="triage",
                    ),
                    Field(
                        "scope",
                        "record",
                        "Whom the questionnaire's rules cover; a result says whether they apply.",
                        of="scope",
                    ),
                    Field("scores", "list", "Score rules.", of="score"),
                    Field("red_flags", "list", "Red flag rules; ids unique.", of="red_flag"),
                    Field("imaging", "list", "Imaging rules.", of="imaging"),
                    Field(
                        "no_imaging_reason",
                        "optional_text",
                        "Why no imaging, when no imaging rule holds (blank: the default).",
                        default="No imaging is needed to make this diagnosis now.",
                        label="{key}",
                    ),
                    Field("notes", "list", "Evidence notes for the report.", of="note"),
                    Field(
                        "safety_net",
                        "list",
                        "When to come back or seek help at once, tailored to the result: signs "
                        "to watch for (with a timeframe) and instructions (without).",
                        of="safety_net",
                    ),
                ),
            ),
            Record(
                "levels",
                "The plain words for each triage level, most pressing first.",
                tuple(
                    Field(level, "record", f"The words for '{level}'.", required=True, of="level")
                    for level in LEVELS
                ),
            ),
            Record(
                "level",
                "The plain words for a triage level.",
                (
                    Field("label", "text", "The level's name.", required=True),
                    Field("timeframe", "text", "How soon: now, within days.", required=True),
                    Field(
                        "advice",
                        "text",
                        "What to do; {timeframe} is the result's timeframe in words (the same "
                        "day), so that what to do never disagrees with the heading.",
                        required=True,
                    ),
                ),
                builds=LevelText,
            ),
            Record(
                "confidence",
                "How sure the ranking is.",
                (
                    Field(
                        "high_margin",
                        "number",
                        "Top score at least this far ahead: high.",
                        low=0,
                        high=WEIGHT_LIMIT,
                        default="4",
                    ),
                    Field(
                        "moderate_margin",
                        "number",
                        "At least this far: moderate; closer: low (not above high_margin).",
                        low=0,
                        high=WEIGHT_LIMIT,
                        default="2",
                    ),
                    Field(
                        "max_uncertain_fraction",
                        "number",
                        "More uncertain answers than this share of the choice answers: low.",
                        low=0,
                        high=1,
                        default="0.5",
                    ),
                ),
                label="{key}",
            ),
            Record(
                "condition_def",
                "One condition of the differential.",
                (
                    Field(
                        "id",
                        "question_id",
                        "The condition's id.",
                        required=True,
                        label="a condition id",
                    ),
                    Field(
                        "label",
                        "text",
                        "The condition's name.",
                        required=True,
                        label="label of {what}",
                    ),
                    Field(
                        "description",
                        "optional_text",
                        "Words about it.",
                        label="description of {what}",
                    ),
                    Field(
                        "triage",
                        "list",
                        "The level when this condition leads: the first matching rule wins; "
                        "the last has no when.",
                        required=True,
                        of="triage",
                        non_empty=True,
                    ),
                ),
            ),
            Record(
                "scope",
                "Whom the questionnaire's rules cover: the words when they apply, and the "
                "exclusions that put a patient outside them.",
                (
                    Field(
                        "reason",
                        "text",
                        "The words when the rules apply.",
                        default="The questionnaire applies: no limit of its scope is reached.",
                    ),
                    Field(
                        "source",
                        "reference_id",
                        "The id of the reference behind the words.",
                        words="a reference id",
                    ),
                    Field(
                        "exclusions",
                        "list",
                        "When one holds, the rules do not apply (the first that holds is said).",
                        of="scope_exclusion",
                    ),
                ),
            ),
            Record(
                "scope_exclusion",
                "A patient outside the rules: the result says so, apart from its advice.",
                (
                    Field("when", "condition", "When the rules do not apply.", required=True),
                    Field(
                        "reason",
                        "text",
                        "Why not, and what to do instead; may hold placeholders.",
                        required=True,
                        label="reason of {what}",
                    ),
                    _SOURCE,
                ),
                builds=ScopeRule,
            ),
            Record(
                "triage",
                "A triage rule: the level a condition gives when it leads, or (in outcomes) a "
                "level whatever leads.",
                (
                    Field(
                        "when",
                        "condition",
                        "Left out in a condition's last rule, the default (in outcomes: always).",
                    ),
                    Field("level", "enum", "A triage level.", required=True, allowed=LEVELS),
                    Field("advice", "text", _LEVEL_ADVICE, required=True, label="advice of {what}"),
                    _SOURCE,
                    Field(
                        "timeframe",
                        "enum",
                        "How soon, within the level (default: the level's own), as for a red flag.",
                        allowed=TIMEFRAMES,
                    ),
                    Field("summary", "text", _SUMMARY),
                ),
                builds=TriageRule,
            ),
            Record(
                "score",
                "Adds weight to the condition's score when the condition holds.",
                (
                    Field("condition", "question_id", "A condition id.", required=True),
                    Field("when", "condition", "When it applies.", required=True),
                    Field(
                        "weight",
                        "number",
                        "Negative weights count against.",
                        required=True,
                        label="weight of {what}",
                        low=-WEIGHT_LIMIT,
                        high=WEIGHT_LIMIT,
                    ),
                    Field(
                        "reason",
                        "text",
                        "Plain words for the condition's 'for' or 'against' list.",
                        required=True,
                        label="reason of {what}",
                    ),
                    _SOURCE,
                    Field("summary", "text", _SUMMARY),
                ),
                builds=ScoreRule,
            ),
            Record(
                "red_flag",
                "A red flag, raised whenever the condition holds.",
                (
                    Field("id", "question_id", "The red flag's id.", required=True),
                    Field("when", "condition", "When it is raised.", required=True),
                    Field("level", "enum", "A triage level.", required=True, allowed=LEVELS),
                    Field("advice", "text", _LEVEL_ADVICE, required=True, label="advice of {what}"),
                    _SOURCE,
                    Field(
                        "timeframe",
                        "enum",
                        "How soon, within the level (default: the level's own): "
                        "now or within 4 hours for emergency; within days, within 4 hours, "
                        "same day or within 48 hours for urgent; within 2 weeks for soon; "
                        "routine.",
                        allowed=TIMEFRAMES,
                    ),
                    Field("summary", "text", _SUMMARY),
                    Field(
                        "name",
                        "text",
                        "A short name, as the summary lists the flag (Possible cauda equina "
                        "syndrome).",
                        default="the id in words",
                        collapse=True,
                    ),
                ),
                builds=RedFlagRule,
            ),
            Record(
                "imaging",
                "An imaging study, advised when the condition holds; 'none' explains why no "
                "imaging is advised.",
                (
                    Field("when", "condition", "When it is advised.", required=True),
                    Field(
                        "modality",
                        "enum",
                        "The study.",
                        required=True,
                        allowed=IMAGING_CHOICES,
                    ),
                    Field(
                        "urgency",
                        "enum",
                        "A triage level.",
                        required=True,
                        allowed=LEVELS,
                        only=MODALITIES,
                    ),
                    Field(
                        "reason",
                        "text",
                        "The next step, in plain words; may hold placeholders.",
                        required=True,
                        label="reason of {what}",
                    ),
                    _SOURCE,
                    Field(
                        "site",
                        "text",
                        "Where to image (hamstring origin, lumbar spine, pelvis, ankle): "
                        "studies of one site merge into one, at the most urgent timeframe.",
                        only=MODALITIES,
                        collapse=True,
                    ),
                    Field(
                        "timeframe",
                        "enum",
                        "How soon, within the urgency (default: the urgency's own), as for a "
                        "red flag.",
                        allowed=TIMEFRAMES,
                        only=MODALITIES,
                    ),
                    Field("summary", "text", _SUMMARY, only=MODALITIES),
                ),
                variant="modality",
                builds=ImagingRule,
            ),
            Record(
                "safety_net",
                "When to come back or seek help at once, shown when its condition holds.",
                (
                    Field("text", "text", "What to do, in full.", required=True),
                    _SOURCE,
                    Field(
                        "summary",
                        "text",
                        "For a sign: the sign in a few words; for an instruction: a shorter "
                        "form, for the decision on one screen.",
                    ),
                    Field(
                        "timeframe",
                        "enum",
                        "How soon to seek help if the sign appears; left out: an instruction.",
                        allowed=TIMEFRAMES,
                    ),
                    Field("when", "condition", "Shown only when this holds."),
                ),
                builds=SafetyNetRule,
            ),
            Record(
                "note",
                "An evidence note for the report.",
                (
                    Field("text", "text", "The note.", required=True),
                    _SOURCE,
                    Field("when", "condition", "Shown only when this holds."),
                ),
                builds=Note,
            ),
        )
    }
)

#: The forms of a condition: each a record of its own, told apart by its keys.
_Q = Field("question", "question_id", "The question the test reads.", required=True)
CONDITION_FORMS: tuple[Record, ...] = (
    Record(
        "equals",
        "The answer to the question is this value (a number for integer questions).",
        (_Q, Field("equals", "value", "The value.", required=True)),
    ),
    Record(
        "one_of",
        "The answer is one of these values.",
        (_Q, Field("one_of", "list", "The values.", required=True, of="value", non_empty=True)),
    ),
    Record(
        "contains",
        "A multi answer includes this value.",
        (_Q, Field("contains", "optional_text", "An option value.", required=True)),
    ),
    Record(
        "contains_any",
        "A multi answer includes any of these values.",
        (
            _Q,
            Field(
                "contains_any",
                "list",
                "Option values.",
                required=True,
                of="optional_text",
                non_empty=True,
            ),
        ),
    ),
    Record(
        "compare",
        "An integer answer compares so; several comparisons must all hold "
        "({question: age, gte: 18, lt: 26}).",
        (
            _Q,
            Field("lt", "integer", "The answer is below this.", low=-WHOLE_LIMIT, high=WHOLE_LIMIT),
            Field(
                "lte", "integer", "The answer is at most this.", low=-WHOLE_LIMIT, high=WHOLE_LIMIT
            ),
            Field("gt", "integer", "The answer is above this.", low=-WHOLE_LIMIT, high=WHOLE_LIMIT),
            Field(
                "gte", "integer", "The answer is at least this.", low=-WHOLE_LIMIT, high=WHOLE_LIMIT
            ),
        ),
        min_keys=2,
    ),
    Record(
        "answered",
        "The question was answered on the path taken.",
        (Field("answered", "question_id", "A question id.", required=True),),
    ),
    Record(
        "all",
        "Every condition holds.",
        (Field("all", "list", "Conditions.", required=True, of="condition", non_empty=True),),
    ),
    Record(
        "any",
        "At least one condition holds.",
        (Field("any", "list", "Conditions.", required=True, of="condition", non_empty=True),),
    ),
    Record(
        "not",
        "The condition does not hold.",
        (Field("not", "condition", "A condition.", required=True),),
    ),
    Record(
        "at_least",
        "At least N of the conditions hold.",
        (
            Field(
                "at_least",
                "integer",
                "How many (1 to the number in of).",
                required=True,
                low=1,
                high=WHOLE_LIMIT,
            ),
            Field(
                "of",
                "list",
                "The conditions counted.",
                required=True,
                of="condition",
                non_empty=True,
            ),
        ),
    ),
    Record(
        "leading",
        "The leading condition of the differential is this one (outcome rules only, not routes).",
        (Field("leading", "question_id", "A condition id.", required=True),),
    ),
    Record(
        "rule",
        "The named rule of this name holds (see rules).",
        (Field("rule", "question_id", "The name of a named rule.", required=True),),
    ),
    Record(
        "advised",
        "The result advises a study of this modality, at this site when one is given (triage "
        "rules and notes only).",
        (
            Field("advised", "enum", "A modality.", required=True, allowed=MODALITIES),
            Field("site", "text", "Only a study of this site counts (ankle, foot)."),
        ),
    ),
)
FORMS: Mapping[str, Record] = MappingProxyType({form.name: form for form in CONDITION_FORMS})
#: The tests a question condition may hold (one per mapping), and the comparisons.
QUESTION_TESTS = ("equals", "one_of", "contains", "contains_any")
COMPARISONS = FORMS["compare"].names()[1:]
#: Every key a condition may have, whatever its form.
CONDITION_KEYS: tuple[str, ...] = tuple(
    dict.fromkeys(key for form in CONDITION_FORMS for key in form.names())
)
#: Which form each key belongs to ("question" for the keys of a test on one question).
FORM_OF: Mapping[str, str] = MappingProxyType(
    {
        key: ("question" if form.name in (*QUESTION_TESTS, "compare") else form.name)
        for form in CONDITION_FORMS
        for key in form.names()
    }
)
