"""The condition parser: every form of a condition, and the named rules conditions read.

The forms and their keys are declared in :mod:`hamstring_cli.format_spec` (``CONDITION_FORMS``);
:class:`ConditionReader` tells a condition's form by its keys, reads it into the model's
condition records (:mod:`hamstring_cli.model`), and reports every problem with its place. The
dispatch on the forms is exhaustive: :data:`Form` names each, and the type checker proves that
:meth:`ConditionReader.read_form` reads them all.
"""

from __future__ import annotations

from typing import Literal, TypeAlias, cast, get_args

from hamstring_cli import format_spec as spec
from hamstring_cli import model
from hamstring_cli.errors import Code, Place, assert_never, diagnostic, did_you_mean
from hamstring_cli.field_reader import MISSING, FieldReader
from hamstring_cli.format_spec import COMPARISONS, CONDITION_KEYS, FORM_OF, QUESTION_TESTS
from hamstring_cli.model import Condition, Named
from hamstring_cli.sourcemap import DataPath, Key, SourceMap

__all__ = ["FORMS", "ConditionReader", "Form"]

#: The forms of a condition, as :data:`hamstring_cli.format_spec.FORM_OF` names them ("question"
#: for the tests on one question's answer).
Form: TypeAlias = Literal[
    "question", "answered", "leading", "rule", "advised", "not", "all", "any", "at_least"
]
FORMS: tuple[Form, ...] = get_args(Form)

_Op: TypeAlias = Literal["lt", "lte", "gt", "gte"]
_CONDITION_KEY_SET = frozenset(CONDITION_KEYS)
_TEST_SET = frozenset(QUESTION_TESTS)
_COMPARISON_SET = frozenset(COMPARISONS)
_COMPARE = spec.FORMS["compare"]
_AT_LEAST = spec.FORMS["at_least"].field("at_least")
_MODALITY_WORDS = spec.FORMS["advised"].field("advised").allowed


