"""The hazard log, whose controls are tests, and the safety case made from it.

``docs/safety/hazard-log.yaml`` holds the hazards of using the tool, in the form NHS DCB0129
asks of the makers of health IT; ``docs/safety/safety-case.md`` is generated from it by
``python -m hamstring_cli.safety_case``. These tests hold the log to its rules:

- every test a control names (``verified_by``) is one pytest collects: a test function by its
  name, or one case of a parametrised test by its full id (``test_case[red_flag_fever]``);
- every hazard has a control, and every control names a test;
- a residual risk is never above the initial one: neither its severity nor its likelihood is
  higher, hence neither their product nor the class the matrix gives them;
- the risk matrix defines a class for every cell, and every class has a name and an
  acceptability; a residual class of 3 or more is justified, and none is 4 or 5;
- every safety-property test names the hazards it controls with ``@pytest.mark.hazard("H01",
  ...)``: each test of ``test_properties.py`` and ``test_exhaustive.py`` and each check of
  ``safety.py``; each hazard a test names lists that test among its evidence;
- the safety case is up to date, says what DCB0129 asks, and the README links it.

The last tests here verify controls that no other test did: a batch record carries only its
own answers, a result names the questionnaire that scored it, every report carries the
disclaimer whole, and questionnaire text is never read as markup. (That every report keeps each
piece of advice whole is verified in test_summary.py.)
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, questionnaire_text
from typer.testing import CliRunner

from hamstring_cli.batch import run_batch
from hamstring_cli.cache import load_questionnaire
from hamstring_cli.cli import app
from hamstring_cli.digest import sha256
from hamstring_cli.engine import Session
from hamstring_cli.errors import Code
from hamstring_cli.model import Questionnaire
from hamstring_cli.render.markdown import render_markdown
from hamstring_cli.render.text import decision_text, render_text
from hamstring_cli.safe_yaml import read_document
from hamstring_cli.safety_case import (
    CASE,
    LOG,
    REGENERATE,
    HazardLog,
    HazardLogError,
    Risk,
    main,
    parse_log,
    read_log,
    render,
)
from hamstring_cli.scoring import Result, score

TESTS = REPO / "tests"
BUNDLED = REPO / "questionnaires" / "proximal_hamstring.yaml"
VIGNETTES = sorted((TESTS / "cases").glob("*.yaml"))
#: The files of the safety-property tests, and of the checks they share.
PROPERTY_TESTS = ("test_properties.py", "test_exhaustive.py")
PROPERTY_CHECKS = "safety.py"
#: DCB0129's risk matrix: the class of each likelihood (5 first) for severities 1 to 5.
DCB0129_MATRIX = {
    5: (3, 4, 4, 5, 5),
    4: (2, 3, 3, 4, 5),
    3: (2, 2, 3, 3, 4),
    2: (1, 2, 2, 3, 4),
    1: (1, 1, 2, 2, 3),
}


@pytest.fixture(scope="module")
def log() -> HazardLog:
    return read_log(REPO / LOG)


def base(test: str) -> str:
    """A test's name without the case of a parametrised test: ``f.py::t[x]`` is ``f.py::t``."""
    return test.split("[", 1)[0]


# ---------------------------------------------------------------------------------------------
# The log and its rules


def test_the_log_holds_at_least_twenty_hazards_each_with_a_control(log: HazardLog) -> None:
    assert len(log.hazards) >= 20
    for hazard in log.hazards:
        assert hazard.controls, hazard.id
        for control in hazard.controls:
            assert control.verified_by, (hazard.id, control.description)
            assert control.description.strip()


def test_the_hazards_the_clinical_safety_issue_names_are_logged(log: HazardLog) -> None:
    titles = " / ".join(h.title.lower() for h in log.hazards)
    for words in (
        "rupture",
        "cauda equina",
        "compartment syndrome",
        "deep vein thrombosis",
        "septic arthritis",
        "child",
        "blood thinners",
        "lost intake",
        "another patient",
        "misread answer",
        "cut or contradictory advice",
        "wrong timeframe",
        "stale or altered questionnaire or cache entry",
        "wrong questionnaire version in a saved result",
        "over-reliance",
        "unverified source",
        "injection",
        "batch records",
        "fhir",
    ):
        assert words in titles, words


def test_a_residual_risk_is_never_above_the_initial_one(log: HazardLog) -> None:
    m = log.matrix
    for hazard in log.hazards:
        initial, residual = hazard.initial, hazard.residual
        assert residual.severity <= initial.severity, hazard.id
        assert residual.likelihood <= initial.likelihood, hazard.id
        assert residual.product <= initial.product, hazard.id
        assert m.risk_class(residual) <= m.risk_class(initial), hazard.id


