"""An output that cannot hold every character (``PYTHONIOENCODING=ascii``) never renames.

The program's own typographic punctuation (bullets, arrows, dashes, curly quotes, the
ellipsis, a non-breaking space, box drawing) gets ASCII look-alikes; any other character, which
may be part of a file name or of a patient's data, is written as its escape (``\\xf6``), so
``nö.yaml`` never prints as ``no.yaml``, which names another, valid file.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_answers import TINY

from hamstring_cli import exits

VALID = 'flags: []\nonset: sudden\npop: "yes"\nage: 34\n'
ADVICE = "See a surgeon in Zürich ñ😀 – today."


def hamstring(cwd: Path, *args: str, encoding: str = "ascii") -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(
        [sys.executable, "-m", "hamstring_cli", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": encoding},
        timeout=60,
        check=False,
    )
    assert b"Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A valid ``no.yaml`` beside a broken ``nö.yaml``, and a questionnaire with non-ASCII text."""
    (tmp_path / "q.yaml").write_text(
        TINY.replace("See a surgeon.", ADVICE).replace("title: Tiny", "title: Knöchel ñ😀"),
        encoding="utf-8",
    )
    assert ADVICE in (tmp_path / "q.yaml").read_text(encoding="utf-8")
    (tmp_path / "no.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "nö.yaml").write_text("age: 'ñ😀'\n", encoding="utf-8")
    return tmp_path


def test_batch_names_the_failing_file_by_its_escape_never_as_another(folder: Path) -> None:
    done = hamstring(folder, "batch", "-q", "q.yaml", "no.yaml", "nö.yaml")
    assert done.returncode == 1
    err = done.stderr.decode("ascii")
    lines = err.splitlines()
    assert any(line.startswith("n\\xf6.yaml:1:") for line in lines), err
    assert not any(line.startswith("no.yaml") for line in lines), err
    assert "'\\xf1\\U0001f600'" in err  # the data, too, is escaped, never 'n?'


@pytest.mark.parametrize(
    "args",
    [
        ("triage", "-q", "q.yaml", "-a", "nö.yaml"),
        ("triage", "-q", "q.yaml", "-a", "nö.yaml", "-f", "markdown"),
        ("triage", "-q", "q.yaml", "-a", "nö.yaml", "-f", "json"),
        ("explain", "-q", "q.yaml", "--answers", "nö.yaml"),
        ("graph", "-q", "nö.yaml"),
        ("batch", "-q", "q.yaml", "nö.yaml"),
    ],
    ids=["triage text", "triage markdown", "triage json", "explain", "graph", "batch"],
)
def test_every_message_keeps_a_non_ascii_name_distinct(folder: Path, args: tuple[str, ...]) -> None:
    done = hamstring(folder, *args)
    assert done.returncode != 0
    err = done.stderr.decode("ascii")  # ASCII, as asked
    assert "n\\xf6.yaml" in err, err
    assert "no.yaml" not in err, err


@pytest.mark.parametrize(
    "fmt, shown",
    [
        ("text", "See a surgeon in Z\\xfcrich \\xf1\\U0001f600 - today."),
        ("markdown", ADVICE),  # a report's format: UTF-8 whatever the locale
        ("json", ADVICE),
    ],
)
def test_data_in_a_summary_is_escaped_never_transliterated(
    folder: Path, fmt: str, shown: str
) -> None:
    done = hamstring(folder, "triage", "-q", "q.yaml", "-a", "no.yaml", "-f", fmt)
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode("utf-8")
    assert shown in out
    assert "Zurich" not in out


def test_a_graph_escapes_the_title(folder: Path) -> None:
    done = hamstring(folder, "graph", "-q", "q.yaml")
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode("ascii")
    assert "Kn\\xf6chel \\xf1\\U0001f600" in out
    assert "Knochel" not in out


def test_the_programs_own_punctuation_keeps_its_look_alikes() -> None:
    assert shown("• a – b — c … “d” ‘e’ → ← ─│┌") == b"* a - b - c ... \"d\" 'e' -> <- -|+"


def shown(text: str, encoding: str = "ascii") -> bytes:
    """``text`` as standard output in ``encoding`` writes it, after the command's fallback."""
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding=encoding)
    exits._fall_back_to_ascii(stream)
    stream.write(text)
    stream.flush()
    return raw.getvalue()


#: Names as a user may give them: any character but a backslash (an escape's own first
#: character: ``\\xf6`` typed as four characters prints as ``ö`` does, as with Python's
#: backslashreplace) and the typographic punctuation that has a look-alike.
NAMES = st.text(
    alphabet=st.characters(
        blacklist_characters="\\" + "".join(exits._ASCII),
        blacklist_categories=("Cs",),
    ).filter(lambda c: not "\u2500" <= c <= "\u257f"),
    min_size=1,
    max_size=12,
).filter(lambda name: not name.isascii())


@pytest.mark.slow
@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(first=NAMES, second=NAMES)
def test_two_different_names_never_print_the_same(first: str, second: str) -> None:
    for encoding in ("ascii", "latin-1"):
        a, b = shown(first, encoding), shown(second, encoding)
        assert (a == b) == (first == second)
        # Stronger: the printed text reads back as the name, so no two can meet.
        assert (
            a.decode(encoding).encode("latin-1", "backslashreplace").decode("unicode_escape")
            == first
        )
