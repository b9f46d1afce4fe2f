"""Hostile input, round two: the classes whose fix is in what is read and written.

Each test names its class (of the second hostile-input campaign). These run in process; the
classes that need a real process (a closed pipe, a full disk, a closed descriptor, the
environment) are in ``test_streams.py``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import BUNDLED, MINI_INTAKE, Run, in_process, questionnaire_text, write
from test_answers import TINY, stdin

from hamstring_cli import cache, interactive, safe_yaml, sessions
from hamstring_cli.answers import check_answers, read_answers, unused_warnings
from hamstring_cli.batch import run_batch
from hamstring_cli.cache import load_questionnaire
from hamstring_cli.cases import CaseError, read_case
from hamstring_cli.errors import AnswerError, Diagnostic, QuestionnaireError, escape_json
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
from hamstring_cli.render.csv import FORMULA_STARTS, cell
from hamstring_cli.render.csv import row as csv_row
from hamstring_cli.render.formats import Record
from hamstring_cli.render.markdown import render_markdown
from hamstring_cli.report import to_json
from hamstring_cli.safe_yaml import read_data, read_document
from hamstring_cli.scoring import score
from hamstring_cli.sessions import SessionFile, SessionFileError, default_report_path

HERE = Path(__file__).resolve().parent
GOOD = {"flags": [], "onset": "sudden", "pop": "yes", "age": 34}
#: What a terminal acts on, and no JSON, Markdown or message may carry raw.
RAW_CONTROLS = ("\x1b", "\x9b", "\x07", "\u202e", "\u2066", "\u2028")


@pytest.fixture
def tiny_path(tmp_path: Path) -> Path:
    return write(tmp_path, TINY, "tiny.yaml")


@pytest.fixture
def tiny(tiny_path: Path) -> Questionnaire:
    return load_questionnaire(tiny_path)


def hamstring(*args: object, encoding: str = "utf-8") -> Run:
    """Run the command's entry point in process, standard output in ``encoding``."""
    return in_process(*args, encoding=encoding)


def codes(error: pytest.ExceptionInfo[AnswerError] | AnswerError) -> list[str]:
    found = error.value if isinstance(error, pytest.ExceptionInfo) else error
    return [d.code for d in found.diagnostics]


# -- class 3: an empty report, and "" read as none ---------------------------------------------


def test_columns_0_still_draws_the_whole_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "0")
    monkeypatch.setenv("LINES", "0")
    rupture = HERE.parent / "docs" / "examples" / "acute-rupture.yaml"
    run = hamstring("triage", "--answers", rupture, "--format", "text")
    assert run.status in (0, None), run.err
    text = run.out.decode("utf-8")
    assert "Most likely: Acute proximal hamstring rupture" in " ".join(text.split())
    assert max(len(line) for line in text.splitlines()) > 20


@pytest.mark.parametrize("written", ['""', "''", '"  "', '[""]'])
def test_empty_text_for_a_multi_answer_is_refused_not_read_as_none(
    tmp_path: Path, tiny: Questionnaire, written: str
) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(f"flags: {written}\nonset: gradual\nweeks: 3\nage: 40\n", encoding="utf-8")
    with pytest.raises(AnswerError) as raised:
        read_answers(path, tiny)
    (problem,) = raised.value.diagnostics
    assert problem.code == "E202"
    assert problem.place is not None and problem.place.line == 1
    assert "write []" in problem.message
    # The ways to say none that were refused before still are; [] is none.
    path.write_text("flags: []\nonset: gradual\nweeks: 3\nage: 40\n", encoding="utf-8")
    assert read_answers(path, tiny)["flags"] == ()


# -- class 5: control characters in questionnaires, cases and outputs --------------------------

CONTROLS = {
    "ESC, a title change and a clear": "\\e]0;PWNED\\a\\e[2J",
    "CSI (U+009B)": "\\u009b31m",
    "a right-to-left override": "abc\\u202edef",
    "a left-to-right isolate": "\\u2066x\\u2069",
    "a carriage return": "line\\rforged",
    "a line separator": "a\\u2028b",
    "DEL": "a\\x7fb",
}