def test_the_risk_matrix_is_dcb0129_s_and_defines_every_class(log: HazardLog) -> None:
    m = log.matrix
    assert dict(m.cells) == DCB0129_MATRIX
    for scale in (m.severity, m.likelihood, m.classes):
        assert sorted(scale) == [1, 2, 3, 4, 5]
        assert all(g.name and g.meaning for g in scale.values())
    assert {c for row in m.cells.values() for c in row} <= set(m.classes)
    # A riskier cell never has a lower class: so a risk within another is never in a higher one.
    risks = [Risk(s, lk) for s in range(1, 6) for lk in range(1, 6)]
    for low in risks:
        for high in risks:
            if low.within(high):
                assert m.risk_class(low) <= m.risk_class(high), (low, high)


def test_a_high_residual_risk_is_justified_and_none_is_unacceptable(log: HazardLog) -> None:
    m = log.matrix
    for hazard in log.hazards:
        level = m.risk_class(hazard.residual)
        assert level <= 3, (hazard.id, level)
        if level >= 3:
            assert hazard.justification and hazard.users_must, hazard.id


#: A small valid log: its line numbers are used below.
SMALL = """\
format: 1
system: a test system
intended_use: Decision support.
not_intended_for: [a diagnosis]
risk_matrix:
  severity: {1: {name: a, meaning: a}, 2: {name: b, meaning: b}, 3: {name: c, meaning: c},
             4: {name: d, meaning: d}, 5: {name: e, meaning: e}}
  likelihood: {1: {name: a, meaning: a}, 2: {name: b, meaning: b}, 3: {name: c, meaning: c},
               4: {name: d, meaning: d}, 5: {name: e, meaning: e}}
  classes: {1: {name: a, acceptability: a}, 2: {name: b, acceptability: b},
            3: {name: c, acceptability: c}, 4: {name: d, acceptability: Mandatory control.},
            5: {name: e, acceptability: e}}
  matrix:
    5: [3, 4, 4, 5, 5]
    4: [2, 3, 3, 4, 5]
    3: [2, 2, 3, 3, 4]
    2: [1, 2, 2, 3, 4]
    1: [1, 1, 2, 2, 3]
hazards:
  - id: H01
    title: A hazard
    cause: A cause.
    harm: A harm.
    initial: {severity: 4, likelihood: 3}
    controls:
      - description: A control.
        verified_by: [tests/test_x.py::test_y, "tests/test_x.py::test_z[case-1]"]
    residual: {severity: 4, likelihood: 1}
"""


def problems_in(text: str) -> list[tuple[str, int | None, int | None]]:
    """(code, line, column) of every problem the log's checks find in ``text``."""
    data, source_map = read_document(text=text, name="log.yaml", error=HazardLogError)
    with pytest.raises(HazardLogError) as refused:
        parse_log(data, source_map)
    return [
        (d.code, d.place.line if d.place else None, d.place.column if d.place else None)
        for d in refused.value.diagnostics
    ]


def test_the_small_log_is_valid() -> None:
    data, source_map = read_document(text=SMALL, name="log.yaml", error=HazardLogError)
    small = parse_log(data, source_map)
    assert [h.id for h in small.hazards] == ["H01"]
    assert small.tests() == ["tests/test_x.py::test_y", "tests/test_x.py::test_z[case-1]"]


@pytest.mark.parametrize(
    ("old", "new", "code", "line"),
    [
        # A residual risk above the initial one, in likelihood, then in severity.
        ("residual: {severity: 4, likelihood: 1}", "residual: {severity: 4, likelihood: 4}",
         "E901", 28),
        ("residual: {severity: 4, likelihood: 1}", "residual: {severity: 5, likelihood: 1}",
         "E901", 28),
        # A residual class of 3 with no justification.
        ("residual: {severity: 4, likelihood: 1}", "residual: {severity: 4, likelihood: 2}",
         "E902", 28),
        # No control; a control with no test; a test that is not named as pytest names it.
        ("    controls:\n      - description: A control.\n        verified_by: [tests/test_x.py"
         "::test_y, \"tests/test_x.py::test_z[case-1]\"]\n", "    controls: []\n", "E905", 25),
        ("verified_by: [tests/test_x.py::test_y, \"tests/test_x.py::test_z[case-1]\"]",
         "verified_by: []", "E906", 27),
        ("verified_by: [tests/test_x.py::test_y,", "verified_by: [test_y,", "E907", 27),
        # An unknown key, a missing one, a risk out of range, a bad id.
        ("    cause: A cause.\n", "    cuase: A cause.\n", "E012", 22),
        ("    harm: A harm.\n", "", "E011", 20),
        ("initial: {severity: 4, likelihood: 3}", "initial: {severity: 6, likelihood: 3}",
         "E013", 24),
        ("  - id: H01\n", "  - id: 1\n", "E013", 20),
        # A matrix that gives a riskier cell a lower class.
        ("    4: [2, 3, 3, 4, 5]", "    4: [2, 3, 3, 2, 5]", "E904", 15),
    ],
)  # fmt: skip
def test_the_checks_refuse_a_broken_log_at_its_place(
    old: str, new: str, code: str, line: int
) -> None:
    assert old in SMALL
    found = problems_in(SMALL.replace(old, new))
    assert code in [c for c, _, _ in found], found
    assert line in [ln for c, ln, _ in found if c == code], found


