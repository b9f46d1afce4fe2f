"""Batches: one record per input in input order; a bad input is an error record, not a stop."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import write
from test_answers import TINY
from typer.testing import CliRunner

from hamstring_cli import cache
from hamstring_cli.cli import app

runner = CliRunner()

GOOD = 'flags: []\nonset: sudden\npop: "yes"\nage: 34\n'
TENDON = "flags: [lump]\nonset: gradual\nweeks: 10\nage: 50\n"


pytestmark = pytest.mark.usefixtures("private_cache")


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write(tmp_path, TINY, "tiny.yaml")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "b.yaml").write_text(TENDON)
    (cases / "a.yml").write_text(GOOD)
    (cases / "c.json").write_text(
        json.dumps({"flags": [], "onset": "sudden", "pop": "no", "age": 9})
    )
    (cases / "notes.txt").write_text("not an answer file")
    (cases / "sub").mkdir()
    (cases / "sub" / "d.yaml").write_text(GOOD)
    return cases


def batch(*args: str | Path) -> object:
    return runner.invoke(app, ["batch", *map(str, args)])


def records(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_a_folder_gives_its_answer_files_in_sorted_order(tiny: Path, folder: Path) -> None:
    result = batch(folder, "-q", tiny)
    assert result.exit_code == 0, result.output
    out = records(result.stdout)
    assert [r["source"] for r in out] == [str(folder / n) for n in ("a.yml", "b.yaml", "c.json")]
    assert [r["leading"] for r in out] == ["rupture", "tendon", "rupture"]


def test_each_record_is_the_triage_result_plus_its_source(tiny: Path, folder: Path) -> None:
    single = runner.invoke(
        app, ["triage", "-q", str(tiny), "-a", str(folder / "b.yaml"), "-f", "json"]
    )
    (record,) = records(batch(folder / "b.yaml", "-q", tiny).stdout)
    assert record.pop("source") == str(folder / "b.yaml")
    assert record == json.loads(single.stdout)


def test_inputs_keep_the_order_given(tiny: Path, folder: Path) -> None:
    out = records(batch(folder / "c.json", folder / "a.yml", folder, "-q", tiny).stdout)
    assert [Path(str(r["source"])).name for r in out] == [
        "c.json",
        "a.yml",
        "a.yml",
        "b.yaml",
        "c.json",
    ]


def test_a_bad_input_is_an_error_record_and_the_others_still_run(
    tmp_path: Path, tiny: Path
) -> None:
    (tmp_path / "1.yaml").write_text(GOOD)
    (tmp_path / "2.yaml").write_text("flags: []\nonset: sudenn\n")
    (tmp_path / "3.yaml").write_text(TENDON)
    result = batch(tmp_path / "1.yaml", tmp_path / "2.yaml", tmp_path / "3.yaml", "-q", tiny)
    assert result.exit_code == 1
    first, bad, last = records(result.stdout)
    assert first["leading"] == "rupture"
    assert last["leading"] == "tendon"
    assert bad == {
        "source": str(tmp_path / "2.yaml"),
        "error": {
            "code": "E202",
            "message": bad["error"]["message"],  # type: ignore[index]
            "file": str(tmp_path / "2.yaml"),
            "line": 2,
            "column": 8,
            "question": "onset",
        },
    }
    assert f"{tmp_path / '2.yaml'}:2:8: error E202" in result.stderr


def test_missing_answers_are_an_error_record_never_a_prompt(tmp_path: Path, tiny: Path) -> None:
    (tmp_path / "part.yaml").write_text("flags: []\nonset: sudden\n")
    result = batch(tmp_path / "part.yaml", "-q", tiny)
    assert result.exit_code == 1
    (record,) = records(result.stdout)
    assert record["error"]["code"] == "E207"  # type: ignore[index]
    assert record["error"]["question"] == "pop"  # type: ignore[index]


def test_a_missing_input_file_is_an_error_record(tmp_path: Path, tiny: Path) -> None:
    (tmp_path / "ok.yaml").write_text(GOOD)
    result = batch(tmp_path / "gone.yaml", tmp_path / "ok.yaml", "-q", tiny)
    assert result.exit_code == 1
    gone, ok = records(result.stdout)
    assert gone["error"]["code"] == "E001"  # type: ignore[index]
    assert ok["leading"] == "rupture"


def test_json_lines_make_one_input_per_line(tmp_path: Path, tiny: Path) -> None:
    lines = tmp_path / "cases.jsonl"
    out_of_range = '{"flags": [], "onset": "gradual", "weeks": 300}'
    lines.write_text(
        json.dumps({"flags": [], "onset": "sudden", "pop": "yes", "age": 34})
        + "\n\n"  # blank lines are skipped, but still counted
        + out_of_range
        + "\n"
        + json.dumps({"flags": [], "onset": "gradual", "weeks": 1, "age": 70})
        + "\n"
    )
    result = batch(lines, "-q", tiny)
    assert result.exit_code == 1
    first, bad, last = records(result.stdout)
    assert first["source"] == f"{lines}:1"
    assert bad["source"] == f"{lines}:3"
    assert bad["error"] == {  # the place is in the .jsonl file, on its line
        "code": "E204",
        "message": bad["error"]["message"],  # type: ignore[index]
        "file": str(lines),
        "line": 3,
        "column": out_of_range.index("300") + 1,
        "question": "weeks",
    }
    assert last["source"] == f"{lines}:4"
    assert last["leading"] == "tendon"


def test_a_broken_json_line_is_an_error_on_that_line(tmp_path: Path, tiny: Path) -> None:
    lines = tmp_path / "cases.jsonl"
    lines.write_text(json.dumps({"flags": []}) + "\n" + '{"flags": [}\n')
    out = records(batch(lines, "-q", tiny).stdout)
    assert out[0]["error"]["code"] == "E207"  # type: ignore[index]
    # A line of JSON Lines is read as JSON: a JSON syntax error, at its line and column.
    assert out[1]["error"]["code"] == "E019"  # type: ignore[index]
    assert out[1]["error"]["line"] == 2  # type: ignore[index]
    assert out[1]["error"]["column"] == 12  # type: ignore[index]


def test_csv_has_one_row_per_input_and_an_error_column(tmp_path: Path, tiny: Path) -> None:
    (tmp_path / "1.yaml").write_text(TENDON)
    (tmp_path / "2.yaml").write_text("flags: [lump, numb]\nonset: sudden\npop: maybe\n")
    result = batch(tmp_path / "1.yaml", tmp_path / "2.yaml", "-q", tiny, "--format", "csv")
    assert result.exit_code == 1
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [
        "source",
        "leading",
        "confidence",
        "level",
        "imaging_modality",
        "imaging_urgency",
        "red_flags",
        "error",
    ]
    ok, bad = rows
    assert ok["leading"] == "tendon"
    assert ok["level"] == "soon"  # the lump's red flag
    assert ok["red_flags"] == "lump"
    assert ok["imaging_modality"] == ""
    assert ok["error"] == ""
    assert bad["leading"] == ""
    assert bad["error"].startswith("E202")


def test_red_flags_are_joined_with_semicolons(tmp_path: Path, tiny: Path) -> None:
    two_flags = TINY.replace(
        "  imaging:",
        "    - {id: numb, when: {question: flags, contains: numb}, level: urgent,"
        " advice: Nerve., source: R1}\n  imaging:",
    )
    questionnaire = tmp_path / "two.yaml"
    questionnaire.write_text(two_flags)
    (tmp_path / "a.yaml").write_text(TENDON.replace("[lump]", "[numb, lump]"))
    result = batch(tmp_path / "a.yaml", "-q", questionnaire, "-f", "csv")
    assert result.exit_code == 0, result.output
    (row,) = csv.DictReader(io.StringIO(result.stdout))
    assert sorted(row["red_flags"].split(";")) == ["lump", "numb"]


def test_output_is_private_and_refuses_to_overwrite(
    tmp_path: Path, tiny: Path, folder: Path
) -> None:
    target = tmp_path / "out.jsonl"
    result = batch(folder, "-q", tiny, "-o", target)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert len(records(target.read_text("utf-8"))) == 3
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "hamstring_cli",
            "batch",
            str(folder),
            "-q",
            str(tiny),
            "-o",
            target,
        ],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ},
        check=False,
        timeout=60,
    )
    assert done.returncode == 1
    assert b"--force" in done.stderr
    assert batch(folder, "-q", tiny, "-o", target, "--force", "-f", "csv").exit_code == 0
    assert target.read_text("utf-8").startswith("source,")


def test_the_questionnaire_is_loaded_once(
    tiny: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[object] = []
    real = cache.load_questionnaire

    def counting(path: object) -> object:
        loads.append(path)
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(cache, "load_questionnaire", counting)
    assert batch(folder, folder, "-q", tiny).exit_code == 0
    assert len(loads) == 1


def test_a_folder_without_answer_files_is_warned_about(tmp_path: Path, tiny: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = batch(empty, "-q", tiny)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert str(empty) in result.stderr


def test_unused_answers_in_a_batch_are_warnings(tmp_path: Path, tiny: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD + "weeks: 4\n")
    result = batch(tmp_path / "a.yaml", "-q", tiny)
    assert result.exit_code == 0
    assert "W206" in result.stderr
    assert "weeks" not in records(result.stdout)[0]["answers"]  # type: ignore[operator]


def test_non_ascii_text_is_written_as_utf8(tmp_path: Path, tiny: Path) -> None:
    accented = tmp_path / "accent.yaml"
    accented.write_text(TINY.replace("label: Rupture", "label: Rupture à l'ischion"), "utf-8")
    (tmp_path / "a.yaml").write_text(GOOD)
    result = batch(tmp_path / "a.yaml", "-q", accented)
    assert "Rupture à l'ischion" in result.stdout


@pytest.mark.parametrize("extra", [[], ["--format", "csv"]])
def test_no_input_is_a_usage_error(tiny: Path, extra: list[str]) -> None:
    assert runner.invoke(app, ["batch", "-q", str(tiny), *extra]).exit_code == 2


def long_batch(tmp_path: Path, count: int = 60) -> Path:
    cases = tmp_path / "many"
    cases.mkdir()
    for number in range(count):
        (cases / f"{number:03d}.yaml").write_text(GOOD)
    return cases


@pytest.mark.pty
def test_a_long_batch_shows_progress_on_a_terminal(tmp_path: Path, tiny: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    cases = long_batch(tmp_path)
    target = tmp_path / "out.jsonl"
    child = pexpect.spawn(
        sys.executable,
        ["-m", "hamstring_cli", "batch", str(cases), "-q", str(tiny), "-o", str(target)],
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"},
        timeout=60,
    )
    child.expect("Scoring")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert len(records(target.read_text("utf-8"))) == 60


def test_a_long_batch_draws_no_bar_when_stderr_is_not_a_terminal(
    tmp_path: Path, tiny: Path
) -> None:
    cases = long_batch(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "hamstring_cli", "batch", str(cases), "-q", str(tiny)],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ},
        check=False,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stderr == b""
    assert len(done.stdout.splitlines()) == 60


def test_json_lines_end_at_newlines_only(tmp_path: Path, tiny: Path) -> None:
    lines = tmp_path / "cases.jsonl"
    separator = "\u2028"  # allowed raw inside a JSON string; not a line break in JSON Lines
    first = {"flags": [], "onset": "sudden", "pop": "yes", "age": 34, "note": f"a{separator}b"}
    lines.write_bytes(
        (json.dumps(first, ensure_ascii=False) + "\r\n" + '{"flags": [], "pop": 1}\n').encode()
    )
    out = records(batch(lines, "-q", tiny).stdout)
    assert [r["source"] for r in out] == [f"{lines}:1", f"{lines}:2"]
    assert out[0]["error"]["code"] == "E201"  # type: ignore[index]  # 'note' is no question
    assert out[1]["error"]["line"] == 2  # type: ignore[index]