@pytest.mark.parametrize("escaped", CONTROLS.values(), ids=list(CONTROLS))
def test_check_refuses_control_characters_in_questionnaire_text(
    tmp_path: Path, escaped: str
) -> None:
    text = questionnaire_text(
        f"""
        questions:
          - id: pain
            type: choice
            prompt: "Where {escaped} does it hurt?"
            options:
              - {{value: "yes", label: "Yes"}}
              - {{value: "no", label: "No {escaped}"}}
        """
    )
    path = tmp_path / "q.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionnaireError) as raised:
        load_questionnaire(path)
    found = [d for d in raised.value.diagnostics if d.code == "E020"]
    # Both texts, each at its own place.
    assert [(d.place.line, d.place.column) for d in found if d.place] == [(4, 13), (7, 30)]
    for d in found:
        assert not any(c in str(d) for c in RAW_CONTROLS)


def test_line_breaks_and_tabs_stay_allowed_in_text(tmp_path: Path) -> None:
    text = questionnaire_text(
        """
        questions:
          - id: pain
            type: choice
            prompt: "Where does it hurt?\\tPoint to it."
            help: |
              Two lines
              of help.
            options:
              - {value: "yes", label: "Yes"}
              - {value: "no", label: "No"}
        """
    )
    path = tmp_path / "q.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_questionnaire(path).question("pain").help == "Two lines\nof help.\n"


def test_a_web_address_with_markup_or_controls_is_refused(tmp_path: Path) -> None:
    text = questionnaire_text(
        """
        questions:
          - id: pain
            type: choice
            prompt: Where?
            options:
              - {value: "yes", label: "Yes"}
              - {value: "no", label: "No"}
        """
    ).replace(
        "{id: R1, citation: Source one.}",
        '{id: R1, citation: Source one., url: "https://a.org/x><script>alert(1)</script>"}',
    )
    text = text.replace(
        "{id: R2, citation: Source two.}",
        '{id: R2, citation: Source two., url: "https://a.org/\\e]0;x\\a"}',
    )
    path = tmp_path / "q.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionnaireError) as raised:
        load_questionnaire(path)
    assert sorted(d.code for d in raised.value.diagnostics) == ["E013", "E020"]


def test_check_refuses_control_characters_in_a_teaching_case(tmp_path: Path) -> None:
    case = (BUNDLED.parent / "cases" / "red-flag-foot-drop.yaml").read_text(encoding="utf-8")
    path = tmp_path / "case.yaml"
    path.write_text(
        case.replace("title: Toes catching", 'title: "\\e]0;owned\\a\\e[2JToes catching'),
        encoding="utf-8",
    )
    path.write_text(path.read_text(encoding="utf-8").replace("avulsion\n", 'avulsion"\n', 1))
    with pytest.raises(CaseError) as raised:
        read_case(path)
    (problem,) = raised.value.diagnostics
    assert (problem.code, problem.place.line) == ("E020", 3)  # type: ignore[union-attr]


def test_json_output_escapes_c1_controls_bidi_overrides_and_separators() -> None:
    data = {"text": "a\x1bb\x9bc\u202ed\u2066e\u2028f\x85g", "emoji": "\U0001f600"}
    written = to_json(data)
    assert not any(c in written for c in RAW_CONTROLS)
    assert "\\u009b" in written and "\\u202e" in written and "\\u2066" in written
    assert "\U0001f600" in written  # printable text stays as it is
    assert json.loads(written) == data


#: What JSON output writes as escapes (errors._JSON_UNSAFE, spelt out again as the reference).
UNSAFE_CLASS = "[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"


def test_json_escaping_finds_each_unsafe_character_wherever_it_stands() -> None:
    # escape_json looks for the unsafe characters by bytes first (quicker on a long record):
    # it must escape exactly what the character class names, alone, beside ASCII and beside
    # the accented letters and dashes a record holds, for every code point that could be
    # near a boundary of the byte search (the BMP up to U+3000, the surrogates, the top).
    points = [*range(0x3000), *range(0xD700, 0xE100), *range(0xFF00, 0x10100), 0x10FFFF]
    for point in points:
        char = chr(point)
        for text in (char, f"ab{char}", f"é—{char}x", f"\u2014{char}\u00e9"):
            expected = "".join(
                f"\\u{ord(c):04x}" if re.fullmatch(UNSAFE_CLASS, c) else c for c in text
            )
            assert escape_json(text) == expected, hex(point)


