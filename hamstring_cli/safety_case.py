"""The clinical safety case, made from the hazard log (``docs/safety/hazard-log.yaml``).

A tool for the repository: the command line never imports it, so it costs a run
nothing. The hazard log follows NHS DCB0129: each hazard has a cause, a harm, its risk before
and after its controls (severity and likelihood from 1 to 5, and the class the log's risk
matrix gives them), and each control names the tests that verify it.

``python -m hamstring_cli.safety_case`` prints the safety case;
``python -m hamstring_cli.safety_case --write docs/safety/safety-case.md`` writes it;
``--check`` only checks the log. The log is read with the safe YAML reader, and every problem
is reported at once with its ``file:line:column``: a missing or unknown key, a risk out of
range, a hazard without a control, a control without a test, a residual risk above the initial
one (in severity or in likelihood, so never in their product or class either), a residual risk
of class 3 or more without a justification and what users must do, a residual class of 4 or 5,
and a risk matrix that gives a riskier cell a lower class. Whether pytest collects the tests a
control names is for ``tests/test_hazards.py`` to check.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from hamstring_cli.errors import (
    Code,
    Detail,
    Diagnostic,
    Place,
    UserError,
    diagnostic,
    did_you_mean,
)
from hamstring_cli.model import describe_type
from hamstring_cli.safe_yaml import read_document
from hamstring_cli.sourcemap import DataPath, SourceMap

__all__ = [
    "CASE",
    "LOG",
    "REGENERATE",
    "HazardLog",
    "HazardLogError",
    "Risk",
    "main",
    "parse_log",
    "read_log",
    "render",
]

__all__ = [
    "CASE",
    "LOG",
    "REGENERATE",
    "Control",
    "Grade",
    "Hazard",
    "HazardLog",
    "HazardLogError",
    "Matrix",
    "Risk",
    "main",
    "parse_log",
    "read_log",
    "render",
]

#: The hazard log and the safety case made from it, from the repository root.
LOG = "docs/safety/hazard-log.yaml"
CASE = "docs/safety/safety-case.md"
REGENERATE = f"python -m hamstring_cli.safety_case --write {CASE}"

#: Severity, likelihood and risk class all run from 1 to 5.
LEVELS = (1, 2, 3, 4, 5)
#: A residual class from this one up needs a justification and what users must do.
JUSTIFY_FROM = 3
#: A residual class from this one up is not accepted (DCB0129: mandatory further control).
REFUSE_FROM = 4
#: A hazard id: H and two or more digits.
HAZARD_ID = re.compile(r"H[0-9]{2,}")
#: A test as pytest names it: a file under tests/, a test function, optionally one case.
TEST_NAME = re.compile(r"tests/[A-Za-z0-9_/]+\.py::test_[A-Za-z0-9_]+(\[[^\]\s]+\])?")


class HazardLogError(UserError):
    """A hazard log that cannot be read or breaks its rules."""


#: The hazard log's own diagnostics (the reading and shape ones are the catalogue's).
RESIDUAL_ABOVE_INITIAL = Detail(
    "E901",
    "the residual {what} of {hazard} ({residual}) is above its initial {what} ({initial}): "
    "a control never raises a risk",
)
UNJUSTIFIED = Detail(
    "E902",
    "{hazard} keeps a residual risk of class {level} ({name}) without '{key}': say why it is "
    "accepted and what users must do",
)
UNACCEPTABLE = Detail(
    "E903", "{hazard} keeps a residual risk of class {level} ({name}): {acceptability}"
)
NOT_MONOTONE = Detail(
    "E904",
    "the matrix gives {riskier} class {high}, below the class {low} of {safer}: a riskier cell "
    "never has a lower class",
)
NO_CONTROL = Detail("E905", "{hazard} has no control: each hazard needs one, verified by tests")
NO_EVIDENCE = Detail("E906", "a control of {hazard} names no test in verified_by")
NOT_A_TEST = Detail(
    "E907",
    "'{value}' is not a test name: write tests/FILE.py::test_name, or "
    "tests/FILE.py::test_name[case] for one case",
)


class Risk(NamedTuple):
    """A risk: its severity and its likelihood, each from 1 to 5."""

    severity: int
    likelihood: int

    @property
    def product(self) -> int:
        return self.severity * self.likelihood

    def within(self, other: Risk) -> bool:
        """Whether neither the severity nor the likelihood is above ``other``'s."""
        return self.severity <= other.severity and self.likelihood <= other.likelihood