def test_a_residual_risk_of_class_4_is_refused_even_justified() -> None:
    text = (
        SMALL.replace(
            "initial: {severity: 4, likelihood: 3}", "initial: {severity: 5, likelihood: 3}"
        )
        .replace("residual: {severity: 4, likelihood: 1}", "residual: {severity: 5, likelihood: 3}")
        .replace("    title: A hazard\n", "    title: A hazard\n    justification: Why.\n")
    )
    assert ("E903", 29, 15) in problems_in(text)


def test_two_hazards_with_one_id_are_refused() -> None:
    hazard = SMALL[SMALL.index("  - id: H01") :]
    found = problems_in(SMALL + hazard)
    assert (Code.DUPLICATE_ID.code, 29, 9) in found


# ---------------------------------------------------------------------------------------------
# The controls are tests


def defined_tests(path: Path) -> set[str]:
    """The test functions a file defines: at the top level, and in its ``Test`` classes."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            names |= {
                f"{node.name}::{n.name}"
                for n in node.body
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
    return {n for n in names if n.split("::")[-1].startswith("test_")}


def test_every_control_names_a_test_defined_in_its_file(log: HazardLog) -> None:
    # The quick check; the next test asks pytest itself.
    defined: dict[str, set[str]] = {}
    missing = []
    for test in log.tests():
        file, _, name = base(test).partition("::")
        if file not in defined:
            path = REPO / file
            defined[file] = defined_tests(path) if path.is_file() else set()
        if name not in defined[file]:
            missing.append(test)
    assert not missing, f"no such test (see {LOG}): {missing}"


def collected(files: list[str]) -> set[str]:
    """The node ids pytest collects from ``files``, run as CI runs it, from the repository."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *files],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return {line.strip() for line in done.stdout.splitlines() if "::" in line}


@pytest.mark.slow
def test_every_control_names_a_test_pytest_collects(log: HazardLog) -> None:
    files = sorted({t.split("::", 1)[0] for t in log.tests()})
    ids = collected(files)
    bases = {base(i) for i in ids}
    assert bases, "pytest collected nothing"
    missing = [t for t in log.tests() if t not in (ids if "[" in t else bases)]
    assert not missing, f"pytest does not collect these tests named in {LOG}: {missing}"


def hazard_marks(function: ast.FunctionDef) -> list[str] | None:
    """The ids of a function's ``@pytest.mark.hazard(...)``, or None when it has none."""
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "pytest.mark.hazard":
            ids = [a.value for a in decorator.args if isinstance(a, ast.Constant)]
            assert len(ids) == len(decorator.args), "hazard ids are written out as text"
            return [str(i) for i in ids]
    return None


