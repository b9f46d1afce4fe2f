"""Messages people meet when something they typed is wrong: words, places and a way on."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hamstring_cli.answers import read_answers
from hamstring_cli.cache import load_questionnaire
from hamstring_cli.cli import app
from hamstring_cli.errors import UserError, did_you_mean
from hamstring_cli.render.words import SNAKE_CASE

IDS = ("red_flags", "pain_site", "pain_running_fast", "pain_bending", "sitting_pain", "age")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("saddle", "saddle_or_bladder"),  # a prefix counts
        ("pain_location", "pain_site"),  # a shared word counts
        ("sitting_pian", "sitting_pain"),  # a close spelling
        ("redflags", "red_flags"),
    ],
)
def test_a_near_miss_is_named(typed: str, meant: str) -> None:
    assert f"'{meant}'" in did_you_mean(typed, (*IDS, "saddle_or_bladder"))


def test_nothing_near_is_not_guessed() -> None:
    assert did_you_mean("zzz", IDS) == ""


def problems(tmp_path: Path, text: str) -> str:
    path = tmp_path / "answers.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        read_answers(path, load_questionnaire("proximal-hamstring"))
    return "\n".join(str(d) for d in caught.value.diagnostics)


def test_an_unknown_id_gets_the_nearest_even_when_the_id_list_is_cut(tmp_path: Path) -> None:
    shown = problems(tmp_path, "pain_location: sit_bone\nsaddle_or_bladder: yes\n")
    assert "unknown question id 'pain_location' (did you mean" in shown
    assert "'pain_site'" in shown.splitlines()[0]
    assert "... (" in shown, "the list of ids is shortened, the hint is not"
    assert "did you mean 'red_flags: [saddle_or_bladder]'?" in shown


def test_none_for_a_list_suggests_an_empty_list(tmp_path: Path) -> None:
    shown = problems(tmp_path, "red_flags: none\n")
    assert "answers.yaml:1:12" in shown
    assert "(for none of them, write [])" in shown


def test_check_on_an_answer_file_says_what_to_run(tmp_path: Path) -> None:
    path = tmp_path / "patient.yaml"
    path.write_text("age: 30\nonset: sudden\npop: 'yes'\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert "looks like an answer file" in result.stderr
    assert f"hamstring triage --answers {path}" in result.stderr


def test_an_unknown_practice_case_is_said_like_every_error() -> None:
    result = CliRunner().invoke(app, ["practice", "--case", "nope"])
    assert result.exit_code == 1
    assert result.stderr.startswith("hamstring: error E307: no case 'nope'")


@pytest.mark.parametrize("command", ["triage", "explain", "practice"])
def test_answers_shows_a_path_metavar_in_help(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "100"})
    assert "--answers <path>" in result.stdout


def test_explain_reads_in_words(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(
        "red_flags: [foot_drop]\nanticoagulants: 'no'\nage: 55\nonset: sudden\n"
        "mechanism: overstretch\npop: 'yes'\ncould_continue: 'no'\ndays_since_injury: 1\n"
        "bruising: extensive\nwalking: limp\npain_site: sit_bone\nsitting_pain: cannot_sit\n"
        "numbness: below_knee\nback_pain: 'no'\nprior_hamstring_injury: 'no'\nexamined: 'no'\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["explain", "--answers", str(path)])
    assert result.exit_code == 0, result.output
    assert "Most likely: Acute proximal hamstring rupture" in result.stdout
    assert "ticking 'Saddle numbness" in result.stdout
    assert not SNAKE_CASE.search(result.stdout), SNAKE_CASE.findall(result.stdout)


def test_one_is_singular_and_no_ticks_read_as_the_option() -> None:
    q = load_questionnaire("proximal-hamstring")
    assert q.question("days_since_injury").words(1) == "1 day"
    assert q.question("days_since_injury").words(2) == "2 days"
    assert q.question("red_flags").words(()) == "None of these"