class Control(NamedTuple):
    """A control of a hazard and the tests that verify it."""

    description: str
    verified_by: tuple[str, ...]


class Hazard(NamedTuple):
    """One hazard of the log."""

    id: str
    title: str
    cause: str
    harm: str
    initial: Risk
    residual: Risk
    controls: tuple[Control, ...]
    justification: str | None = None
    users_must: str | None = None
    open_actions: tuple[str, ...] = ()
    place: Place | None = None


class Grade(NamedTuple):
    """A step of a scale: its name and what it means."""

    name: str
    meaning: str


class Matrix(NamedTuple):
    """The severity and likelihood scales, the risk classes and the matrix between them."""

    severity: Mapping[int, Grade]
    likelihood: Mapping[int, Grade]
    #: Each class: its name and its acceptability.
    classes: Mapping[int, Grade]
    #: The class of each likelihood, for severities 1 to 5.
    cells: Mapping[int, tuple[int, ...]]

    def risk_class(self, risk: Risk) -> int:
        return self.cells[risk.likelihood][risk.severity - 1]

    def words(self, risk: Risk) -> str:
        """'severity 3 (considerable) x likelihood 4 (high): class 3, medium'."""
        level = self.risk_class(risk)
        return (
            f"severity {risk.severity} ({self.severity[risk.severity].name.lower()}) x "
            f"likelihood {risk.likelihood} ({self.likelihood[risk.likelihood].name.lower()}): "
            f"class {level}, {self.classes[level].name.lower()}"
        )


class HazardLog(NamedTuple):
    """The hazard log as a whole."""

    system: str
    intended_use: str
    not_intended_for: tuple[str, ...]
    matrix: Matrix
    hazards: tuple[Hazard, ...]

    def tests(self) -> list[str]:
        """Every test any control names, once each, in the order of the log."""
        return list(
            dict.fromkeys(t for h in self.hazards for c in h.controls for t in c.verified_by)
        )


# ---------------------------------------------------------------------------------------------
# Reading


def read_log(path: str | os.PathLike[str] = LOG) -> HazardLog:
    """Read and check a hazard log; every problem is raised at once as a HazardLogError."""
    data, source_map = read_document(path, error=HazardLogError, what="a hazard log")
    return parse_log(data, source_map)


def parse_log(data: object, source_map: SourceMap) -> HazardLog:
    """Build the hazard log from the data the YAML reader gives, checking every rule."""
    reader = _Reader(source_map)
    log = reader.log(data)
    if reader.problems or log is None:
        raise HazardLogError(reader.problems)
    return log


_TOP = ("format", "system", "intended_use", "not_intended_for", "risk_matrix", "hazards")
_MATRIX = ("severity", "likelihood", "classes", "matrix")
_HAZARD_REQUIRED = ("id", "title", "cause", "harm", "initial", "controls", "residual")
_HAZARD_OPTIONAL = ("justification", "users_must", "open_actions")
_RISK = ("severity", "likelihood")
_CONTROL = ("description", "verified_by")
_LEVEL_WORDS = tuple(str(n) for n in LEVELS)


