"""The teaching cases: the bundled library checks clean, covers what it must, and a broken case
is reported like a compiler would, with the case file's line and column."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from helpers import sweep
from typer.testing import CliRunner

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.cases import (
    Case,
    CaseError,
    bundled_cases,
    case_questionnaire,
    check_case,
    check_case_file,
    find_case,
    read_case,
    read_cases,
    run_case,
)
from hamstring_cli.cli import app
from hamstring_cli.engine import Session
from hamstring_cli.errors import Code, Diagnostic
from hamstring_cli.explain import explain, study_names
from hamstring_cli.model import Questionnaire
from hamstring_cli.practice import outcome_of
from hamstring_cli.resources import bundled_dir
from hamstring_cli.scoring import Result, score

REPO = Path(__file__).resolve().parent.parent
QUESTIONNAIRE = REPO / "questionnaires" / "proximal_hamstring.yaml"
CASE_FILES = bundled_cases(REPO / "questionnaires")
#: Each bundled case's questionnaire, loaded once by id.
_LOADED: dict[str, Questionnaire] = {}


def of(path: Path) -> tuple[Case, Questionnaire]:
    """A bundled case and the questionnaire it names."""
    case = read_case(path)
    return case, case_questionnaire(case, _LOADED)


#: A reference of the clinical brief (R1-R87), a guideline of its bibliography (NICE NG...), or a
#: stronger confirmed source cited in place of a weak one (author and year: STIELL1993).
BRIEF_REFERENCE = re.compile(r"R([1-9]|[1-7][0-9]|8[0-7])|NG\d+|CG\d+|[A-Z]+\d{4}")
runner = CliRunner()


@pytest.fixture(scope="module")
def questionnaire() -> Questionnaire:
    return load_questionnaire(QUESTIONNAIRE)


pytestmark = pytest.mark.usefixtures("private_cache")


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


# ---------------------------------------------------------------------------------------------
# The bundled library


def test_the_library_is_bundled_beside_the_questionnaire() -> None:
    assert len(CASE_FILES) >= 12
    # The installed package finds the same files (a checkout reads the repository's folder).
    assert [p.name for p in bundled_cases(bundled_dir())] == [p.name for p in CASE_FILES]


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_each_bundled_case_checks_clean(path: Path) -> None:
    case, questionnaire = of(path)
    assert check_case(case, questionnaire) == []
    assert case.id == path.stem
    assert case.questionnaire == questionnaire.id
    # Each teaching point cites a reference of the bibliography, with its citation given.
    for point in case.teaching_points:
        assert BRIEF_REFERENCE.fullmatch(point.source), point.source
        assert case.citation(point.source, questionnaire)


def test_every_bundled_questionnaire_has_cases_for_each_of_its_conditions() -> None:
    from hamstring_cli.resources import bundled_id, bundled_questionnaires

    by_questionnaire: dict[str, set[str]] = {}
    for path in CASE_FILES:
        case, _ = of(path)
        by_questionnaire.setdefault(case.questionnaire, set()).add(case.expected.leading)
    for path in bundled_questionnaires():
        q = load_questionnaire(path)
        assert by_questionnaire.get(bundled_id(path)) == {c.id for c in q.outcomes.conditions}


def test_the_library_covers_every_condition_and_the_main_red_flags(
    questionnaire: Questionnaire,
) -> None:
    cases = [c for c in read_cases(CASE_FILES) if c.questionnaire == questionnaire.id]
    runs = [run_case(c, questionnaire) for c in cases]
    leading = {r.outcome.leading for r in runs}
    assert leading == {c.id for c in questionnaire.outcomes.conditions}
    raised = {flag.id for r in runs for flag in r.result.red_flags}
    assert {
        "cauda_equina",
        "compartment_syndrome_anticoagulated",
        "foot_drop",
        "bone_stress",
        "suspected_cancer",
    } <= raised
    assert raised & {"hip_fracture", "fracture"}
    assert {r.outcome.imaging for r in runs} >= {"MRI", "X-ray", "none"}
    assert {r.outcome.level for r in runs} >= {"emergency", "urgent", "soon", "routine"}


@pytest.mark.parametrize("path", sweep(pytest.param(p, id=p.stem) for p in CASE_FILES))
def test_every_what_if_of_a_case_replays_to_what_it_claims(path: Path) -> None:
    case, questionnaire = of(path)
    run = run_case(case, questionnaire)
    base = run.result
    explanation = explain(questionnaire, run.answers)
    assert explanation.what_if, "every case should have an answer that would change it"
    for change in explanation.what_if:
        steps, pending = Session(
            questionnaire, {**run.answers, change.question: change.after}
        ).walk()
        assert pending is None
        replayed = score(questionnaire, {s.question.id: s.answer for s in steps})
        assert (replayed.leading, replayed.triage.level) == (change.leading, change.level)
        assert study_names(replayed) == change.studies
        assert replayed.scope.applies is change.applies

        def outcome(result: Result) -> tuple[object, ...]:
            return (result.leading, result.triage.level, study_names(result), result.scope.applies)

        assert outcome(replayed) != outcome(base)
    for opened in explanation.needs_more_answers:
        _, pending = Session(questionnaire, {**run.answers, opened.question: opened.after}).walk()
        assert pending is not None and pending.id == opened.asks


def test_check_runs_the_bundled_cases_by_default() -> None:
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.stderr
    for path in CASE_FILES:
        assert f"{path.name}: ok: teaching case, 0 warnings" in result.stderr


def test_find_case_suggests_a_near_id() -> None:
    cases = read_cases(CASE_FILES)
    assert find_case(cases, "acute-rupture-water-ski").title
    with pytest.raises(CaseError) as error:
        find_case(cases, "acute-rupture-waterski")
    (problem,) = error.value.diagnostics
    assert problem.code == Code.CASE_UNKNOWN_CASE.code
    assert "did you mean 'acute-rupture-water-ski'" in problem.message


# ---------------------------------------------------------------------------------------------
# Broken cases: every problem with its place

GOOD = """\
id: small-rupture
title: A small rupture
questionnaire: proximal-hamstring
story: >-
  A 45-year-old slipped into the splits ten days ago and felt a pop. He cannot sit on that
  side and limps.