def marked(file: str, prefix: str) -> Iterator[tuple[str, list[str] | None]]:
    tree = ast.parse((TESTS / file).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith(prefix):
            yield node.name, hazard_marks(node)


def test_every_safety_property_test_names_the_hazards_it_controls(log: HazardLog) -> None:
    known = {h.id for h in log.hazards}
    evidence = {h.id: {base(t) for c in h.controls for t in c.verified_by} for h in log.hazards}
    seen = 0
    for file in PROPERTY_TESTS:
        for name, ids in marked(file, "test_"):
            seen += 1
            assert ids, f"tests/{file}::{name} names no hazard: add @pytest.mark.hazard(...)"
            assert set(ids) <= known, (name, set(ids) - known)
            test = f"tests/{file}::{name}"
            # What a test claims to control, the log lists as that hazard's evidence.
            unlisted = [i for i in ids if test not in evidence[i]]
            assert not unlisted, f"{test} is marked for {unlisted}, whose controls do not name it"
    checks = list(marked(PROPERTY_CHECKS, "check_"))
    assert checks
    for name, ids in checks:
        assert ids, f"tests/{PROPERTY_CHECKS}::{name} names no hazard"
        assert set(ids) <= known, (name, set(ids) - known)
    assert seen >= 10


def test_the_hazard_marker_is_registered(pytestconfig: pytest.Config) -> None:
    assert any(line.startswith("hazard(") for line in pytestconfig.getini("markers"))


def test_the_command_line_never_imports_the_safety_case() -> None:
    for path in (REPO / "hamstring_cli").rglob("*.py"):
        # The map of the package (layers.py) names every module, and imports none of them.
        if path.name in ("safety_case.py", "layers.py"):
            continue
        text = path.read_text(encoding="utf-8")
        assert "safety_case" not in text, path


# ---------------------------------------------------------------------------------------------
# The safety case


def test_the_safety_case_is_up_to_date(log: HazardLog) -> None:
    assert (REPO / CASE).read_text(encoding="utf-8") == render(log), (
        f"{CASE} is out of date with {LOG}; regenerate it from the repository root with: "
        f"{REGENERATE}"
    )


def test_the_safety_case_says_what_dcb0129_asks(log: HazardLog) -> None:
    text = render(log)
    flat = " ".join(text.split())
    assert "## 1. Intended use" in text and " ".join(log.intended_use.split()) in flat
    assert "not a diagnosis" in flat
    assert "Before the controls" in text and "After the controls" in text
    for hazard in log.hazards:
        assert f"### {hazard.id}: {hazard.title}" in text
        for control in hazard.controls:
            assert control.description in flat
            for test in control.verified_by:
                assert f"`{test}`" in text
    users = text[text.index("## 5. Residual risks that users must manage") :]
    for hazard in log.hazards:
        if log.matrix.risk_class(hazard.residual) >= 3:
            assert hazard.users_must and hazard.users_must in users, hazard.id


def test_the_module_prints_and_writes_the_safety_case(log: HazardLog, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hamstring_cli.safety_case", "--log", str(REPO / LOG)],
        capture_output=True,
        check=True,
    )
    assert done.stdout.decode("utf-8") == render(log)
    target = tmp_path / "case.md"
    assert main(["--log", str(REPO / LOG), "--write", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render(log)
    assert [p.name for p in tmp_path.iterdir()] == ["case.md"]


def test_a_broken_log_is_named_with_its_place_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "log.yaml"
    broken.write_text(SMALL.replace("likelihood: 1}", "likelihood: 4}"), encoding="utf-8")
    target = tmp_path / "case.md"
    assert main(["--log", str(broken), "--write", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{broken}:28:") and "E901" in err and "Traceback" not in err
    assert not target.exists()


def test_the_readme_states_the_residual_risks_and_links_the_safety_case() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "## Clinical safety" in readme
    section = readme[readme.index("## Clinical safety") :]
    section = section[: section.find("\n## ", 1)]
    assert "(docs/safety/safety-case.md)" in section
    assert "(docs/safety/hazard-log.yaml)" in section
    assert "not a diagnosis" in section
    assert len(re.findall(r"^- ", section, re.MULTILINE)) >= 4, "the residual risks, listed"


# ---------------------------------------------------------------------------------------------
# Controls no other test verified


@pytest.fixture(scope="module")
def bundled() -> Questionnaire:
    return load_questionnaire(BUNDLED)


def vignette_answers(path: Path) -> dict[str, Any]:
    data, _ = read_document(path, error=HazardLogError, what="a vignette")
    assert isinstance(data, dict)
    answers = data["answers"]
    assert isinstance(answers, dict)
    return answers


def scored(q: Questionnaire, answers: dict[str, Any]) -> Result:
    valid = {qid: q.question(qid).validate(raw) for qid, raw in answers.items()}
    return score(q, Session(q, valid).path_answers)


def test_a_batch_gives_each_record_its_own_answers_only(
    bundled: Questionnaire, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every vignette, forwards and then backwards: each record follows a different patient the
    # second time, with other answers and another path, and must not change.
    files = []
    for path in VIGNETTES:
        file = tmp_path / f"{path.stem}.json"
        file.write_text(json.dumps(vignette_answers(path)), encoding="utf-8")
        files.append(file)
    order = files + files[::-1]
    total, failed = run_batch(bundled, order)
    assert (total, failed) == (len(order), 0)
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r.pop("source") for r in records] == [str(f) for f in order]
    for file, record in zip(order, records, strict=True):
        alone = scored(bundled, json.loads(file.read_text(encoding="utf-8")))
        assert record == json.loads(json.dumps(alone.to_dict())), file.name


RUPTURE_ANSWERS = {
    "red_flags": [],
    "anticoagulants": "no",
    "age": 34,
    "onset": "sudden",
    "mechanism": "overstretch",
    "pop": "yes",
    "could_continue": "no",
    "days_since_injury": 3,
    "bruising": "extensive",
    "walking": "limp",
    "pain_site": "sit_bone",
    "sitting_pain": "immediate",
    "numbness": "none",
    "back_pain": "no",
    "prior_hamstring_injury": "no",
    "examined": "no",
}


def copy_of_bundled(tmp_path: Path, version: str = "1.0.0", advice: str = "") -> Path:
    text = BUNDLED.read_text(encoding="utf-8")
    assert "\nversion: 1.0.0\n" in text
    text = text.replace("\nversion: 1.0.0\n", f"\nversion: {version}\n")
    if advice:
        text = text.replace("Go to the emergency department (A&E) now.", advice)
    path = tmp_path / f"q-{version}-{len(advice)}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_result_names_the_questionnaire_that_scored_it(tmp_path: Path) -> None:
    first = copy_of_bundled(tmp_path)
    changed = copy_of_bundled(tmp_path, advice="Go to the emergency department now.")
    seen = set()
    for path in (first, changed):
        q = load_questionnaire(path)
        named = scored(q, RUPTURE_ANSWERS).to_dict()["questionnaire"]
        assert named["id"] == "proximal-hamstring" and named["version"] == "1.0.0"
        # The hash of the file's own bytes: one word of a rule changed, another hash.
        assert named["content_hash"] == sha256(path.read_bytes()).hexdigest()[:12]
        assert f"`{named['content_hash']}`" in render_markdown(scored(q, RUPTURE_ANSWERS))
        seen.add(named["content_hash"])
    assert len(seen) == 2


def test_a_replayed_result_names_the_questionnaire_that_scored_it_now(tmp_path: Path) -> None:
    old = copy_of_bundled(tmp_path, version="0.9.0")
    new = copy_of_bundled(tmp_path, version="1.1.0")
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(RUPTURE_ANSWERS), encoding="utf-8")
    runner = CliRunner()
    made = runner.invoke(app, ["triage", "-q", str(old), "-a", str(answers), "-f", "json"])
    assert made.exit_code == 0, made.output
    saved = tmp_path / "result.json"
    saved.write_text(made.stdout, encoding="utf-8")
    assert json.loads(made.stdout)["questionnaire"]["version"] == "0.9.0"
    again = runner.invoke(app, ["triage", "-q", str(new), "-a", str(saved), "-f", "json"])
    assert again.exit_code == 0, again.output
    named = json.loads(again.stdout)["questionnaire"]
    assert named["version"] == "1.1.0"
    assert named["content_hash"] == sha256(new.read_bytes()).hexdigest()[:12]


def flat(text: str) -> str:
    """Words as a reader sees them: no line breaks, no Markdown emphasis, no box drawing."""
    return " ".join(text.replace("*", "").replace("│", " ").split())


def test_every_report_carries_the_disclaimer(bundled: Questionnaire) -> None:
    disclaimer = " ".join(bundled.disclaimer.split())
    assert "not a diagnosis" in disclaimer
    assert "no validated clinical decision rule" in disclaimer.lower()
    for path in VIGNETTES:
        result = scored(bundled, vignette_answers(path))
        assert result.to_dict()["disclaimer"] == bundled.disclaimer
        for shown in (render_markdown(result), render_text(result, width=80)):
            assert disclaimer in flat(shown), path.stem


MARKUP = "[bold red]Torn[/] [link=https://example.org]here[/link] [/]"


def test_markup_in_questionnaire_text_prints_as_written(tmp_path: Path) -> None:
    path = tmp_path / "markup.yaml"
    path.write_text(
        questionnaire_text(
            f"""\
            questions:
              - id: onset
                type: choice
                prompt: How did it start?
                options:
                  - {{value: sudden, label: Suddenly}}
            outcomes:
              conditions:
                - id: c1
                  label: '{MARKUP}'
                  triage:
                    - {{level: routine, advice: '{MARKUP} advice.', source: R1}}
            """
        ),
        encoding="utf-8",
    )
    q = load_questionnaire(path)
    result = score(q, {"onset": "sudden"})
    for shown in (
        decision_text(result, width=80, terminal=True),
        decision_text(result, width=80),
        render_text(result, width=120),
    ):
        # rich would take '[bold red]' as a style, '[link=...]' as a link, and fail on '[/]'.
        assert MARKUP in flat(shown), shown