class _Reader:
    """Turns the log's data into records, collecting every problem with its place."""

    def __init__(self, source_map: SourceMap) -> None:
        self.map = source_map
        self.problems: list[Diagnostic] = []

    def _add(
        self,
        detail: Detail,
        path: DataPath,
        *,
        at_key: bool = False,
        allowed: Sequence[str] = (),
        **fields: object,
    ) -> None:
        place = self.map.key(path) if at_key else self.map.value(path)
        self.problems.append(diagnostic(detail, place, question=None, allowed=allowed, **fields))

    def _wrong_type(self, path: DataPath, raw: object, *, what: str, expected: str) -> None:
        self._add(Code.WRONG_TYPE, path, what=what, expected=expected, actual=describe_type(raw))

    def _mapping(
        self,
        raw: object,
        path: DataPath,
        what: str,
        required: Sequence[str],
        optional: Sequence[str] = (),
    ) -> dict[str, object] | None:
        """A mapping with exactly the keys allowed and every key required, else None."""
        if not isinstance(raw, dict):
            self._wrong_type(path, raw, what=what, expected="a mapping")
            return None
        allowed = (*required, *optional)
        whole = True
        for key in raw:
            if key not in allowed:
                self._add(
                    Code.UNKNOWN_KEY,
                    (*path, key),
                    at_key=True,
                    key=key,
                    what=what,
                    hint=did_you_mean(str(key), allowed),
                    allowed=allowed,
                )
                whole = False
        for key in required:
            if key not in raw:
                self._add(Code.MISSING_KEY, path, what=what, key=key)
                whole = False
        return {str(k): v for k, v in raw.items()} if whole else None

    def _text(self, raw: object, path: DataPath, what: str) -> str | None:
        if isinstance(raw, str) and raw.strip():
            return " ".join(raw.split())
        self._wrong_type(path, raw, what=what, expected="text, not blank")
        return None

    def _texts(self, raw: object, path: DataPath, what: str) -> tuple[str, ...] | None:
        if not isinstance(raw, list):
            self._wrong_type(path, raw, what=what, expected="a list of text")
            return None
        out = [self._text(item, (*path, i), f"an item of {what}") for i, item in enumerate(raw)]
        return None if any(t is None for t in out) else tuple(t for t in out if t is not None)

    def _level(self, raw: object, path: DataPath, what: str) -> int | None:
        if isinstance(raw, int) and not isinstance(raw, bool) and raw in LEVELS:
            return raw
        self._add(Code.BAD_VALUE, path, what=what, value=raw, hint="", allowed=_LEVEL_WORDS)
        return None

    def log(self, raw: object) -> HazardLog | None:
        top = self._mapping(raw, (), "the hazard log", _TOP)
        if top is None:
            return None
        if top["format"] != 1:
            self._add(Code.UNSUPPORTED_FORMAT, ("format",), value=top["format"])
        system = self._text(top["system"], ("system",), "'system'")
        use = self._text(top["intended_use"], ("intended_use",), "'intended_use'")
        not_for = self._texts(top["not_intended_for"], ("not_intended_for",), "'not_intended_for'")
        matrix = self.matrix(top["risk_matrix"], ("risk_matrix",))
        hazards = self.hazards(top["hazards"], ("hazards",), matrix)
        if None in (system, use, not_for, matrix, hazards) or self.problems:
            return None
        assert system is not None and use is not None and not_for is not None
        assert matrix is not None and hazards is not None
        return HazardLog(system, use, not_for, matrix, hazards)

    # -- the risk matrix --------------------------------------------------------------------

    def _scale(
        self, raw: object, path: DataPath, what: str, second: str
    ) -> dict[int, Grade] | None:
        """A mapping of 1 to 5, each to its name and ``second`` (its meaning)."""
        if not isinstance(raw, dict):
            self._wrong_type(path, raw, what=what, expected="a mapping of 1 to 5")
            return None
        if sorted(k for k in raw if isinstance(k, int)) != list(LEVELS) or len(raw) != 5:
            self._add(
                Code.BAD_VALUE,
                path,
                what=f"the keys of {what}",
                value=", ".join(str(k) for k in raw),
                hint="",
                allowed=_LEVEL_WORDS,
            )
            return None
        out: dict[int, Grade] = {}
        for level in LEVELS:
            step = (*path, level)
            entry = self._mapping(raw[level], step, f"{what} {level}", ("name", second))
            if entry is None:
                continue
            name = self._text(entry["name"], (*step, "name"), "a name")
            words = self._text(entry[second], (*step, second), f"'{second}'")
            if name is not None and words is not None:
                out[level] = Grade(name, words)
        return out if len(out) == 5 else None

    def matrix(self, raw: object, path: DataPath) -> Matrix | None:
        top = self._mapping(raw, path, "the risk matrix", _MATRIX)
        if top is None:
            return None
        severity = self._scale(
            top["severity"], (*path, "severity"), "the severity scale", "meaning"
        )
        likelihood = self._scale(
            top["likelihood"], (*path, "likelihood"), "the likelihood scale", "meaning"
        )
        classes = self._scale(
            top["classes"], (*path, "classes"), "the risk classes", "acceptability"
        )
        cells = self._cells(top["matrix"], (*path, "matrix"))
        if severity is None or likelihood is None or classes is None or cells is None:
            return None
        return Matrix(severity, likelihood, classes, cells)

    def _cells(self, raw: object, path: DataPath) -> dict[int, tuple[int, ...]] | None:
        what = "the matrix"
        if not isinstance(raw, dict) or sorted(k for k in raw if isinstance(k, int)) != list(
            LEVELS
        ):
            self._wrong_type(
                path,
                raw,
                what=what,
                expected="a mapping of each likelihood 1 to 5 to the classes of severities 1 to 5",
            )
            return None
        cells: dict[int, tuple[int, ...]] = {}
        for likelihood in LEVELS:
            row = raw[likelihood]
            step = (*path, likelihood)
            if not isinstance(row, list) or len(row) != 5:
                self._wrong_type(
                    step,
                    row,
                    what=f"likelihood {likelihood} of the matrix",
                    expected="a list of 5 classes, one for each severity",
                )
                continue
            levels = [self._level(v, (*step, i), "a class") for i, v in enumerate(row)]
            if all(v is not None for v in levels):
                cells[likelihood] = tuple(v for v in levels if v is not None)
        if len(cells) != 5:
            return None
        # A riskier cell (more severe, or more likely) never has a lower class than its
        # neighbour one step safer; so, step by step, than any safer cell.
        for likelihood in LEVELS:
            for severity in LEVELS:
                here = cells[likelihood][severity - 1]
                safer = [(likelihood, severity - 1), (likelihood - 1, severity)]
                for safe_l, safe_s in safer:
                    if safe_l < 1 or safe_s < 1:
                        continue
                    low = cells[safe_l][safe_s - 1]
                    if here < low:
                        self._add(
                            NOT_MONOTONE,
                            (*path, likelihood, severity - 1),
                            riskier=f"likelihood {likelihood}, severity {severity}",
                            high=here,
                            low=low,
                            safer=f"likelihood {safe_l}, severity {safe_s}",
                        )
        return cells

    # -- hazards ------------------------------------------------------------------------------

    def hazards(
        self, raw: object, path: DataPath, matrix: Matrix | None
    ) -> tuple[Hazard, ...] | None:
        if not isinstance(raw, list) or not raw:
            self._wrong_type(path, raw, what="'hazards'", expected="a list of hazards")
            return None
        out: list[Hazard] = []
        first: dict[str, int | None] = {}
        for index, item in enumerate(raw):
            hazard = self.hazard(item, (*path, index), matrix)
            if hazard is None:
                continue
            if hazard.id in first:
                self._add(
                    Code.DUPLICATE_ID,
                    (*path, index, "id"),
                    what="hazard",
                    id=hazard.id,
                    first_line=first[hazard.id],
                )
                continue
            first[hazard.id] = self.map.value((*path, index, "id")).line
            out.append(hazard)
        return tuple(out) if len(out) == len(raw) else None

    def hazard(self, raw: object, path: DataPath, matrix: Matrix | None) -> Hazard | None:
        entry = self._mapping(raw, path, "a hazard", _HAZARD_REQUIRED, _HAZARD_OPTIONAL)
        if entry is None:
            return None
        hid = entry["id"]
        if not isinstance(hid, str) or not HAZARD_ID.fullmatch(hid):
            self._add(
                Code.BAD_VALUE,
                (*path, "id"),
                what="a hazard id",
                value=hid,
                hint="",
                allowed=("H and two or more digits, such as H07",),
            )
            return None
        texts = {
            key: self._text(entry[key], (*path, key), f"'{key}' of {hid}")
            for key in ("title", "cause", "harm")
        }
        initial = self.risk(entry["initial"], (*path, "initial"), f"the initial risk of {hid}")
        residual = self.risk(entry["residual"], (*path, "residual"), f"the residual risk of {hid}")
        controls = self.controls(entry["controls"], (*path, "controls"), hid)
        optional = {
            key: self._text(entry[key], (*path, key), f"'{key}' of {hid}")
            for key in ("justification", "users_must")
            if key in entry
        }
        actions: tuple[str, ...] | None = ()
        if "open_actions" in entry:
            actions = self._texts(
                entry["open_actions"], (*path, "open_actions"), f"'open_actions' of {hid}"
            )
        if (
            None in texts.values()
            or initial is None
            or residual is None
            or controls is None
            or None in optional.values()
            or actions is None
        ):
            return None
        hazard = Hazard(
            hid,
            texts["title"] or "",
            texts["cause"] or "",
            texts["harm"] or "",
            initial,
            residual,
            controls,
            optional.get("justification"),
            optional.get("users_must"),
            actions,
            self.map.value(path),
        )
        self.risk_rules(hazard, path, matrix)
        return hazard

    def risk(self, raw: object, path: DataPath, what: str) -> Risk | None:
        entry = self._mapping(raw, path, what, _RISK)
        if entry is None:
            return None
        severity = self._level(entry["severity"], (*path, "severity"), f"the severity in {what}")
        likelihood = self._level(
            entry["likelihood"], (*path, "likelihood"), f"the likelihood in {what}"
        )
        if severity is None or likelihood is None:
            return None
        return Risk(severity, likelihood)

    def controls(self, raw: object, path: DataPath, hid: str) -> tuple[Control, ...] | None:
        if isinstance(raw, list) and not raw:
            self._add(NO_CONTROL, path, hazard=hid)
            return None
        if not isinstance(raw, list):
            self._wrong_type(
                path, raw, what=f"the controls of {hid}", expected="a list of controls"
            )
            return None
        out: list[Control] = []
        for index, item in enumerate(raw):
            step = (*path, index)
            entry = self._mapping(item, step, f"a control of {hid}", _CONTROL)
            if entry is None:
                continue
            description = self._text(entry["description"], (*step, "description"), "a description")
            tests = self.tests(entry["verified_by"], (*step, "verified_by"), hid)
            if description is not None and tests is not None:
                out.append(Control(description, tests))
        return tuple(out) if len(out) == len(raw) else None

    def tests(self, raw: object, path: DataPath, hid: str) -> tuple[str, ...] | None:
        if isinstance(raw, list) and not raw:
            self._add(NO_EVIDENCE, path, hazard=hid)
            return None
        if not isinstance(raw, list):
            self._wrong_type(path, raw, what="verified_by", expected="a list of tests")
            return None
        out: list[str] = []
        for index, item in enumerate(raw):
            if isinstance(item, str) and TEST_NAME.fullmatch(item):
                out.append(item)
            else:
                self._add(NOT_A_TEST, (*path, index), value=item)
        return tuple(out) if len(out) == len(raw) else None

    def risk_rules(self, hazard: Hazard, path: DataPath, matrix: Matrix | None) -> None:
        """A residual risk is never above the initial one, and a high one is justified."""
        for what in _RISK:
            initial = getattr(hazard.initial, what)
            residual = getattr(hazard.residual, what)
            if residual > initial:
                self._add(
                    RESIDUAL_ABOVE_INITIAL,
                    (*path, "residual", what),
                    what=what,
                    hazard=hazard.id,
                    residual=residual,
                    initial=initial,
                )
        if matrix is None:
            return
        level = matrix.risk_class(hazard.residual)
        name = matrix.classes[level].name.lower()
        if level >= REFUSE_FROM:
            self._add(
                UNACCEPTABLE,
                (*path, "residual"),
                hazard=hazard.id,
                level=level,
                name=name,
                acceptability=matrix.classes[level].meaning,
            )
        elif level >= JUSTIFY_FROM:
            for key in ("justification", "users_must"):
                if getattr(hazard, key) is None:
                    self._add(
                        UNJUSTIFIED,
                        (*path, "residual"),
                        hazard=hazard.id,
                        level=level,
                        name=name,
                        key=key,
                    )