answers:
  red_flags: []
  anticoagulants: "no"
  age: 45
  onset: sudden
  mechanism: overstretch
  pop: "yes"
  could_continue: "no"
  days_since_injury: 10
  bruising: extensive
  walking: limp
  pain_site: sit_bone
  sitting_pain: cannot_sit
  numbness: none
  back_pain: "no"
  prior_hamstring_injury: "no"
  examined: "no"
expected:
  leading: acute_rupture
  level: urgent
  imaging: MRI
teaching_points:
  - text: The typical story of an avulsion.
    source: R1
references:
  - id: R1
    citation: Colosimo et al. Hamstring avulsion injuries.
"""


def write(tmp_path: Path, text: str, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def line_of(text: str, start: str) -> int:
    """The number of the first line of ``text`` that starts with ``start``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def check_text(tmp_path: Path, text: str) -> list[Diagnostic]:
    found = check_case_file(write(tmp_path, text))
    assert found is not None, "the file should read as a case"
    return found


def test_the_inline_case_is_clean(tmp_path: Path) -> None:
    assert check_text(tmp_path, GOOD) == []


def test_an_expected_outcome_the_questionnaire_does_not_give_is_an_error_at_its_line(
    tmp_path: Path,
) -> None:
    text = GOOD.replace("  level: urgent", "  level: routine").replace(
        "  imaging: MRI", "  imaging: X-ray"
    )
    found = check_text(tmp_path, text)
    assert codes(found) == [Code.CASE_EXPECTED_MISMATCH.code] * 2
    level, imaging = found
    assert level.place is not None and imaging.place is not None
    line = line_of(text, "  level: routine")
    assert (level.place.line, level.place.column) == (line, 10)
    assert imaging.place.line == line_of(text, "  imaging: X-ray")
    assert str(level).startswith(f"{tmp_path / 'case.yaml'}:{line}:10: error E303:")
    assert "expected level is 'routine', but the questionnaire gives 'urgent'" in level.message


def test_answers_off_the_path_and_an_unfinished_path_are_errors(tmp_path: Path) -> None:
    # The weeks are asked only after a gradual onset; without 'examined' the path is unfinished.
    text = GOOD.replace('  examined: "no"\n', "  weeks_since_onset: 3\n")
    found = check_text(tmp_path, text)
    assert codes(found) == [Code.CASE_INCOMPLETE.code, Code.CASE_OFF_PATH.code]
    incomplete, off_path = found
    assert incomplete.place is not None and incomplete.place.line == line_of(text, "answers:")
    assert "no answer for 'examined'" in incomplete.message
    assert off_path.place is not None
    assert off_path.place.line == line_of(text, "  weeks_since_onset:")
    assert off_path.question == "weeks_since_onset"