class ConditionReader(FieldReader):
    """Reads the conditions of a document and the named rules they refer to."""

    def __init__(self, source_map: SourceMap) -> None:
        super().__init__(source_map)
        #: The named rules as written (their data and path), and as read so far; a rule being
        #: read maps to None, so a rule that reads itself (through others) is found.
        self.rule_data: dict[str, tuple[object, DataPath]] = {}
        self.rule_read: dict[str, Named | None] = {}
        self.rule_stack: list[str] = []
        self.rule_names: set[str] = set()
        self.rule_words: dict[str, str] = {}

    def condition(self, value: object, path: DataPath) -> Condition | None:
        """One condition in any form of the format (``None``, after a report, when malformed)."""
        if value is MISSING:
            return None
        if not isinstance(value, dict):
            self.wrong_type(path, "a condition", "a mapping", value)
            return None
        place = self.at(path)
        form = self.form(value, path, place)
        return None if form is None else self.read_form(form, value, path, place)

    def form(self, value: dict[Key, object], path: DataPath, place: Place) -> Form | None:
        """The one form the keys of a condition give (None, after a report, when not one)."""
        keys = [k for k in value if isinstance(k, str)]
        unknown = [k for k in value if k not in _CONDITION_KEY_SET]
        for key in unknown:
            self.unknown_key(path, key, "a condition", CONDITION_KEYS)
        if unknown:
            return None
        if not keys:
            self.report(Code.BAD_CONDITION, place, detail="is empty")
            return None
        forms = {FORM_OF[k] for k in keys}
        if len(forms) > 1:
            self.report(
                Code.BAD_CONDITION,
                place,
                detail=f"mixes the keys {', '.join(keys)}: give one form per mapping "
                "(wrap several in 'all')",
            )
            return None
        return cast(Form, forms.pop())

    def read_form(
        self, form: Form, value: dict[Key, object], path: DataPath, place: Place
    ) -> Condition | None:
        """A condition of the given form."""
        if form == "question":
            return self.question_condition(value, path, place)
        if form == "answered":
            qid = self.question_id(value["answered"], (*path, "answered"), "'answered'")
            return model.Answered(qid, place) if qid else None
        if form == "leading":
            cid = self.question_id(value["leading"], (*path, "leading"), "'leading'")
            return model.Leading(cid, place) if cid else None
        if form == "rule":
            return self.rule_reference(value, path, place)
        if form == "advised":
            return self.advised(value, path, place)
        if form == "not":
            item = self.condition(value["not"], (*path, "not"))
            return model.Not(item, place) if item is not None else None
        if form == "all":
            items = self.conditions(value["all"], (*path, "all"), "'all'")
            return None if items is None else model.All(items, place)
        if form == "any":
            items = self.conditions(value["any"], (*path, "any"), "'any'")
            return None if items is None else model.AnyOf(items, place)
        if form == "at_least":
            return self.at_least(value, path, place)
        assert_never(form)

    def advised(
        self, value: dict[Key, object], path: DataPath, place: Place
    ) -> model.Advised | None:
        """An ``advised`` condition: a study of this modality (at this site) is advised."""
        if "advised" not in value:
            self.report(Code.MISSING_KEY, place, what="an 'advised' condition", key="advised")
            return None
        modality = self.choice(value["advised"], (*path, "advised"), "'advised'", _MODALITY_WORDS)
        site = None
        if "site" in value:
            site = self.text(value["site"], (*path, "site"), "the site of 'advised'")
            if site is None:
                return None
        return (
            model.Advised(modality, place, " ".join(site.split()) if site else None)
            if modality
            else None
        )

    def conditions(self, value: object, path: DataPath, what: str) -> tuple[Condition, ...] | None:
        raw = self.sequence(value, path, f"the conditions of {what}", non_empty=True)
        items = [self.condition(item, (*path, i)) for i, item in enumerate(raw)]
        if not raw or any(item is None for item in items):
            return None
        return tuple(cast(list[Condition], items))

    def at_least(self, value: dict[Key, object], path: DataPath, place: Place) -> Condition | None:
        for key in ("at_least", "of"):
            if key not in value:
                self.report(Code.MISSING_KEY, place, what="an 'at_least' condition", key=key)
        if "at_least" not in value or "of" not in value:
            return None
        count = self.integer(
            value["at_least"],
            (*path, "at_least"),
            "'at_least'",
            _AT_LEAST,
        )
        items = self.conditions(value["of"], (*path, "of"), "'at_least'")
        if count is None or items is None:
            return None
        if not 1 <= count <= len(items):
            self.report(
                Code.BAD_CONDITION,
                self.at((*path, "at_least")),
                detail=f"'at_least: {count}' needs a count from 1 to {len(items)}, "
                "the number of conditions in 'of'",
            )
            return None
        return model.AtLeast(count, items, place)

    def question_condition(
        self, value: dict[Key, object], path: DataPath, place: Place
    ) -> Condition | None:
        if "question" not in value:
            self.report(Code.MISSING_KEY, place, what="a condition", key="question")
            return None
        qid = self.question_id(value["question"], (*path, "question"), "a condition's question")
        tests: list[str] = []
        comparisons: list[str] = []
        for k in value:
            if k in _TEST_SET:
                tests.append(k)
            elif k in _COMPARISON_SET:
                comparisons.append(k)
        if len(tests) + bool(comparisons) != 1:
            detail = (
                f"on '{value['question']}' needs one of {', '.join(QUESTION_TESTS)}, "
                f"or comparisons ({', '.join(COMPARISONS)})"
                if not tests and not comparisons
                else f"on '{value['question']}' mixes {', '.join(tests + comparisons)}: "
                "give one test per mapping (wrap several in 'all')"
            )
            self.report(Code.BAD_CONDITION, place, detail=detail)
            return None
        if comparisons:
            return self.comparisons(value, path, place, qid, comparisons)
        test = tests[0]
        return self.answer_test(test, value[test], (*path, test), place, qid)

    def comparisons(
        self,
        value: dict[Key, object],
        path: DataPath,
        place: Place,
        qid: str | None,
        comparisons: list[str],
    ) -> Condition | None:
        """Comparisons of an integer answer: one, or several that must all hold."""
        parts: list[model.Compare] = []
        for op in comparisons:
            bound = self.integer(value[op], (*path, op), f"'{op}'", _COMPARE.field(op))
            if bound is not None and qid is not None:
                parts.append(model.Compare(qid, cast(_Op, op), bound, self.map.key((*path, op))))
        if qid is None or len(parts) != len(comparisons):
            return None
        return parts[0] if len(parts) == 1 else model.All(tuple(parts), place)

    def answer_test(
        self, test: str, raw: object, tpath: DataPath, place: Place, qid: str | None
    ) -> Condition | None:
        """A test on one question's answer: equals, one_of, contains or contains_any."""
        if test == "equals":
            single = self.value(raw, tpath, "'equals'")
            return model.Equals(qid, single, place) if qid and single is not None else None
        if test == "contains":
            if not isinstance(raw, str):
                self.wrong_type(tpath, "'contains'", "an option value (text)", raw)
                return None
            return model.Contains(qid, (raw,), place) if qid else None
        raw_items = self.sequence(raw, tpath, f"'{test}'", non_empty=True)
        values = [self.value(item, (*tpath, i), f"'{test}'") for i, item in enumerate(raw_items)]
        if not qid or not raw_items or any(v is None for v in values):
            return None
        if test == "one_of":
            return model.OneOf(qid, tuple(cast(list[str | int], values)), place)
        if any(not isinstance(v, str) for v in values):
            self.wrong_type(tpath, "'contains_any'", "a list of option values (text)", raw)
            return None
        return model.Contains(qid, tuple(cast(list[str], values)), place)

    # -- named rules ---------------------------------------------------------------------------

    def named(self, name: str, place: Place | None) -> Named | None:
        """The named rule ``name`` read (once), or None after a report."""
        if name in self.rule_read:
            found = self.rule_read[name]
            if found is None and name in self.rule_stack:
                cycle = [*self.rule_stack[self.rule_stack.index(name) :], name]
                self.report(
                    Code.RULE_CYCLE,
                    place or self.at(self.rule_data[name][1]),
                    cycle=" -> ".join(cycle),
                )
            return found
        if name not in self.rule_data:
            return None
        data, path = self.rule_data[name]
        self.rule_read[name] = None
        self.rule_stack.append(name)
        condition = self.condition(data, path)
        self.rule_stack.pop()
        found = (
            Named(name, condition, self.at(path[:-1]), self.rule_words.get(name, ""))
            if condition is not None
            else None
        )
        self.rule_read[name] = found
        return found

    def rule_reference(
        self, value: dict[Key, object], path: DataPath, place: Place
    ) -> Named | None:
        """A ``{rule: NAME}`` condition: the named rule, read where it is defined."""
        name = self.question_id(value["rule"], (*path, "rule"), "'rule'")
        if name is None:
            return None
        if name not in self.rule_names:
            names = sorted(self.rule_names)
            self.problems.append(
                diagnostic(
                    Code.UNKNOWN_RULE,
                    self.at((*path, "rule")),
                    allowed=names,
                    target=name,
                    hint=did_you_mean(name, names),
                )
            )
            return None
        found = self.named(name, place)
        return None if found is None else found._replace(at=place)