# ---------------------------------------------------------------------------------------------
# The safety case


def render(log: HazardLog) -> str:
    """The safety case in Markdown, made from the hazard log alone."""
    m = log.matrix
    out: list[str] = [
        "# Clinical safety case",
        "",
        f"<!-- Generated from {LOG} by `{REGENERATE}`: edit the log, not this file. -->",
        "",
        f"The clinical safety case of {log.system}. It is made from the hazard log "
        f"([{Path(LOG).name}]({Path(LOG).name})), kept in the form NHS DCB0129 asks of the "
        "makers of health IT. Every control names the tests that verify it; the tests run in "
        "CI, and `tests/test_hazards.py` checks that pytest collects every test named.",
        "",
        "## 1. Intended use",
        "",
        log.intended_use,
        "",
        "It is not intended for:",
        "",
        *(f"- {item}" for item in log.not_intended_for),
        "",
        "## 2. How the risk is assessed",
        "",
        "Each hazard is rated for the severity of its worst credible harm and for the "
        "likelihood of that harm, each from 1 to 5; the matrix gives the class of the risk. "
        "The initial risk is the risk without the hazard's controls; the residual risk is the "
        "risk with them in place, as their tests verify them. A residual risk is never above "
        "the initial one: neither its severity nor its likelihood is higher, so neither their "
        f"product nor its class is. A residual risk of class {JUSTIFY_FROM} or more is accepted "
        "only with a justification and what users must do; a residual risk of class "
        f"{REFUSE_FROM} or more is not accepted.",
        "",
        "| Severity | Meaning |",
        "|---|---|",
        *(f"| {n} {g.name} | {_cell(g.meaning)} |" for n, g in sorted(m.severity.items())),
        "",
        "| Likelihood | Meaning |",
        "|---|---|",
        *(f"| {n} {g.name} | {_cell(g.meaning)} |" for n, g in sorted(m.likelihood.items())),
        "",
        "The class of each risk:",
        "",
        *_grid(m, lambda likelihood, severity: f"{m.cells[likelihood][severity - 1]}"),
        "",
        "| Class | Acceptability |",
        "|---|---|",
        *(f"| {n} {g.name} | {_cell(g.meaning)} |" for n, g in sorted(m.classes.items())),
        "",
        "## 3. The risk before and after the controls",
        "",
        "Before the controls (initial risk), each hazard in the cell of its risk:",
        "",
        *_placed(log, lambda h: h.initial),
        "",
        "After the controls (residual risk):",
        "",
        *_placed(log, lambda h: h.residual),
        "",
        "| Class | Hazards before | Hazards after |",
        "|---|---|---|",
        *(
            f"| {n} {m.classes[n].name} | {_count(log, n, initial=True)} | "
            f"{_count(log, n, initial=False)} |"
            for n in reversed(LEVELS)
        ),
        "",
        "| Hazard | Initial | Residual | Controls | Tests |",
        "|---|---|---|---|---|",
        *(
            f"| {h.id} {_cell(h.title)} | {_short(m, h.initial)} | {_short(m, h.residual)} | "
            f"{len(h.controls)} | {len({t for c in h.controls for t in c.verified_by})} |"
            for h in log.hazards
        ),
        "",
        "## 4. Hazards, their controls and the evidence",
        "",
    ]
    for hazard in log.hazards:
        out += _hazard(m, hazard)
    out += [
        "## 5. Residual risks that users must manage",
        "",
        "The controls leave these risks, most pressing first. The tool cannot manage them "
        "alone: whoever uses it must.",
        "",
    ]
    managed = sorted(
        (h for h in log.hazards if h.users_must),
        key=lambda h: (-m.risk_class(h.residual), -h.residual.product, h.id),
    )
    for hazard in managed:
        level = m.risk_class(hazard.residual)
        out.append(
            f"- **{hazard.title}** ({hazard.id}, residual class {level}, "
            f"{m.classes[level].name.lower()}): {hazard.users_must}"
        )
    out += ["", "## 6. Weak controls today: open actions", ""]
    open_ = [h for h in log.hazards if h.open_actions]
    if open_:
        out += [
            "Controls that are missing or weak today, to be closed by changes under way; each "
            "closes with a test named in the log.",
            "",
        ]
        for hazard in open_:
            out.append(f"- **{hazard.id} {hazard.title}**")
            out += [f"  - {action}" for action in hazard.open_actions]
    else:
        out.append("None.")
    highest = max(m.risk_class(h.residual) for h in log.hazards)
    out += [
        "",
        "## 7. Conclusion",
        "",
        f"{len(log.hazards)} hazards are logged, with "
        f"{sum(len(h.controls) for h in log.hazards)} controls verified by "
        f"{len(log.tests())} tests. With the controls in place, the highest residual class is "
        f"{highest} ({m.classes[highest].name.lower()}): {m.classes[highest].meaning} "
        "The hazards of that class are accepted for the reasons given under each, on the "
        "condition that users manage them as section 5 says and that the open actions of "
        "section 6 are closed.",
        "",
    ]
    return "\n".join(out)