def test_a_batch_record_of_a_hostile_file_name_is_escaped_and_reads_back(
    tmp_path: Path, tiny_path: Path
) -> None:
    name = tmp_path / "x\u202e\x9b1m.yaml"
    name.write_text(json.dumps(GOOD), encoding="utf-8")
    out = io.StringIO()
    run_batch(load_questionnaire(tiny_path), [name], stdout=out, stderr=io.StringIO())
    line = out.getvalue()
    assert not any(c in line for c in RAW_CONTROLS)
    assert json.loads(line)["source"] == str(name)


def test_messages_naming_a_hostile_file_are_escaped(tmp_path: Path) -> None:
    path = tmp_path / "\x1b]0;owned\x07.yaml"
    path.write_text(json.dumps({"red_flags": [], "age": 30}), encoding="utf-8")
    # An answer file given to 'check': the hint that names it and the command to run.
    run = hamstring("check", path)
    assert run.status == 1
    assert "looks like an answer file" in run.err
    assert not any(c in run.err for c in RAW_CONTROLS)


# -- class 7: HTML in Markdown reports ---------------------------------------------------------

HOSTILE_MARKUP = (
    "<script>alert(1)</script> <img src=x onerror=alert(2)> "
    "[click](javascript:alert(3)) ![x](javascript:alert(4)) <javascript:alert(5)> &lt;b&gt;"
)


def test_the_markdown_report_escapes_html_and_links_in_text_from_data(tmp_path: Path) -> None:
    hostile = json.dumps(HOSTILE_MARKUP)
    text = TINY.replace("title: Tiny", f"title: {hostile}")
    text = text.replace("prompt: A pop?", f"prompt: {hostile}")
    text = text.replace('label: "Yes"}', f"label: {hostile}}}", 1)
    text = text.replace("advice: See a surgeon.", f"advice: {hostile}")
    path = tmp_path / "q.yaml"
    path.write_text(text, encoding="utf-8")
    q = load_questionnaire(path)
    report = render_markdown(score(q, {**GOOD, "flags": ()}))
    for raw in ("<script", "<img", "<javascript:", "&lt;b&gt;"):
        assert raw not in report
    # No link or image: every bracket from the text is escaped.
    assert re.search(r"(?<!\\)\]\(", report) is None
    # Every '<' left opens an autolink to a reference's web address.
    assert all(part.startswith("https://") for part in report.split("<")[1:])
    # The text still reads as written once rendered: its characters are escaped, not dropped.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report
    assert "\\[click\\](javascript:alert(3))" in report
    assert "&amp;lt;b&amp;gt;" in report


# -- class 8: CSV formula injection ------------------------------------------------------------


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_a_cell_a_spreadsheet_would_run_is_quoted(start: str) -> None:
    assert cell(f'{start}HYPERLINK("http://x")') == f'\'{start}HYPERLINK("http://x")'
    assert cell(f"a{start}b") == f"a{start}b"


def test_batch_csv_neutralises_formulas_in_file_names(
    tmp_path: Path, tiny_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    names = ['=HYPERLINK("x","y").yaml', "+1.yaml", "-2.yaml", "@SUM(A1).yaml", "\t.yaml"]
    for name in names:
        (folder / name).write_text(json.dumps(GOOD), encoding="utf-8")
    monkeypatch.chdir(folder)
    out = io.StringIO()
    q = load_questionnaire(tiny_path)
    run_batch(q, [Path(n) for n in names], fmt="csv", stdout=out, stderr=io.StringIO())
    rows = list(csv.reader(io.StringIO(out.getvalue())))[1:]
    assert len(rows) == len(names)
    for cells in rows:
        assert not any(c.startswith(FORMULA_STARTS) for c in cells), cells
    # Each name is there, quoted (the tab, a control character, is written as its escape).
    assert sorted(r[0] for r in rows) == sorted(cell(n.replace("\t", "\\t")) for n in names)


def test_an_error_row_is_quoted_too() -> None:
    record = Record("=cmd|' /C calc'!A0", errors=(Diagnostic("E001", "file not found"),))
    assert csv_row(record)[0] == "'=cmd|' /C calc'!A0"


# -- class 9: an output encoding without the bullets -------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("triage", "--answers", HERE.parent / "docs" / "examples" / "acute-rupture.yaml"),
        ("graph",),
        ("explain", "--answers", HERE.parent / "docs" / "examples" / "tendinopathy.yaml"),
    ],
    ids=["triage", "graph", "explain"],
)
@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_an_output_that_cannot_hold_the_bullets_gets_ascii(
    args: tuple[object, ...], encoding: str
) -> None:
    run = hamstring(*args, encoding=encoding)
    assert run.status in (0, None), run.err
    assert "Traceback" not in run.err
    text = run.out.decode(encoding)
    assert text.strip()
    assert "?" * 3 not in text
    if args[0] == "triage":
        assert "\n  * MRI" in text  # the bullet, as ASCII


