"""Reports: the JSON contract, the Markdown report, the text summary, private atomic files."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import stat
from pathlib import Path
from types import MappingProxyType

import pytest
from rich.console import Console

from hamstring_cli import files
from hamstring_cli.files import OutputError, write_private
from hamstring_cli.model import (
    ConditionDef,
    Contains,
    Equals,
    ImagingRule,
    LevelText,
    Note,
    Option,
    Outcomes,
    Question,
    Questionnaire,
    RedFlagRule,
    Reference,
    ScoreRule,
    TriageRule,
)
from hamstring_cli.render.markdown import render_markdown
from hamstring_cli.render.text import render_summary, render_text
from hamstring_cli.report import emit, reaches
from hamstring_cli.scoring import Result, score

ANSI = re.compile(r"\x1b\[")
BOX_DRAWING = re.compile(r"[\u2500-\u257f]")


def questionnaire() -> Questionnaire:
    levels = {
        name: LevelText(name.capitalize(), f"{name} timeframe", f"{name} words.")
        for name in ("emergency", "urgent", "soon", "routine")
    }
    return Questionnaire(
        id="t",
        version="2.1.0",
        title="Thigh pain",
        disclaimer="Decision support, not a diagnosis.",
        content_hash="abc123",
        references=(
            Reference("R1", "Rupture study"),
            Reference("R2", "Tendon study"),
            Reference("R3", "Flag study"),
            Reference("R9", "Never cited"),
        ),
        questions=(
            Question(
                "flags",
                "multi",
                "Any of these?",
                options=(Option("foot", "Foot drop"), Option("lump", "A growing lump")),
            ),
            Question(
                "pop",
                "choice",
                "Was there a pop | snap?",
                options=(Option("yes", "Yes, a pop"), Option("no", "No pop")),
            ),
            Question("days", "integer", "Days since?", minimum=0, maximum=99, unit="days"),
        ),
        outcomes=Outcomes(
            conditions=(
                ConditionDef(
                    "rupture",
                    "Rupture (tendon avulsion)",
                    triage=(TriageRule("urgent", "See a surgeon on day {days}.", "R1"),),
                ),
                ConditionDef(
                    "tendon", "Tendinopathy", triage=(TriageRule("routine", "Load it.", "R2"),)
                ),
            ),
            scores=(
                ScoreRule("rupture", Equals("pop", "yes"), 5, "a pop at injury", "R1"),
                ScoreRule(
                    "tendon",
                    Equals("pop", "yes"),
                    -2,
                    "a pop is not overuse, and a single moment of injury is not how a tendon that "
                    "has been overloaded for weeks or months usually starts to hurt",
                    "R2",
                ),
                ScoreRule("tendon", Equals("pop", "no"), 1, "no pop", "R2"),
            ),
            red_flags=(
                RedFlagRule("foot_drop", Contains("flags", ("foot",)), "urgent", "Nerve.", "R3"),
            ),
            imaging=(ImagingRule(Equals("pop", "yes"), "MRI", "urgent", "Torn or not.", "R1"),),
            levels=MappingProxyType(levels),
            notes=(Note("No validated rule café.", "R2"),),
        ),
    )


def rupture() -> Result:
    return score(questionnaire(), {"flags": ("foot",), "pop": "yes", "days": 12})


def quiet() -> Result:
    return score(questionnaire(), {"flags": (), "pop": "no", "days": 3})


# -- JSON -----------------------------------------------------------------------------------------


def test_json_on_stdout_is_the_contract_indented_and_utf8(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    emit(rupture(), "json")
    out = capsysbinary.readouterr().out
    assert json.loads(out.decode("utf-8")) == rupture().to_dict()
    assert "café".encode() in out  # not escaped as \u00e9
    assert out.startswith(b'{\n  "schema_version"')


# -- Markdown -------------------------------------------------------------------------------------


def test_markdown_has_everything_a_clinical_note_needs() -> None:
    text = render_markdown(rupture(), today=dt.date(2024, 3, 5))
    for needed in (
        "2024-03-05",
        "`t`",
        "2.1.0",
        "abc123",
        "Foot drop",  # answers in words, not ids
        "Yes, a pop",
        "12 days",
        "Rupture (tendon avulsion)",
        "a pop at injury",
        "a pop is not overuse",
        "Urgent",
        "Urgent",
        "within days",
        "See a surgeon on day 12.",
        "MRI",
        "Torn or not.",
        "Foot drop: urgent",  # a red flag in words, never its id
        "Nerve.",
        "No validated rule café.",
        "Rupture study",
        "Decision support, not a diagnosis.",
    ):
        assert needed in text, needed
    assert "Never cited" not in text
    assert "foot_drop" not in text


def test_markdown_findings_are_marked_for_and_against() -> None:
    text = render_markdown(rupture(), today=dt.date(2024, 3, 5))
    # In the differential (the decision above it says 'Because: a pop at injury').
    for_line = next(line for line in text.splitlines() if "For: a pop at injury" in line)
    against_line = next(line for line in text.splitlines() if "a pop is not overuse" in line)
    assert for_line.lstrip().startswith("- For")
    assert against_line.lstrip().startswith("- Against")


def test_markdown_keeps_table_cells_whole() -> None:
    text = render_markdown(rupture(), today=dt.date(2024, 3, 5))
    row = next(line for line in text.splitlines() if "pop" in line and line.startswith("|"))
    # An escaped pipe does not split the cell: the row still has exactly two cells.
    assert len(re.split(r"(?<!\\)\|", row.strip().strip("|"))) == 2


def test_markdown_without_flags_or_imaging_says_so() -> None:
    text = render_markdown(quiet(), today=dt.date(2024, 3, 5))
    assert "foot_drop" not in text
    assert "## Red flags" in text
    assert "MRI" not in text


# -- text -----------------------------------------------------------------------------------------


def terminal(width: int, *, no_color: bool = False) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, force_terminal=True, no_color=no_color, highlight=False
    )
    return console, buffer


def test_text_on_a_terminal_has_a_coloured_banner_and_a_table() -> None:
    console, buffer = terminal(100)
    render_summary(rupture(), console)
    out = buffer.getvalue()
    assert ANSI.search(out)
    assert BOX_DRAWING.search(out)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert "URGENT" in plain
    assert "URGENT: within days" in plain
    for needed in ("Rupture (tendon avulsion)", "a pop at injury", "MRI", "Foot drop", "R1"):
        assert needed in plain


def test_text_is_plain_when_piped() -> None:
    out = render_text(rupture(), width=80)
    assert not ANSI.search(out)
    assert not BOX_DRAWING.search(out)
    assert all(line == line.rstrip() for line in out.splitlines())  # pastes cleanly
    assert "a pop is not overuse" in out
    assert "Decision support, not a diagnosis." in out


def test_no_color_on_a_terminal_draws_no_colour_and_no_boxes() -> None:
    console, buffer = terminal(100, no_color=True)
    render_summary(rupture(), console)
    out = buffer.getvalue()
    assert not ANSI.search(out)
    assert not BOX_DRAWING.search(out)
    assert "a pop at injury" in out


@pytest.mark.parametrize("width", [40, 60])
def test_text_fits_a_narrow_terminal(width: int) -> None:
    console, buffer = terminal(width)
    render_summary(rupture(), console)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", buffer.getvalue())
    assert max(len(line) for line in plain.splitlines()) <= width
    assert "usually starts to hurt" in " ".join(plain.split())


def test_text_to_stdout_when_piped_is_plain(capsys: pytest.CaptureFixture[str]) -> None:
    emit(rupture(), "text")
    out = capsys.readouterr().out
    assert "Rupture (tendon avulsion)" in out
    assert not ANSI.search(out)


# -- reaches --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected"),
    [("emergency", False), ("urgent", True), ("soon", True), ("routine", True)],
)
def test_reaches_compares_how_pressing_the_level_is(level: str, expected: bool) -> None:
    assert rupture().triage.level == "urgent"
    assert reaches(rupture(), level) is expected


def test_routine_reaches_only_routine() -> None:
    assert quiet().triage.level == "routine"
    assert [lvl for lvl in ("emergency", "urgent", "soon", "routine") if reaches(quiet(), lvl)] == [
        "routine"
    ]


# -- files ----------------------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_output_file_is_private_and_stdout_stays_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = os.umask(0)  # even with a permissive umask
    try:
        emit(rupture(), "json", output=tmp_path / "r.json")
    finally:
        os.umask(old)
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert mode(tmp_path / "r.json") == 0o600
    assert json.loads((tmp_path / "r.json").read_text("utf-8")) == rupture().to_dict()


@pytest.mark.parametrize("fmt", ["markdown", "text"])
def test_output_file_in_other_formats_is_plain_text(tmp_path: Path, fmt: str) -> None:
    emit(rupture(), fmt, output=tmp_path / "r.txt")
    written = (tmp_path / "r.txt").read_text("utf-8")
    assert "Rupture (tendon avulsion)" in written
    assert not ANSI.search(written)


def test_an_existing_file_is_kept_without_force(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("keep me")
    with pytest.raises(OutputError):
        emit(rupture(), "json", output=target)
    assert target.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_force_replaces_the_file_and_makes_it_private(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("old")
    target.chmod(0o644)
    emit(rupture(), "json", output=target, force=True)
    assert json.loads(target.read_text("utf-8"))["leading"] == "rupture"
    assert mode(target) == 0o600


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, OSError])
def test_a_failed_write_leaves_no_file_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interrupt: type[BaseException]
) -> None:
    def broken(fd: int) -> None:
        raise interrupt()

    monkeypatch.setattr(files.os, "fsync", broken)
    with pytest.raises((KeyboardInterrupt, OutputError)):
        write_private(tmp_path / "r.json", b"{}")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_keeps_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "r.json"
    target.write_text("old")

    def broken(src: str, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "replace", broken)
    with pytest.raises(KeyboardInterrupt):
        write_private(target, b"new", force=True)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_a_directory_or_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError):
        write_private(tmp_path, b"{}")
    with pytest.raises(OutputError):
        write_private(tmp_path / "no" / "such" / "r.json", b"{}")


def test_a_file_that_appears_meanwhile_is_not_clobbered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "r.json"
    real_link = os.link

    def racing(src: str, dst: object) -> None:
        target.write_text("theirs")  # another process wins the race
        real_link(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(files.os, "link", racing)
    with pytest.raises(OutputError):
        write_private(target, b"ours")
    assert target.read_text() == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