def test_unknown_ids_and_values_are_named_with_a_hint(tmp_path: Path) -> None:
    text = GOOD.replace('  pop: "yes"', '  pop: "yess"').replace("  walking:", "  walkin:")
    found = check_text(tmp_path, text)
    assert codes(found) == [Code.ANSWER_NOT_ALLOWED.code, Code.UNKNOWN_ANSWER_ID.code]
    assert "did you mean 'yes'" in found[0].message
    assert found[0].place is not None and found[0].place.line == line_of(text, "  pop:")
    assert "did you mean 'walking'" in found[1].message


def test_the_shape_of_a_case_is_checked(tmp_path: Path) -> None:
    text = (
        GOOD.replace("title: A small rupture\n", "")
        .replace("  leading: acute_rupture", "  leading: acute_rupture\n  confidence: high")
        .replace("  level: urgent", "  level: urgen")
    )
    found = check_text(tmp_path, text)
    assert sorted(codes(found)) == sorted(
        [Code.MISSING_KEY.code, Code.UNKNOWN_KEY.code, Code.BAD_VALUE.code]
    )
    bad_level = next(d for d in found if d.code == Code.BAD_VALUE.code)
    assert "did you mean 'urgent'" in bad_level.message


def test_a_teaching_point_needs_a_known_source(tmp_path: Path) -> None:
    text = GOOD.replace("    source: R1", "    source: R11")
    found = check_text(tmp_path, text)
    # R11 is a reference of the questionnaire, so it is known; R1 is then cited by nothing.
    assert codes(found) == [Code.CASE_UNCITED_REFERENCE.code]
    found = check_text(tmp_path, GOOD.replace("    source: R1", "    source: R999"))
    assert Code.CASE_UNKNOWN_SOURCE.code in codes(found)


def test_a_case_for_another_questionnaire_is_refused(tmp_path: Path) -> None:
    found = check_text(
        tmp_path, GOOD.replace("questionnaire: proximal-hamstring", "questionnaire: ./other.yaml")
    )
    assert found and found[0].code == Code.FILE_MISSING.code
    mini = write(tmp_path, QUESTIONNAIRE.read_text(encoding="utf-8"), "other.yaml")
    mini.write_text(mini.read_text(encoding="utf-8").replace("id: proximal-hamstring", "id: x"))
    found = check_text(
        tmp_path, GOOD.replace("questionnaire: proximal-hamstring", "questionnaire: other.yaml")
    )
    assert codes(found) == [Code.CASE_OTHER_QUESTIONNAIRE.code]
    # The message says what to write instead: the id, never a file name.
    assert "write 'questionnaire: x'" in found[0].message


def test_a_case_finds_a_questionnaire_given_to_the_same_check_by_its_id(tmp_path: Path) -> None:
    other = write(tmp_path, QUESTIONNAIRE.read_text(encoding="utf-8"), "other.yaml")
    other.write_text(other.read_text(encoding="utf-8").replace("id: proximal-hamstring", "id: x"))
    case = write(
        tmp_path,
        GOOD.replace("questionnaire: proximal-hamstring", "questionnaire: x"),
        "case.yaml",
    )
    result = runner.invoke(app, ["check", str(other), str(case)])
    assert result.exit_code == 0, result.stderr
    assert "case.yaml: ok: teaching case" in result.stderr


def test_unsafe_yaml_in_a_case_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path, GOOD.replace("title: A small rupture", "title: !!python/object:os.system x")
    )
    with pytest.raises(CaseError) as error:
        read_case(path)
    assert codes(list(error.value.diagnostics)) == [Code.UNSAFE_TAG.code]


def test_two_cases_with_one_id_are_refused(tmp_path: Path) -> None:
    first = write(tmp_path, GOOD, "a.yaml")
    second = write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(CaseError) as error:
        read_cases([first, second])
    assert codes(list(error.value.diagnostics)) == [Code.CASE_DUPLICATE_CASE.code]


def test_a_questionnaire_file_is_not_a_case() -> None:
    assert check_case_file(QUESTIONNAIRE) is None


def test_check_reports_a_broken_case_with_its_file_and_line(tmp_path: Path) -> None:
    text = GOOD.replace("  leading: acute_rupture", "  leading: tendinopathy")
    path = write(tmp_path, text)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    line = line_of(text, "  leading:")
    assert f"{path}:{line}:12: error E303: expected leading is 'tendinopathy'" in result.stderr
    assert f"{path}: 1 error: teaching case" in result.stderr


def test_the_expected_outcome_is_what_scoring_gives() -> None:
    for path in CASE_FILES:
        case, questionnaire = of(path)
        run = run_case(case, questionnaire)
        assert outcome_of(score(questionnaire, run.answers)) == case.expected