def _hazard(m: Matrix, hazard: Hazard) -> list[str]:
    out = [
        f"### {hazard.id}: {hazard.title}",
        "",
        f"- **Cause:** {hazard.cause}",
        f"- **Harm:** {hazard.harm}",
        f"- **Initial risk:** {m.words(hazard.initial)}.",
        f"- **Residual risk:** {m.words(hazard.residual)}.",
    ]
    if hazard.justification:
        out.append(f"- **Why the residual risk is accepted:** {hazard.justification}")
    if hazard.users_must:
        out.append(f"- **Users must:** {hazard.users_must}")
    out += ["", "Controls and their evidence:", ""]
    for number, control in enumerate(hazard.controls, start=1):
        out.append(f"{number}. {control.description}")
        out.append("   - Verified by: " + ", ".join(f"`{t}`" for t in control.verified_by) + ".")
    if hazard.open_actions:
        out += ["", "Open actions:", "", *(f"- {action}" for action in hazard.open_actions)]
    return [*out, ""]


def _grid(m: Matrix, cell: Callable[[int, int], str]) -> list[str]:
    """A table with a row for each likelihood (5 first) and a column for each severity."""
    head = "| Likelihood \\ Severity | " + " | ".join(f"{n} {m.severity[n].name}" for n in LEVELS)
    rows = [head + " |", "|---|" + "---|" * 5]
    for likelihood in reversed(LEVELS):
        cells = [str(cell(likelihood, severity)) for severity in LEVELS]
        rows.append(f"| {likelihood} {m.likelihood[likelihood].name} | " + " | ".join(cells) + " |")
    return rows


