"""Answer files: every answer checked against the questionnaire, every problem with its place."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import pytest

from hamstring_cli.answer_set import AnswerSet
from hamstring_cli.answers import read_answers, unused_warnings
from hamstring_cli.cache import load_questionnaire
from hamstring_cli.errors import AnswerError, Place, did_you_mean
from hamstring_cli.model import Questionnaire

TINY = textwrap.dedent(
    """\
    format: 1
    id: tiny
    version: "1.0"
    title: Tiny
    disclaimer: Not a diagnosis.
    references:
      - {id: R1, citation: One}
    questions:
      - id: flags
        type: multi
        prompt: Any of these?
        options:
          - {value: numb, label: Numbness}
          - {value: lump, label: A lump}
      - id: onset
        type: choice
        prompt: How did it start?
        options:
          - {value: sudden, label: Suddenly, next: pop}
          - {value: gradual, label: Gradually, next: weeks}
      - id: pop
        type: choice
        prompt: A pop?
        options:
          - {value: "yes", label: "Yes"}
          - {value: "no", label: "No"}
        next: age
      - id: weeks
        type: integer
        prompt: Weeks?
        min: 0
        max: 52
      - id: age
        type: integer
        prompt: Age?
        min: 5
        max: 110
        unit: years
    outcomes:
      levels:
        emergency: {label: Emergency, timeframe: now, advice: Go now.}
        urgent: {label: Urgent, timeframe: within days, advice: Soon.}
        soon: {label: Soon, timeframe: two weeks, advice: Book.}
        routine: {label: Routine, timeframe: no rush, advice: Usual care.}
      conditions:
        - id: rupture
          label: Rupture
          triage:
            - {level: urgent, advice: See a surgeon., source: R1}
        - id: tendon
          label: Tendinopathy
          triage:
            - {level: routine, advice: Load it., source: R1}
      scores:
        - condition: rupture
          when: {question: pop, equals: "yes"}
          weight: 5
          reason: a pop
          source: R1
        - condition: tendon
          when: {question: onset, equals: gradual}
          weight: 3
          reason: gradual onset
          source: R1
      red_flags:
        - id: lump
          when: {question: flags, contains: lump}
          level: soon
          advice: Scan.
          source: R1
      imaging:
        - {when: {leading: rupture}, modality: MRI, urgency: urgent, reason: Torn?, source: R1}
      no_imaging_reason: None needed.
    """
)


@pytest.fixture
def tiny(tmp_path: Path) -> Questionnaire:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return load_questionnaire(path)


def write(tmp_path: Path, text: str, name: str = "answers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path | str, q: Questionnaire) -> list[tuple[str, int | None, int | None]]:
    """(code, line, column) of every diagnostic raised for an answer file."""
    with pytest.raises(AnswerError) as raised:
        read_answers(path, q)
    return [
        (d.code, d.place.line if d.place else None, d.place.column if d.place else None)
        for d in raised.value.diagnostics
    ]


def test_a_valid_file_gives_validated_answers_in_file_order(
    tmp_path: Path, tiny: Questionnaire
) -> None:
    path = write(
        tmp_path,
        """\
        flags: [lump, numb]
        onset: sudden
        pop: "yes"
        age: "34"
        """,
    )
    answers = read_answers(path, tiny)
    assert list(answers) == ["flags", "onset", "pop", "age"]
    assert answers["flags"] == ("numb", "lump")  # held in option order
    assert answers["age"] == 34  # a number given as text
    assert answers.place("pop") == Place(str(path), 3, 1)


def test_json_answer_files_are_read_the_same(tmp_path: Path, tiny: Questionnaire) -> None:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"flags": [], "onset": "gradual", "weeks": 3, "age": 40}))
    assert read_answers(path, tiny) == {"flags": (), "onset": "gradual", "weeks": 3, "age": 40}


def test_every_problem_is_reported_at_once_with_its_place(
    tmp_path: Path, tiny: Questionnaire
) -> None:
    path = write(
        tmp_path,
        """\
        flags: [numb, lumpp]
        onsett: sudden
        pop: maybe
        age: abc
        weeks: 99
        """,
    )
    assert problems(path, tiny) == [
        ("E202", 1, 15),  # the list item that is wrong, not the list
        ("E201", 2, 1),  # an unknown id: at its key
        ("E202", 3, 6),  # a value: at the value
        ("E203", 4, 6),
        ("E204", 5, 8),
    ]


def test_errors_name_the_question_what_is_allowed_and_a_near_miss(
    tmp_path: Path, tiny: Questionnaire
) -> None:
    path = write(tmp_path, "onsett: sudden\npop: noo\n")
    with pytest.raises(AnswerError) as raised:
        read_answers(path, tiny)
    unknown, value = raised.value.diagnostics
    assert unknown.question == "onsett"
    assert did_you_mean("onsett", tiny.by_id) in unknown.message
    assert did_you_mean("onsett", tiny.by_id)  # the hint is not empty
    assert value.question == "pop"
    assert value.allowed == ("yes", "no")
    assert did_you_mean("noo", ("yes", "no")) in value.message
    assert str(path) in str(value)  # file:line:column: code message


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("pop: [yes]\n", "E203"),  # a list for a choice
        ("pop: true\n", "E203"),  # a boolean for a choice
        ("age: 34.5\n", "E203"),  # not a whole number
        ("age:\n", "E203"),  # nothing
        ("flags: numb\nflags2: []\n", "E201"),
        ("flags: [numb, numb]\n", "E208"),
        ("age: 4\n", "E204"),
        ("- pop\n", "E205"),
        ("just text\n", "E205"),
        ("", "E007"),
        ("# only a comment\n", "E007"),
        ("pop: [\n", "E004"),
        ("pop: 'yes'\npop: 'no'\n", "E005"),
        ("pop: !!python/object/apply:os.system ['true']\n", "E006"),
        ("a: 1\n---\nb: 2\n", "E008"),
    ],
)
def test_each_kind_of_problem_has_its_code(
    tmp_path: Path, tiny: Questionnaire, text: str, code: str
) -> None:
    found = problems(write(tmp_path, text), tiny)
    assert code in [c for c, _, _ in found]


def test_a_binary_or_missing_file_is_an_answer_error(tmp_path: Path, tiny: Questionnaire) -> None:
    binary = tmp_path / "answers.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert [c for c, _, _ in problems(binary, tiny)] == ["E003"]
    assert [c for c, _, _ in problems(tmp_path / "missing.yaml", tiny)] == ["E001"]


def test_a_saved_result_is_an_answer_file(tmp_path: Path, tiny: Questionnaire) -> None:
    saved = {
        "schema_version": 1,
        "questionnaire": {"id": "tiny", "version": "1.0"},
        "answers": {"flags": ["lump"], "onset": "sudden", "pop": "no", "age": 50},
        "leading": "tendon",
    }
    path = tmp_path / "result.json"
    path.write_text(json.dumps(saved, indent=2))
    assert read_answers(path, tiny) == {
        "flags": ("lump",),
        "onset": "sudden",
        "pop": "no",
        "age": 50,
    }


def test_errors_in_a_saved_result_point_into_its_answers(
    tmp_path: Path, tiny: Questionnaire
) -> None:
    path = tmp_path / "result.json"
    path.write_text('{"schema_version": 1,\n "answers": {"pop": "maybe"}}')
    assert problems(path, tiny) == [("E202", 2, 21)]


def stdin(monkeypatch: pytest.MonkeyPatch, data: bytes, *, tty: bool = False) -> None:
    class Stdin(io.TextIOWrapper):
        def isatty(self) -> bool:
            return tty

        def read(self, size: int | None = -1) -> str:
            if tty:
                raise AssertionError("a terminal must never be read")
            return super().read(size)

    stream = Stdin(io.BytesIO(data), encoding="utf-8")
    monkeypatch.setattr("sys.stdin", stream)


def test_dash_reads_standard_input(monkeypatch: pytest.MonkeyPatch, tiny: Questionnaire) -> None:
    stdin(monkeypatch, b'{"onset": "gradual", "weeks": 2}')
    answers = read_answers("-", tiny)
    assert answers == {"onset": "gradual", "weeks": 2}
    assert answers.place("weeks") == Place("<stdin>", 1, 22)


def test_a_closed_standard_input_is_an_empty_file(
    monkeypatch: pytest.MonkeyPatch, tiny: Questionnaire
) -> None:
    stdin(monkeypatch, b"")
    assert [c for c, _, _ in problems("-", tiny)] == ["E007"]


def test_a_terminal_on_standard_input_is_refused_without_reading(
    monkeypatch: pytest.MonkeyPatch, tiny: Questionnaire
) -> None:
    stdin(monkeypatch, b"", tty=True)
    assert [c for c, _, _ in problems("-", tiny)] == ["E002"]


def test_answer_sets_keep_their_places_when_merged() -> None:
    first = AnswerSet({"a": "x"}, {"a": Place("one.yaml", 1, 1)})
    second = AnswerSet({"b": "y"}, {"b": Place("two.yaml", 4, 1)})
    merged = AnswerSet()
    merged.update(first)
    merged.update(second)
    assert merged == {"a": "x", "b": "y"}
    assert merged.place("b") == Place("two.yaml", 4, 1)
    warning = unused_warnings(merged, ["b"])[0]
    assert (warning.code, warning.severity, warning.place) == (
        "W206",
        "warning",
        Place("two.yaml", 4, 1),
    )
    assert warning.question == "b"
