"""The loader: safe YAML with places, and the shape of a questionnaire.

Each test writes its file inline; the line and column asserted can be read off the text.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import (
    BUNDLED,
    codes,
    diagnostics_of,
    only,
    questionnaire_text,
    where,
    write,
    write_questionnaire,
)

from hamstring_cli import loader, resources
from hamstring_cli.errors import AnswerError, Code, QuestionnaireError
from hamstring_cli.loader import (
    load_questionnaire,
    load_report,
    parse_questionnaire,
)
from hamstring_cli.model import (
    All,
    Answered,
    AnyOf,
    AtLeast,
    Compare,
    Contains,
    Equals,
    Leading,
    OneOf,
)
from hamstring_cli.model import Not as NotCondition
from hamstring_cli.resources import (
    DEFAULT_QUESTIONNAIRE,
    bundled_dir,
    bundled_id,
    bundled_questionnaires,
    resolve_questionnaire,
)
from hamstring_cli.safe_yaml import MAX_VALUES, read_document

VALID = """\
questions:
  - id: onset
    type: choice
    prompt: How did it start?
    options:
      - {value: sudden, label: Suddenly, next: age}
      - {value: gradual, label: Gradually, uncertain: true}
  - id: age
    type: integer
    prompt: How old?
    min: 5
    max: 110
    unit: years
"""


def read_errors(path: Path) -> list:
    with pytest.raises(QuestionnaireError) as caught:
        read_document(path)
    return list(caught.value.diagnostics)


def load_errors(path: Path) -> list:
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    return list(caught.value.diagnostics)


# -- reading YAML safely ------------------------------------------------------------------------


def test_a_valid_questionnaire_loads_with_its_hash_and_source(tmp_path: Path) -> None:
    path = write_questionnaire(tmp_path, VALID)
    q = load_questionnaire(path)
    assert [question.id for question in q.questions] == ["onset", "age"]
    assert q.start == "onset"
    assert q.source == str(path)
    assert len(q.content_hash) == 12
    assert q.question("onset").option("gradual").uncertain  # type: ignore[union-attr]
    assert q.question("age").maximum == 110
    assert q.question("onset").at is not None and q.question("onset").at.line == 2
    # Same bytes, same hash; other bytes, another.
    assert load_questionnaire(write_questionnaire(tmp_path, VALID, "b.yaml")).content_hash == (
        q.content_hash
    )
    other = write_questionnaire(tmp_path, VALID.replace("How old?", "Age?"), "c.yaml")
    assert load_questionnaire(other).content_hash != q.content_hash


def test_a_yaml_syntax_error_names_its_line_and_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        questions:
          - id: onset
            prompt: "unclosed
          - id: age
        """,
    )
    [error] = read_errors(path)
    assert error.code == Code.YAML_SYNTAX.code
    assert error.place is not None and error.place.line is not None
    assert error.place.line >= 3


def test_an_unclosed_flow_list_is_a_syntax_error_at_the_end(tmp_path: Path) -> None:
    path = write(tmp_path, "a: 1\nb: [1, 2\n")
    assert where(read_errors(path), Code.YAML_SYNTAX.code) == [(3, 1)]


def test_duplicate_keys_are_errors_naming_the_first(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        title: One
        id: x
        title: Two
        """,
    )
    [error] = read_errors(path)
    assert error.code == Code.DUPLICATE_KEY.code
    assert (error.place.line, error.place.column) == (3, 1)
    assert "line 1" in error.message


def test_duplicate_keys_inside_a_nested_mapping(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        questions:
          - id: a
            prompt: One
            prompt: Two
        """,
    )
    assert where(read_errors(path), Code.DUPLICATE_KEY.code) == [(4, 5)]