# -- class 10: a session file that is a FIFO ---------------------------------------------------


def test_a_fifo_as_the_session_file_is_refused_without_opening_it(
    tmp_path: Path, tiny: Questionnaire
) -> None:
    fifo = tmp_path / "session.yaml"
    os.mkfifo(fifo)
    found: list[BaseException | bool] = []

    def attempt() -> None:
        try:
            SessionFile.open(tiny, fifo)
        except SessionFileError as error:
            found.append(error)
        found.append(sessions.is_session_file(fifo))

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout=20)
    if worker.is_alive():
        # Let the blocked open go (a writer appears), then fail: it waited for one.
        with open(fifo, "wb"):
            pass
        pytest.fail("opening a FIFO as the session file blocked")
    error, is_session = found
    assert isinstance(error, SessionFileError)
    assert "FIFO" in str(error) and "regular file" in str(error)
    assert is_session is False
    assert not sessions.lock_path(fifo).exists()


# -- class 11: a JSON Lines line over 10 MB ----------------------------------------------------


def test_a_json_lines_line_over_10_mb_is_one_error_record_and_the_rest_is_read(
    tmp_path: Path, tiny_path: Path
) -> None:
    stream = tmp_path / "big.jsonl"
    with stream.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(GOOD) + "\n")
        handle.write('{"flags": ["' + "x" * (10 * 1024 * 1024 + 5) + '"]}\n')
        handle.write(json.dumps({**GOOD, "age": 70}) + "\n\n")
        handle.write(json.dumps({**GOOD, "age": 71}) + "\n")
    out, err = io.StringIO(), io.StringIO()
    total, failed = run_batch(load_questionnaire(tiny_path), [stream], stdout=out, stderr=err)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert (total, failed) == (4, 1)
    assert [r["source"] for r in records] == [f"{stream}:{n}" for n in (1, 2, 3, 5)]
    assert records[1]["error"]["code"] == "E002"
    assert records[1]["error"]["line"] == 2
    assert "longer than 10 MB" in records[1]["error"]["message"]
    assert [r["answers"]["age"] for r in (records[0], records[2], records[3])] == [34, 70, 71]


# -- class 12 and reading answers fast: JSON read as JSON, places on demand --------------------

#: JSON that YAML refuses or misreads, each a complete answer file of the tiny questionnaire.
JSON_ONLY = {
    # What json.dumps writes for an emoji, in a saved result's other keys.
    "surrogate pair": '{"schema_version": 1, "note": "\\ud83d\\ude00", "answers": %s}',
    "a key over 1,024 characters": '{"schema_version": 1, "%s": 1, "answers": %%s}' % ("k" * 1100),
    "a colon on the next line": '{"schema_version": 1\n, "answers"\n: %s}',
    "a raw U+0085 in a string": '{"schema_version": 1, "note": "a\x85b", "answers": %s}',
}


@pytest.mark.parametrize("template", JSON_ONLY.values(), ids=list(JSON_ONLY))
@pytest.mark.parametrize("suffix", [".json", ".JSON"])
def test_valid_json_is_read_as_json(
    tmp_path: Path, tiny: Questionnaire, template: str, suffix: str
) -> None:
    path = tmp_path / f"saved{suffix}"
    path.write_text(template % json.dumps(GOOD), encoding="utf-8")
    assert dict(read_answers(path, tiny)) == {**GOOD, "flags": ()}
    data, _ = read_document(path)
    assert data == json.loads(template % json.dumps(GOOD))


