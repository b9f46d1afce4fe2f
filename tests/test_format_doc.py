"""docs/format.md's key tables are generated from the one declaration of the format."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import REPO

from hamstring_cli.format_doc import BEGIN, END, REGENERATE, main, render, replace_block
from hamstring_cli.format_spec import CONDITION_FORMS, RECORDS

DOC = REPO / "docs" / "format.md"


def generated_part(text: str) -> str:
    start = text.index(BEGIN)
    return text[start : text.index(END, start) + len(END)] + "\n"


def test_the_document_is_up_to_date() -> None:
    assert generated_part(DOC.read_text(encoding="utf-8")) == render(), (
        f"docs/format.md is out of date with hamstring_cli/format_spec.py; regenerate it "
        f"from the repository root with: {REGENERATE}"
    )


def test_every_key_of_every_record_and_form_is_in_the_tables() -> None:
    text = render()
    for record in RECORDS.values():
        assert f"### {record.name.replace('_', ' ')}\n" in text
        for field in record.fields:
            assert f"| `{field.key}` |" in text
    for form in CONDITION_FORMS:
        assert f"| `{form.name}` |" in text


def test_writing_keeps_the_prose_around_the_tables(tmp_path: Path) -> None:
    path = tmp_path / "format.md"
    path.write_text(f"# Title\n\nProse before.\n\n{BEGIN}\nstale\n{END}\n\nProse after.\n")
    assert main(["--write", str(path)]) == 0
    written = path.read_text()
    assert written.startswith("# Title\n\nProse before.\n\n" + BEGIN)
    assert written.endswith(END + "\n\nProse after.\n")
    assert "stale" not in written
    assert replace_block(written) == written


def test_the_module_prints_the_tables() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hamstring_cli.format_doc"], capture_output=True, check=True
    )
    assert done.stdout.decode("utf-8") == render()