def test_python_tags_are_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = write(
        tmp_path,
        f"""\
        a: !!python/object/apply:os.system ["touch {marker}"]
        b: !!python/object/apply:pathlib.Path.touch [!!python/object/apply:pathlib.Path ["{marker}"]]
        c: !!python/object:builtins.dict {{x: 1}}
        d: !!python/name:os.system
        e: !include other.yaml
        f: !!set {{x: null}}
        """,  # noqa: E501
    )
    found = read_errors(path)
    assert set(codes(found)) == {Code.UNSAFE_TAG.code}
    assert (1, 4) in where(found, Code.UNSAFE_TAG.code)
    assert len(found) >= 6
    assert not marker.exists()


def test_a_python_tag_in_a_questionnaire_is_refused_without_a_trace(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    body = VALID.replace(
        "prompt: How old?",
        f'prompt: !!python/object/apply:subprocess.check_call [["touch", "{marker}"]]',
    )
    path = write_questionnaire(tmp_path, body)
    assert where(load_errors(path), Code.UNSAFE_TAG.code) == [(10, 13)]
    assert not marker.exists()


def test_an_empty_file_and_a_file_of_comments_are_empty(tmp_path: Path) -> None:
    for text in ("", "# only a comment\n", "---\n", "\n\n"):
        path = write(tmp_path, text)
        assert codes(read_errors(path)) == [Code.EMPTY.code]


def test_a_missing_file(tmp_path: Path) -> None:
    [error] = read_errors(tmp_path / "nowhere.yaml")
    assert error.code == Code.FILE_MISSING.code
    assert error.place is not None and error.place.file.endswith("nowhere.yaml")


def test_a_folder_is_unreadable(tmp_path: Path) -> None:
    assert codes(read_errors(tmp_path)) == [Code.FILE_UNREADABLE.code]


def test_a_binary_file_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert codes(read_errors(path)) == [Code.NOT_TEXT.code]


def test_latin_1_is_not_utf_8_and_the_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_bytes("title: ok\nprompt: caf\xe9\n".encode("latin-1"))
    assert where(read_errors(path), Code.NOT_TEXT.code) == [(2, None)]


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_bytes("\ufefftitle: ok\n".encode())
    assert read_document(path)[0] == {"title": "ok"}


def test_several_documents_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a: 1\n---\nb: 2\n")
    assert where(read_errors(path), Code.MULTIPLE_DOCUMENTS.code) == [(2, 1)]


def test_an_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    path = write(tmp_path, "\n".join(lines) + "\n")
    [error] = read_errors(path)
    assert error.code == Code.TOO_COMPLEX.code
    assert str(MAX_VALUES) in error.message


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a: &loop\n  - *loop\n")
    assert codes(read_errors(path)) == [Code.TOO_COMPLEX.code]


def test_absurd_nesting_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a: " + "[" * 500 + "]" * 500 + "\n")
    assert codes(read_errors(path)) == [Code.TOO_COMPLEX.code]


def test_aliases_and_merge_keys_are_plain_data(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        base: &base {label: Yes, help: shared}
        option:
          <<: *base
          help: own
        again: *base
        """,
    )
    data, places = read_document(path)
    assert data == {
        "base": {"label": "Yes", "help": "shared"},
        "option": {"help": "own", "label": "Yes"},
        "again": {"label": "Yes", "help": "shared"},
    }
    assert (places.value(("option", "help")).line, places.key(("option", "help")).column) == (4, 3)


def test_yes_and_no_stay_text_and_only_true_false_are_booleans(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        a: yes
        b: no
        c: on
        d: true
        e: False
        f: 2024-01-31
        g: 34
        h: 1.5
        i: ~
        j: "34"
        """,
    )
    data, _ = read_document(path)
    assert data == {
        "a": "yes",
        "b": "no",
        "c": "on",
        "d": True,
        "e": False,
        "f": "2024-01-31",
        "g": 34,
        "h": 1.5,
        "i": None,
        "j": "34",
    }


def test_json_reads_too(tmp_path: Path) -> None:
    path = write(tmp_path, '{"onset": "sudden", "red_flags": [], "age": 34}\n', "a.json")
    assert read_document(path)[0] == {"onset": "sudden", "red_flags": [], "age": 34}


def test_the_source_map_keeps_keys_and_values(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        questions:
          - id: onset
            options:
              - value: sudden
                next: mechanism
        """,
    )
    _, places = read_document(path)
    key = places.key(("questions", 0, "options", 0, "next"))
    value = places.value(("questions", 0, "options", 0, "next"))
    assert (key.line, key.column, value.line, value.column) == (5, 9, 5, 15)
    assert places.value(("questions", 0)).line == 2
    # A path the map does not hold falls back to its nearest ancestor.
    assert places.value(("questions", 0, "options", 0, "missing")).line == 4


def test_text_input_and_another_error_class() -> None:
    data, places = read_document(text="onset: sudden\n", name="<stdin>")
    assert data == {"onset": "sudden"} and places.file == "<stdin>"
    with pytest.raises(AnswerError) as caught:
        read_document(text=b"onset: [\n", name="<stdin>", error=AnswerError)
    assert caught.value.diagnostics[0].place.file == "<stdin>"  # type: ignore[union-attr]
    with pytest.raises(TypeError):
        read_document()


def test_the_safe_yaml_reader_is_the_only_module_that_imports_yaml() -> None:
    # The parser, the declaration, the schema, the doc tables and the cache read no YAML:
    # a cached questionnaire is parsed without importing PyYAML.
    code = (
        "import sys, hamstring_cli.checks, hamstring_cli.paths, hamstring_cli.schema, "
        "hamstring_cli.resources, hamstring_cli.loader, hamstring_cli.format_spec, "
        "hamstring_cli.format_doc, hamstring_cli.cache, hamstring_cli.sourcemap; "
        "print('yaml' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
    package = Path(loader.__file__).parent
    importing = sorted(
        path.name
        for path in package.rglob("*.py")
        if any(
            line.startswith(("import yaml", "from yaml"))
            for line in path.read_text(encoding="utf-8").splitlines()
        )
    )
    assert importing == ["safe_yaml.py"]


# -- the shape of a questionnaire ---------------------------------------------------------------


def test_a_list_where_a_mapping_belongs(tmp_path: Path) -> None:
    path = write(tmp_path, "- a\n- b\n")
    assert where(load_errors(path), Code.WRONG_TYPE.code) == [(1, 1)]


def test_questions_as_a_mapping_not_a_list(tmp_path: Path) -> None:
    path = write_questionnaire(
        tmp_path,
        """\
        questions:
          onset: {type: choice}
        """,
    )
    assert where(load_errors(path), Code.WRONG_TYPE.code) == [(2, 3)]


def test_an_unknown_key_has_a_did_you_mean_and_the_allowed_keys(tmp_path: Path) -> None:
    path = write_questionnaire(tmp_path, VALID.replace("    prompt: How did", "    promt: How did"))
    found = load_errors(path)
    error = only(found, Code.UNKNOWN_KEY.code)
    assert (error.place.line, error.place.column) == (4, 5)  # type: ignore[union-attr]
    assert "'prompt'" in error.message
    assert "prompt" in error.allowed and "options" in error.allowed
    # The misspelt key also leaves the required one missing: both are reported at once.
    assert where(found, Code.MISSING_KEY.code) == [(2, 5)]


def test_an_unknown_top_level_key(tmp_path: Path) -> None:
    path = write_questionnaire(tmp_path, VALID + "titel: x\n")
    error = only(load_errors(path), Code.UNKNOWN_KEY.code)
    assert error.place.line == 14  # type: ignore[union-attr]
    assert "title" in error.message


def test_every_problem_is_reported_at_once_in_file_order(tmp_path: Path) -> None:
    body = """\
    questions:
      - id: onset
        type: choise
        prompt: How did it start?
        options:
          - {value: sudden, label: Suddenly}
      - id: age
        type: integer
        prompt: How old?
        min: 5
        max: old
    """
    found = load_errors(write_questionnaire(tmp_path, body))
    assert codes(found) == [Code.BAD_VALUE.code, Code.WRONG_TYPE.code]
    assert [d.place.line for d in found] == [3, 11]  # type: ignore[union-attr]
    assert "choice" in found[0].allowed


def test_missing_required_keys(tmp_path: Path) -> None:
    body = """\
    questions:
      - id: onset
        type: choice
      - id: age
        type: integer
        prompt: How old?
    """
    found = load_errors(write_questionnaire(tmp_path, body))
    assert where(found, Code.MISSING_KEY.code) == [(2, 5), (2, 5), (4, 5), (4, 5)]
    assert sorted(d.message.split("'")[-2] for d in found) == ["max", "min", "options", "prompt"]


def test_the_metadata_is_required(tmp_path: Path) -> None:
    path = write(tmp_path, "questions: []\n")
    missing = {d.message.split("'")[-2] for d in load_errors(path)}
    assert missing == {"format", "id", "version", "title", "disclaimer", "outcomes"}


def test_an_unsupported_format_stops_at_once(tmp_path: Path) -> None:
    text = questionnaire_text(VALID).replace("format: 1", "format: 2")
    path = write(tmp_path, text)
    assert codes(load_errors(path)) == [Code.UNSUPPORTED_FORMAT.code]


def test_a_version_that_yaml_reads_as_a_number(tmp_path: Path) -> None:
    text = questionnaire_text(VALID).replace("version: 1.0.0", "version: 1.0")
    assert codes(load_errors(write(tmp_path, text))) == [Code.WRONG_TYPE.code]


def test_bad_enum_values(tmp_path: Path) -> None:
    body = """\
    questions:
      - id: q
        type: choice
        prompt: Q?
        options:
          - {value: a, label: A}
    outcomes:
      conditions:
        - id: c1
          label: C
          triage:
            - {level: urgnet, advice: x, source: R1}
      imaging:
        - when: {question: q, equals: a}
          modality: CT
          urgency: soon
          reason: x
          source: R1
    """
    found = load_errors(write_questionnaire(tmp_path, body))
    assert where(found, Code.BAD_VALUE.code) == [(12, 19), (15, 17)]
    assert "urgent" in found[0].message


def test_integer_questions_take_min_and_max_not_options(tmp_path: Path) -> None:
    body = """\
    questions:
      - id: age
        type: integer
        prompt: How old?
        min: 110
        max: 5
        options: []
      - id: pick
        type: multi
        prompt: Which?
        options:
          - {value: a, label: A, next: age}
    """
    found = load_errors(write_questionnaire(tmp_path, body))
    assert where(found, Code.UNKNOWN_KEY.code) == [(7, 5), (12, 30)]
    assert where(found, Code.BAD_VALUE.code) == [(6, 10)]


def test_duplicate_ids_name_the_first(tmp_path: Path) -> None:
    body = """\
    questions:
      - id: q
        type: choice
        prompt: Q?
        options:
          - {value: a, label: A}
          - {value: a, label: Again}
      - id: q
        type: integer
        prompt: Q again?
        min: 0
        max: 1
    outcomes:
      conditions:
        - {id: c1, label: C, triage: [{level: routine, advice: x, source: R1}]}
        - {id: c1, label: C, triage: [{level: routine, advice: x, source: R1}]}
      red_flags:
        - {id: f, when: {question: q, equals: a}, level: urgent, advice: x, source: R1}
        - {id: f, when: {question: q, equals: a}, level: urgent, advice: x, source: R1}
    """
    text = questionnaire_text(body).replace(
        "  - {id: R2, citation: Source two.}", "  - {id: R1, citation: Source two.}"
    )
    found = load_errors(write(tmp_path, text))
    assert codes(found) == [Code.DUPLICATE_ID.code] * 5
    lines = [d.place.line for d in found]  # type: ignore[union-attr]
    assert lines[:4] == [7, 8, 16, 19]
    assert "line 6" in found[0].message and "line 2" in found[1].message


def test_ids_must_be_lower_case_and_end_is_reserved(tmp_path: Path) -> None:
    body = VALID.replace("id: onset", "id: Onset").replace("id: age", "id: end")
    found = load_errors(write_questionnaire(tmp_path, body))
    assert where(found, Code.BAD_VALUE.code) == [(2, 9), (8, 9)]


# -- conditions ---------------------------------------------------------------------------------

CONDITIONS = """\
questions:
  - id: onset
    type: choice
    prompt: How?
    options:
      - {value: sudden, label: S}
      - {value: gradual, label: G}
  - id: flags
    type: multi
    prompt: Which?
    options:
      - {value: a, label: A}
      - {value: b, label: B}
  - id: age
    type: integer
    prompt: Age?
    min: 5
    max: 110
outcomes:
  conditions:
    - id: c1
      label: C
      triage:
        - {level: routine, advice: x, source: R1}
  scores:
    - {condition: c1, weight: 1, reason: r, source: R1, when: {question: onset, equals: sudden}}
    - {condition: c1, weight: 1, reason: r, source: R1, when: {question: onset, one_of: [sudden]}}
    - {condition: c1, weight: 1, reason: r, source: R1, when: {question: flags, contains: a}}
    - {condition: c1, weight: 1, reason: r, source: R1, when: {question: flags, contains_any: [a, b]}}
    - {condition: c1, weight: 1, reason: r, source: R1, when: {question: age, gte: 18, lt: 26}}
    - {condition: c1, weight: 1, reason: r, source: R1, when: {question: age, lt: 16}}
    - {condition: c1, weight: 1, reason: r, source: R1, when: {answered: flags}}
    - {condition: c1, weight: 1, reason: r, source: R1, when: {all: [{answered: age}, {leading: c1}]}}
    - {condition: c1, weight: 1, reason: r, source: R1, when: {any: [{answered: age}]}}
    - {condition: c1, weight: 1, reason: r, source: R1, when: {not: {answered: age}}}
    - {condition: c1, weight: 1, reason: r, source: R1, when: {at_least: 1, of: [{answered: age}, {answered: flags}]}}
"""  # noqa: E501 (one rule a line, so the lines asserted below can be read off)


def test_every_condition_form_is_built(tmp_path: Path) -> None:
    q = load_questionnaire(write_questionnaire(tmp_path, CONDITIONS))
    whens = [rule.when for rule in q.outcomes.scores]
    assert whens == [
        Equals("onset", "sudden"),
        OneOf("onset", ("sudden",)),
        Contains("flags", ("a",)),
        Contains("flags", ("a", "b")),
        All((Compare("age", "gte", 18), Compare("age", "lt", 26))),
        Compare("age", "lt", 16),
        Answered("flags"),
        All((Answered("age"), Leading("c1"))),
        AnyOf((Answered("age"),)),
        NotCondition(Answered("age")),
        AtLeast(1, (Answered("age"), Answered("flags"))),
    ]
    assert whens[0].at is not None and whens[0].at.line == 26
    # Each comparison of a range keeps the place of its own key.
    first, second = whens[4].items  # type: ignore[union-attr]
    assert (first.at.line, first.at.column, second.at.column) == (30, 79, 88)


@pytest.mark.parametrize(
    ("condition", "code"),
    [
        ("{question: onset}", Code.BAD_CONDITION),
        ("{question: onset, equals: sudden, one_of: [gradual]}", Code.BAD_CONDITION),
        ("{question: age, gte: 18, equals: 20}", Code.BAD_CONDITION),
        ("{all: [], any: []}", Code.BAD_CONDITION),
        ("{}", Code.BAD_CONDITION),
        ("{qestion: onset, equals: sudden}", Code.UNKNOWN_KEY),
        ("{equals: sudden}", Code.MISSING_KEY),
        ("{question: age, gte: eighteen}", Code.WRONG_TYPE),
        ("{question: onset, equals: [sudden]}", Code.WRONG_TYPE),
        ("{question: onset, equals: true}", Code.WRONG_TYPE),
        ("{all: []}", Code.WRONG_TYPE),
        ("{at_least: 3, of: [{answered: age}]}", Code.BAD_CONDITION),
        ("{at_least: 1}", Code.MISSING_KEY),
        ("sudden", Code.WRONG_TYPE),
        ("{not: {answered: Age}}", Code.BAD_VALUE),
    ],
)
def test_malformed_conditions(tmp_path: Path, condition: str, code: object) -> None:
    body = CONDITIONS.replace("{question: onset, equals: sudden}", condition, 1)
    found = load_errors(write_questionnaire(tmp_path, body))
    assert codes(found) == [code.code]  # type: ignore[attr-defined]
    assert found[0].place.line == 26  # type: ignore[union-attr]


# -- warnings and the simple call ---------------------------------------------------------------


def test_warnings_are_kept_apart_from_a_clean_load(tmp_path: Path) -> None:
    body = VALID.replace("next: age}", "next: end}").replace(
        "uncertain: true}", "uncertain: true, next: end}"
    )
    report = load_report(write_questionnaire(tmp_path, body))
    assert codes(report.warnings) == [Code.UNREACHABLE_QUESTION.code]
    assert where(report.warnings, Code.UNREACHABLE_QUESTION.code) == [(8, 5)]


def test_checker_errors_come_with_the_warnings(tmp_path: Path) -> None:
    body = VALID.replace("next: age}", "next: agee}").replace(
        "How old?", "How old?\n    routes: []"
    )
    found = diagnostics_of(write_questionnaire(tmp_path, body))
    assert codes(found) == [Code.UNKNOWN_NEXT.code]
    assert "'age'" in found[0].message


def test_parse_questionnaire_takes_data_and_a_source_map(tmp_path: Path) -> None:
    data, places = read_document(text=questionnaire_text(VALID), name="inline.yaml")
    q = parse_questionnaire(data, places)
    assert q.source == "inline.yaml" and q.content_hash == places.digest


def test_the_bundled_questionnaire_loads() -> None:
    report = load_report(BUNDLED)
    assert report.questionnaire.id == "proximal-hamstring"
    assert not [d for d in report.warnings if d.severity == "error"]


def test_a_large_questionnaire_loads_whole(tmp_path: Path) -> None:
    # About 1500 lines: loading (reading, building, checking) stays well under a tenth of a
    # second, so a scripted run need not cache anything.

    lines = ["questions:"]
    for i in range(60):
        lines += [
            f"  - id: q{i}",
            "    type: choice",
            f"    prompt: Question {i}?",
            "    help: >-",
            "      Words about why.",
            "    options:",
        ]
        lines += [f"      - {{value: v{j}, label: Option {j}}}" for j in range(4)]
    lines += ["outcomes:", "  conditions:"]
    lines += [
        f"    - {{id: c{i}, label: C, triage: [{{level: routine, advice: x, source: R1}}]}}"
        for i in range(5)
    ]
    lines += ["  scores:"]
    for i in range(150):
        lines += [
            f"    - condition: c{i % 5}",
            f"      when: {{question: q{i % 60}, one_of: [v{i % 4}, v{(i + 1) % 4}]}}",
            "      weight: 1",
            "      reason: a reason",
            "      source: R1",
        ]
    path = write_questionnaire(tmp_path, "\n".join(lines))
    assert len(path.read_text().splitlines()) > 1000
    # Its speed is measured by bench/, never asserted here: this checks it loads whole.
    q = load_questionnaire(path)
    assert len(q.questions) == 60 and len(q.outcomes.scores) == 150


def test_questionnaire_text_keeps_body_lines() -> None:
    assert questionnaire_text(VALID).splitlines()[:2] == textwrap.dedent(VALID).splitlines()[:2]


# -- bundled questionnaires ---------------------------------------------------------------------


def test_a_path_is_taken_as_it_is(tmp_path: Path) -> None:
    assert resolve_questionnaire("some/where.yaml") == Path("some/where.yaml")
    assert resolve_questionnaire("where.yml") == Path("where.yml")
    assert resolve_questionnaire(tmp_path) == tmp_path
    existing = write_questionnaire(tmp_path, VALID, "proximal-hamstring")
    assert resolve_questionnaire(str(existing)) == existing


def test_an_unknown_id_lists_the_bundled_ones() -> None:
    with pytest.raises(QuestionnaireError) as caught:
        resolve_questionnaire("proximal-hamstrung")
    [error] = caught.value.diagnostics
    assert error.code == Code.UNKNOWN_QUESTIONNAIRE.code
    assert error.allowed == tuple(bundled_id(p) for p in bundled_questionnaires())


def test_the_bundled_folder_is_the_package_s_or_the_checkout_s() -> None:
    # Imported from a checkout it is the checkout's folder; installed, the wheel's copy:
    # either way beside the package imported, and holding the checkout's files.
    package = Path(resources.__file__).resolve().parent
    assert bundled_dir() in (package / "questionnaires", package.parent / "questionnaires")
    assert all(p.suffix in (".yaml", ".yml") for p in bundled_questionnaires())
    assert (bundled_dir() / BUNDLED.name).read_bytes() == BUNDLED.read_bytes()


def test_the_default_and_its_id_resolve_to_the_bundled_file() -> None:
    shipped = bundled_dir() / BUNDLED.name
    assert resolve_questionnaire() == shipped
    assert resolve_questionnaire(DEFAULT_QUESTIONNAIRE) == shipped
    assert resolve_questionnaire("proximal_hamstring") == shipped
    assert shipped.read_bytes() == BUNDLED.read_bytes()
    # Each bundled file's own id is its file name's: naming one never needs a parse.
    for path in bundled_questionnaires():
        assert load_questionnaire(path).id == bundled_id(path)


# -- odds and ends of reading -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "place"),
    [
        ("a: !!int abc\n", Code.BAD_NUMBER, (1, 4)),
        ("? [a, b]\n: c\n", Code.WRONG_TYPE, (1, 3)),
        ("a:\n  <<: [1, 2]\n", Code.WRONG_TYPE, (2, 8)),
        ("a: !!binary aGk=\n", Code.UNSAFE_TAG, (1, 4)),
        ("!!python/object:os.system\n? !custom k\n: v\n", Code.UNSAFE_TAG, (1, 1)),
        ("a: b\x07c\n", Code.YAML_SYNTAX, (1, 5)),
    ],
)
def test_reading_odds_and_ends(tmp_path: Path, text: str, code: object, place: tuple) -> None:
    found = read_errors(write(tmp_path, text))
    assert found[0].code == code.code  # type: ignore[attr-defined]
    assert (found[0].place.line, found[0].place.column) == place


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("    prompt: How old?", "    prompt: ''", Code.WRONG_TYPE),
        ("    prompt: How old?", "    prompt: 12", Code.WRONG_TYPE),
        ("  - id: age", "  - id: [age]", Code.WRONG_TYPE),
        ("uncertain: true}", "uncertain: maybe}", Code.WRONG_TYPE),
        ("{value: gradual,", "{value: 2,", Code.WRONG_TYPE),
        ("    min: 5", "    min: 5.5", Code.WRONG_TYPE),
        ("    type: integer", "    type: [integer]", Code.BAD_VALUE),
        ("  - id: age\n", "  - id: age\n    help: ''\n", None),
        ("  - id: age\n", "  - 12\n  - id: age\n", Code.WRONG_TYPE),
    ],
)
def test_shape_odds_and_ends(tmp_path: Path, old: str, new: str, code: object) -> None:
    assert old in VALID
    path = write_questionnaire(tmp_path, VALID.replace(old, new, 1))
    if code is None:
        load_questionnaire(path)
        return
    assert codes(load_errors(path))[0] == code.code  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("format: 1", 'format: "1"', Code.WRONG_TYPE),
        ("references:", "references: {}\nx:", Code.WRONG_TYPE),
        ("  - {id: R2, citation: Source two.}", "  - {id: R 2, citation: x}", Code.BAD_VALUE),
        ("  - {id: R2, citation: Source two.}", "  - R2", Code.WRONG_TYPE),
        (
            "outcomes:\n",
            "outcomes:\n  confidence: {high_margin: 1, moderate_margin: 2}\n",
            Code.BAD_VALUE,
        ),
        (
            "outcomes:\n",
            "outcomes:\n  confidence: {max_uncertain_fraction: .nan}\n",
            Code.BAD_NUMBER,
        ),
        ("outcomes:\n", "outcomes:\n  confidence: {max_uncertain_fraction: 2}\n", Code.BAD_VALUE),
        ("outcomes:\n", "outcomes:\n  confidence: []\n", Code.WRONG_TYPE),
        ("outcomes:\n", "outcomes:\n  scores: [12]\n", Code.WRONG_TYPE),
        ("outcomes:\n", "outcomes:\n  scores: [{condition: c1}]\n", Code.MISSING_KEY),
        (
            "  levels:\n",
            "  levels:\n    later: {label: L, timeframe: t, advice: a}\n",
            Code.UNKNOWN_KEY,
        ),
        ("    routine: {label: Routine,", "    routine: {label: '',", Code.WRONG_TYPE),
        (
            "    routine: {label: Routine, timeframe: no time pressure, advice: Usual care.}",
            "    routine: Usual care.",
            Code.WRONG_TYPE,
        ),
        ("  conditions:\n", "  conditions:\n    - Rupture\n", Code.WRONG_TYPE),
        ("      triage:\n", "      description: 12\n      triage:\n", Code.WRONG_TYPE),
        ("      triage:\n", "      triage: {}\n      x:\n", Code.WRONG_TYPE),
        ("          source: R1\n", "          source: R1\n          when: 3\n", Code.WRONG_TYPE),
        (
            "  conditions:\n",
            "  notes: [{text: x, source: R1, when: {answered: nowhere}}]\n  conditions:\n",
            Code.UNKNOWN_QUESTION_REF,
        ),
        (
            "  conditions:\n",
            "  notes: [{text: x, source: R1, when: 3}]\n  conditions:\n",
            Code.WRONG_TYPE,
        ),
        (
            "  conditions:\n",
            "  imaging: [{when: {answered: onset}, modality: none, reason: x,"
            " source: R1, urgency: soon}]\n  conditions:\n",
            Code.UNKNOWN_KEY,
        ),
        (
            "  conditions:\n",
            "  imaging: [{when: {answered: onset}, modality: MRI, reason: x,"
            " source: R1}]\n  conditions:\n",
            Code.MISSING_KEY,
        ),
        (
            "  conditions:\n",
            "  red_flags: [{id: f, when: {answered: onset}, level: soon,"
            " advice: x, source: R1}]\n  no_imaging_reason: ''\n  conditions:\n",
            None,
        ),
    ],
)
def test_outcome_odds_and_ends(tmp_path: Path, old: str, new: str, code: object) -> None:
    text = questionnaire_text(VALID)
    assert old in text, old
    path = write(tmp_path, text.replace(old, new, 1))
    found = diagnostics_of(path)
    if code is None:
        assert found == []
        return
    assert codes(found)[0] == code.code  # type: ignore[attr-defined]