@pytest.mark.parametrize("template", JSON_ONLY.values(), ids=list(JSON_ONLY))
def test_valid_json_on_a_json_lines_line_is_read_as_json(
    tmp_path: Path, tiny_path: Path, template: str
) -> None:
    line = (template % json.dumps(GOOD)).replace("\n", " ")
    stream = tmp_path / "in.jsonl"
    stream.write_text(line + "\n", encoding="utf-8")
    out = io.StringIO()
    assert run_batch(load_questionnaire(tiny_path), [stream], stdout=out, stderr=io.StringIO()) == (
        1,
        0,
    )


def test_a_raw_u0085_stays_in_the_value_it_was_written_in(
    tmp_path: Path, tiny: Questionnaire
) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps({**GOOD, "onset": "sudden\x85"}, ensure_ascii=False), "utf-8")
    with pytest.raises(AnswerError) as raised:
        read_answers(path, tiny)
    (problem,) = raised.value.diagnostics
    assert problem.code == "E202"
    assert "sudden\\x85" in problem.message  # not 'sudden ' as YAML read it


@pytest.mark.parametrize(
    ("text", "code", "line", "column"),
    [
        ('{"flags": [],\n "onset": "sudden", "onset": "gradual"}', "E005", 2, 21),
        ('{"flags": [], "age": NaN}', "E018", 1, 22),
        ('{"flags": [], "age": 1e999}', "E018", 1, 22),
        ('{"flags": [], "age": -Infinity}', "E018", 1, 22),
        ('{"flags": [],\n  "age": 3', "E019", 2, 11),
        ("{flags: []}", "E019", 1, 2),
        ('{"flags": [\n\n]}\n{}', "E019", 4, 1),
        ("  \n ", "E007", None, None),
        ("[" * 101 + "]" * 101, "E009", 1, 101),
        ('{"flags": [], "onset": "sudden", "pop": "yes", "age": 34, "agee": 1}', "E201", 1, 59),
        ('{"flags": ["lump", "nub"], "onset": "sudden"}', "E202", 1, 20),
        ('{"flags": [], "onset": "\\ud83d\\ude00"}', "E202", 1, 24),
    ],
)
def test_json_problems_are_json_s_at_their_exact_place(
    tmp_path: Path, tiny: Questionnaire, text: str, code: str, line: int, column: int
) -> None:
    path = tmp_path / "a.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AnswerError) as raised:
        read_answers(path, tiny)
    first = raised.value.diagnostics[0]
    assert (first.code, first.place.line, first.place.column) == (  # type: ignore[union-attr]
        code,
        line,
        column,
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # JSON: read as JSON, a surrogate pair and a colon on the next line included.
        ('{"flags": [], "onset"\n: "gradual", "weeks": 2, "age": 30}', None),
        ('{"schema_version": 1, "n": "\\ud83d\\ude00", "answers": {"flags": []}}', None),
        # JSON with a problem JSON names: said as JSON says it.
        ('{"flags": [], "age": NaN}', ("E018", 1, 22)),
        ('{"flags": [], "flags": []}', ("E005", 1, 15)),
        # Not JSON: a YAML flow mapping, read as YAML.
        ("{flags: [], onset: gradual, weeks: 2, age: 30}", None),
        ("{flags: [], agee: 3}", ("E201", 1, 13)),
    ],
)
def test_standard_input_is_json_when_it_is_json_else_yaml(
    monkeypatch: pytest.MonkeyPatch, tiny: Questionnaire, given: str, expected: object
) -> None:
    stdin(monkeypatch, given.encode("utf-8"))
    if expected is None:
        read_answers("-", tiny)
        return
    with pytest.raises(AnswerError) as raised:
        read_answers("-", tiny)
    first = raised.value.diagnostics[0]
    assert (first.code, first.place.line, first.place.column) == expected  # type: ignore[union-attr]


def test_a_json_lines_line_is_json_not_yaml(tmp_path: Path, tiny_path: Path) -> None:
    stream = tmp_path / "in.jsonl"
    stream.write_text("{flags: [], onset: sudden, pop: 'yes', age: 34}\n{1: 2}\n", "utf-8")
    out = io.StringIO()
    run_batch(load_questionnaire(tiny_path), [stream], stdout=out, stderr=io.StringIO())
    errors = [json.loads(line)["error"] for line in out.getvalue().splitlines()]
    assert [(e["code"], e["line"], e["column"]) for e in errors] == [
        ("E019", 1, 2),
        ("E019", 2, 2),
    ]


