"""The output-format registry drives every consumer: add a format there and it works everywhere.

For every registered format: ``triage --format`` prints it and writes it (typer and the fast
lane), ``batch --format`` streams it where it is a batch format, the interactive "save a
report" menu offers it with its suffix and its name, and the typer choices are the registry's.
Nothing here lists the formats by hand: the tests follow the registry.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from helpers import BUNDLED
from typer.testing import CliRunner

from hamstring_cli import interactive
from hamstring_cli.batch import run_batch
from hamstring_cli.cache import load_questionnaire
from hamstring_cli.cli import app
from hamstring_cli.fast import run_fast
from hamstring_cli.intake.asks import (
    NONE_OF_THESE,
    REPORT_FORMAT,
    REVIEW,
    SAVE,
    SAVE_PATH,
    SAVE_REPORT,
    SHOW_SUMMARY,
    Ask,
)
from hamstring_cli.interactive import intake
from hamstring_cli.model import Questionnaire
from hamstring_cli.render import formats
from hamstring_cli.render.formats import (
    BATCH_DEFAULT,
    BATCH_FORMATS,
    FORMATS,
    SAVED_FORMATS,
    TRIAGE_DEFAULT,
    TRIAGE_FORMATS,
    OutputFormat,
)
from hamstring_cli.report import render
from hamstring_cli.scoring import Result, score

REPO = Path(__file__).resolve().parent.parent
RUPTURE = REPO / "docs" / "examples" / "acute-rupture.yaml"

runner = CliRunner()

NOT_TRIAGE = [f.name for f in FORMATS if not f.triage]
NOT_BATCH = [f.name for f in FORMATS if not f.batch]


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture(scope="module")
def rupture() -> Result:
    from hamstring_cli.answers import read_answers
    from hamstring_cli.runner import scripted_answers

    q = load_questionnaire(str(BUNDLED))
    return score(q, scripted_answers(q, read_answers(str(RUPTURE), q)))


def shows(result: Result, text: str) -> bool:
    """Whether a report names the leading condition (by its words or its id)."""
    leading = result.differential[0]
    return leading.label in text or leading.id in text


# ---------------------------------------------------------------------------------------------
# The registry itself


def test_names_are_unique_and_every_format_serves_a_command() -> None:
    names = [f.name for f in FORMATS]
    assert len(names) == len(set(names))
    assert all(f.triage or f.batch for f in FORMATS)
    assert all(f.triage for f in SAVED_FORMATS), "the save menu saves a single result"
    assert TRIAGE_DEFAULT in TRIAGE_FORMATS and BATCH_DEFAULT in BATCH_FORMATS


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_each_format_module_provides_what_its_commands_call(fmt: OutputFormat) -> None:
    assert fmt.suffix.startswith(".") and fmt.title and fmt.purpose
    if fmt.triage:
        assert callable(formats.report_module(fmt.name).render)
    if fmt.batch:
        assert callable(formats.batch_module(fmt.name).record_writer)


def test_an_unknown_format_or_one_for_the_other_command_is_refused(rupture: Result) -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        render(rupture, "xml")
    for name in NOT_TRIAGE:
        with pytest.raises(ValueError, match="not a report format"):
            render(rupture, name)
    for name in NOT_BATCH:
        with pytest.raises(ValueError, match="unknown batch format"):
            run_batch(rupture.questionnaire, [RUPTURE], fmt=name, stdout=io.StringIO())


def test_the_registry_imports_no_renderer_until_a_format_is_used() -> None:
    code = (
        "import sys, json; import hamstring_cli.render.formats; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('rich', "
        "'hamstring_cli.fhir', 'hamstring_cli.render.', 'hamstring_cli.scoring')))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(done.stdout) == ["hamstring_cli.render.formats"]


@pytest.mark.slow  # a process a format, like the start-up tests
@pytest.mark.parametrize("name", TRIAGE_FORMATS)
def test_a_scripted_run_imports_only_its_own_format_module(name: str, tmp_path: Path) -> None:
    code = (
        "import sys, json\n"
        "from hamstring_cli.fast import run_fast\n"
        f"run_fast(['triage', '-a', {str(RUPTURE)!r}, '-f', {name!r}, '-o', "
        f"{str(tmp_path / 'out')!r}])\n"
        "print(json.dumps(sorted(m.rsplit('.', 1)[1] for m in sys.modules "
        "if m.startswith('hamstring_cli.render.') and m != 'hamstring_cli.render.formats')))\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    module = formats.get(name).module
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    # A format's module may share the small word helpers, nothing of another format.
    assert module in loaded
    assert not loaded & {f.module for f in FORMATS if f.module != module}


# ---------------------------------------------------------------------------------------------
# triage and batch


def _params(command: str) -> dict[str, Any]:
    group: Any = typer.main.get_command(app)
    return {p.name: p for p in group.commands[command].params}


@pytest.mark.parametrize(
    ("command", "names", "default"),
    [("triage", TRIAGE_FORMATS, TRIAGE_DEFAULT), ("batch", BATCH_FORMATS, BATCH_DEFAULT)],
)
def test_the_typer_choices_are_the_registrys(
    command: str, names: tuple[str, ...], default: str
) -> None:
    option = _params(command)["format"]
    assert tuple(option.type.choices) == names
    assert option.default == default


@pytest.mark.parametrize("name", TRIAGE_FORMATS)
def test_every_triage_format_prints_and_writes_a_private_file(
    name: str, tmp_path: Path, rupture: Result
) -> None:
    printed = runner.invoke(app, ["triage", "-a", str(RUPTURE), "-f", name])
    assert printed.exit_code == 0, printed.output
    assert shows(rupture, printed.stdout)
    for route, target in (("typer", tmp_path / "typer"), ("fast", tmp_path / "fast")):
        args = ["triage", "-a", str(RUPTURE), "-f", name, "-o", str(target)]
        if route == "typer":
            done = runner.invoke(app, args)
            assert done.exit_code == 0, done.output
            assert done.stdout == ""
        else:
            assert run_fast(args) == 0
        written = target.read_text(encoding="utf-8")
        assert shows(rupture, written)
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    if name != "fhir":  # a FHIR Bundle has fresh ids and a timestamp each time
        assert (tmp_path / "typer").read_text(encoding="utf-8") == render(rupture, name)


@pytest.mark.parametrize("name", NOT_TRIAGE)
def test_triage_refuses_a_batch_only_format(name: str) -> None:
    done = runner.invoke(app, ["triage", "-a", str(RUPTURE), "-f", name])
    assert done.exit_code == 2
    assert all(n in done.output for n in TRIAGE_FORMATS)


@pytest.mark.parametrize("name", BATCH_FORMATS)
def test_every_batch_format_gives_each_input_its_record(
    name: str, tmp_path: Path, rupture: Result
) -> None:
    missing = tmp_path / "missing.yaml"
    out = io.StringIO()
    total, failed = run_batch(
        rupture.questionnaire,
        [RUPTURE, missing, RUPTURE],
        fmt=name,
        stdout=out,
        stderr=io.StringIO(),
    )
    assert (total, failed) == (3, 1)
    # One line a record, in input order, after at most a header line.
    lines = out.getvalue().splitlines()
    assert len(lines) - 3 in (0, 1), lines
    records = lines[-3:]
    assert shows(rupture, records[0]) and shows(rupture, records[2])
    assert str(missing) in records[1] and not shows(rupture, records[1])
    # Read back by the same command line, the format is the same.
    target = tmp_path / f"out{formats.get(name).suffix}"
    done = runner.invoke(app, ["batch", str(RUPTURE), "-f", name, "-o", str(target)])
    assert done.exit_code == 0, done.output
    assert shows(rupture, target.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", NOT_BATCH)
def test_batch_refuses_a_single_report_format(name: str) -> None:
    done = runner.invoke(app, ["batch", str(RUPTURE), "-f", name])
    assert done.exit_code == 2
    assert all(n in done.output for n in BATCH_FORMATS)


# ---------------------------------------------------------------------------------------------
# The save menu


SUDDEN = {"flags": [NONE_OF_THESE], "onset": "sudden", "pop": "yes", "age": "34"}


@pytest.mark.parametrize("fmt", SAVED_FORMATS, ids=lambda f: f.name)
@pytest.mark.parametrize("shown", TRIAGE_FORMATS)
def test_the_save_menu_offers_every_saved_format_and_saves_it(
    fmt: OutputFormat,
    shown: str,
    mini: Questionnaire,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "report"
    asked: dict[str, Ask] = {}

    def answer(ask: Ask, *args: object, **kwargs: object) -> object:
        asked[ask.key] = ask
        if ask.key in SUDDEN:
            return SUDDEN[ask.key]
        replies = {
            REVIEW: SHOW_SUMMARY,
            SAVE: SAVE_REPORT,
            REPORT_FORMAT: fmt.name,
            SAVE_PATH: str(target),
        }
        return replies[ask.key]

    monkeypatch.setattr(interactive, "prompt", answer)
    monkeypatch.setattr(interactive, "_stdin_is_terminal", lambda: True)
    path_answers = intake(mini, {}, shown_format=shown)
    menu = asked[REPORT_FORMAT]
    offered = [c.value for c in menu.choices]
    assert sorted(offered) == sorted(f.name for f in SAVED_FORMATS)
    # The format the command line shows comes first when it can be saved.
    expected_first = shown if shown in offered else SAVED_FORMATS[0].name
    assert offered[0] == menu.default == expected_first
    assert any(c.title.startswith(fmt.title) and c.value == fmt.name for c in menu.choices)
    assert str(asked[SAVE_PATH].default).endswith(fmt.suffix)
    assert f"Saved the {fmt.title} report" in capsys.readouterr().err
    written = target.read_text(encoding="utf-8")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    result = score(mini, path_answers)
    assert shows(result, written)
    if fmt.name != "fhir":  # fresh ids and a timestamp each time
        assert written == render(result, fmt.name)