def _placed(log: HazardLog, risk_of: Callable[[Hazard], Risk]) -> list[str]:
    at: dict[Risk, list[str]] = {}
    for hazard in log.hazards:
        at.setdefault(risk_of(hazard), []).append(hazard.id)
    m = log.matrix

    def cell(likelihood: int, severity: int) -> str:
        ids = at.get(Risk(severity, likelihood), [])
        level = m.cells[likelihood][severity - 1]
        return f"({level}) " + " ".join(ids) if ids else f"({level})"

    return _grid(m, cell)


def _count(log: HazardLog, level: int, *, initial: bool) -> int:
    m = log.matrix
    return sum(
        1 for h in log.hazards if m.risk_class(h.initial if initial else h.residual) == level
    )


def _short(m: Matrix, risk: Risk) -> str:
    level = m.risk_class(risk)
    return f"S{risk.severity} L{risk.likelihood}: {level} {m.classes[level].name.lower()}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


# ---------------------------------------------------------------------------------------------
# The command


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all."""
    folder = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv: Iterable[str] | None = None) -> int:
    """Check the hazard log and print or write the safety case made from it."""
    parser = argparse.ArgumentParser(
        prog="python -m hamstring_cli.safety_case",
        description="Check the hazard log and print (or write) the safety case made from it.",
    )
    parser.add_argument(
        "--log", default=LOG, metavar="FILE", help=f"the hazard log (default {LOG})"
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", metavar="FILE", help="write the safety case to FILE")
    action.add_argument("--check", action="store_true", help="check the log only")
    options = parser.parse_args(None if argv is None else list(argv))
    try:
        log = read_log(options.log)
    except HazardLogError as refused:
        for problem in refused.diagnostics:
            sys.stderr.write(f"{problem}\n")
        return 1
    if options.check:
        sys.stderr.write(f"{options.log}: ok, {len(log.hazards)} hazards\n")
        return 0
    text = render(log)
    if options.write is None:
        sys.stdout.write(text)
        return 0
    try:
        _write(Path(options.write), text)
    except OSError as failed:
        sys.stderr.write(f"{options.write}: cannot write the safety case: {failed.strerror}\n")
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a module
    sys.exit(main())