def _located(path: Path, q: Questionnaire) -> list[tuple[str, str, object]]:
    """The diagnostics of an answer file read the slow way: places made as it is read."""
    try:
        data, source_map = read_document(path, error=AnswerError)
        answers = check_answers(data, source_map, q)
    except AnswerError as error:
        return [(d.code, d.message, d.place) for d in error.diagnostics]
    return [(d.code, d.message, d.place) for d in unused_warnings(answers, list(answers))]


def _quick(path: Path, q: Questionnaire) -> list[tuple[str, str, object]]:
    try:
        answers = read_answers(path, q)
    except AnswerError as error:
        return [(d.code, d.message, d.place) for d in error.diagnostics]
    return [(d.code, d.message, d.place) for d in unused_warnings(answers, list(answers))]


BROKEN_ANSWERS = [
    "flags: [lump, nub]\nonset: suden\npop: maybe\nage: 200\nagee: 3\n",
    "flags: []\nonset: sudden\nonset: gradual\n",
    "flags: []\nage: 0x1F\n",
    "flags: []\nage: !!python/object:os.system ls\n",
    "a: &a [*a]\n",
    "base: &b {age: 30}\nmerged: {<<: *b}\n",
    "flags: [\n",
    "--- \n--- \n",
    "# nothing\n",
    "flags: []\nage: 1" + "0" * 5000 + "\n",
    "flags: []\nage: .inf\n",
    "[1, 2]\n",
    "flags: []\n" + "age: " + "[" * 120 + "]" * 120 + "\n",
    "flags: []\nonset: sudden\npop: 'yes'\nage: 34\n",
    "schema_version: 1\nanswers:\n  flags: [lump]\n  onset: gradual\n  weeks: 99\n",
]


BROKEN_JSON = [
    '{"flags": ["lump", "nub"],\n "onset": "suden", "pop": "maybe", "age": 200, "agee": 3}',
    '{"flags": [], "onset": "sudden",\n  "onset": "gradual"}',
    '{"flags": [], "age": NaN}',
    '{"flags": [], "age": 1' + "0" * 5000 + "}",
    '{"flags": [\n',
    '{"flags": []}\n{}',
    "",
    "[1, 2]",
    '{"flags": [], "age": ' + "[" * 120 + "]" * 120 + "}",
    json.dumps({**GOOD, "weeks": 3}, indent=2),
    json.dumps({"schema_version": 1, "answers": {"flags": ["lump"], "onset": "gradual"}}),
]


@pytest.mark.parametrize(
    ("text", "suffix"),
    [*((t, ".yaml") for t in BROKEN_ANSWERS), *((t, ".json") for t in BROKEN_JSON)],
)
def test_places_found_on_demand_are_those_of_the_located_reader(
    tmp_path: Path, tiny: Questionnaire, text: str, suffix: str
) -> None:
    path = tmp_path / f"answers{suffix}"
    path.write_text(text, encoding="utf-8")
    assert _quick(path, tiny) == _located(path, tiny)


@pytest.fixture
def no_located_reader(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Count the reads of the located reader (the one that makes places)."""
    calls: list[str] = []
    real = safe_yaml.read_document

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(str(kwargs.get("name") or args[0]))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(safe_yaml, "read_document", counted)
    yield calls


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_good_answer_file_is_read_without_places_and_a_warning_finds_its_place(
    tmp_path: Path, tiny: Questionnaire, suffix: str, no_located_reader: list[str]
) -> None:
    path = tmp_path / f"a{suffix}"
    path.write_text(json.dumps({**GOOD, "weeks": 3}, indent=1), encoding="utf-8")
    answers = read_answers(path, tiny)
    assert no_located_reader == []  # read fast, no places made
    # 'weeks' is off the sudden path: its warning needs its place, found now, exactly.
    (warning,) = unused_warnings(answers, ["weeks"])
    assert no_located_reader == [str(path)]
    assert warning.place is not None
    assert (warning.place.line, warning.place.column) == (6, 2)
    assert unused_warnings(answers, []) == []


def test_read_data_gives_the_located_reader_s_data(tmp_path: Path) -> None:
    for text in [
        "a: 050\nb: 1.5\nc: [true, ~, 'x', 2e3]\nd: {e: -3}\n\"f\": yes\n",
        "? [complex]\n: 1\n",
        "a: &x 3\nb: *x\n",
        json.dumps({"a": [1, {"b": None}], "c": "é\u2028"}),
    ]:
        raw = text.encode("utf-8")
        for name in ("x.yaml", "x.json", "<stdin>"):
            try:
                located = read_document(text=raw, name=name, error=AnswerError)[0]
            except AnswerError:
                with pytest.raises(AnswerError):
                    read_data(raw, name, error=AnswerError)
                continue
            assert read_data(raw, name, error=AnswerError)[0] == located


# -- class 16: minor ---------------------------------------------------------------------------


def test_a_relative_xdg_cache_home_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert cache.cache_dir() == str(tmp_path / "home" / ".cache" / "hamstring" / "questionnaires")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "abs"))
    assert cache.cache_dir() == str(tmp_path / "abs" / "hamstring" / "questionnaires")


def test_a_folder_names_what_it_skips_and_reads_every_answer_named_entry(
    tmp_path: Path, tiny_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.yaml").write_text(json.dumps(GOOD), encoding="utf-8")
    (folder / "B.JSON").write_text(json.dumps({**GOOD, "age": 60}), encoding="utf-8")
    (folder / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    os.mkfifo(folder / "pipe.yml")
    (folder / "notes.txt").write_text("notes", encoding="utf-8")
    (folder / "sub").mkdir()
    out, err = io.StringIO(), io.StringIO()
    total, failed = run_batch(load_questionnaire(tiny_path), [folder], stdout=out, stderr=err)
    records = {Path(str(r["source"])).name: r for r in map(json.loads, out.getvalue().splitlines())}
    assert (total, failed) == (4, 2)
    assert records["B.JSON"]["answers"]["age"] == 60  # type: ignore[index]
    assert records["gone.yaml"]["error"]["code"] == "E001"  # type: ignore[index]
    assert records["pipe.yml"]["error"]["code"] == "E002"  # type: ignore[index]
    assert "FIFO" in records["pipe.yml"]["error"]["message"]  # type: ignore[index]
    (note,) = [line for line in err.getvalue().splitlines() if "skipped" in line]
    assert "skipped 2 entries" in note and "notes.txt" in note and "sub/" in note


def test_a_saved_report_is_offered_in_a_private_documents_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents = tmp_path / "docs"
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", str(documents))
    offered = default_report_path(".md")
    assert offered.parent == documents / "hamstring"
    assert offered.name.startswith("hamstring-report-") and offered.suffix == ".md"
    assert stat.S_IMODE(offered.parent.stat().st_mode) == 0o700
    # Without the variable: user-dirs.dirs as xdg-user-dirs writes it; a relative value is
    # ignored for the default, ~/Documents.
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DOCUMENTS_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "user-dirs.dirs").write_text(
        '# written by xdg-user-dirs-update\nXDG_DOCUMENTS_DIR="$HOME/Dokumente"\n'
    )
    assert sessions.documents_dir() == home / "Dokumente"
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", "relative")
    assert sessions.documents_dir() == home / "Dokumente"
    (tmp_path / "config" / "user-dirs.dirs").unlink()
    assert sessions.documents_dir() == home / "Documents"


def test_the_save_menu_offers_the_documents_folder_and_saves_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text(MINI_INTAKE, encoding="utf-8")
    q = load_questionnaire(path)
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", str(tmp_path / "documents"))
    replies = {
        "flags": [NONE_OF_THESE],
        "onset": "sudden",
        "pop": "yes",
        "age": "34",
        REVIEW: SHOW_SUMMARY,
        SAVE: SAVE_REPORT,
        REPORT_FORMAT: "markdown",
    }
    offered: list[str] = []

    def answer(ask: Ask, *args: object, **kwargs: object) -> object:
        if ask.key == SAVE_PATH:
            offered.append(str(ask.default))
            return ask.default
        return replies[ask.key]

    monkeypatch.setattr(interactive, "prompt", answer)
    monkeypatch.setattr(interactive, "_stdin_is_terminal", lambda: True)
    intake(q, {}, shown_format="text")
    (default,) = offered
    saved = Path(default).expanduser()
    assert saved.parent == tmp_path / "documents" / "hamstring"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert str(saved) in capsys.readouterr().err  # said where
