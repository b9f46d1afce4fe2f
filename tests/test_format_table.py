"""The format's table builds the records: a key declared there alone is read, checked and kept."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from hamstring_cli import format_spec as spec
from hamstring_cli.cache import load_questionnaire
from hamstring_cli.condition_reader import FORMS
from hamstring_cli.errors import Code, Diagnostic, Place, QuestionnaireError
from hamstring_cli.model import Condition
from hamstring_cli.resources import bundled_dir

OTTAWA = bundled_dir() / "ottawa_ankle.yaml"
SOURCE_LINE = "      source: BACHMANN2003\n"


class LinkedNote(NamedTuple):
    """An evidence note with a link to read more: the model record a new key would fill."""

    text: str
    source: str
    when: Condition | None = None
    at: Place | None = None
    link: str | None = None
    see_also: tuple[str, ...] = ()


def with_link(tmp_path: Path, link: str, key: str = "link") -> tuple[Path, int, int]:
    """The Ottawa questionnaire, its first note given a ``link``; the file and the value's place."""
    text = OTTAWA.read_text(encoding="utf-8")
    at = text.index(SOURCE_LINE, text.index("\n  notes:\n")) + len(SOURCE_LINE)
    added = f"      {key}: {link}\n"
    text = text[:at] + added + text[at:]
    path = tmp_path / "ottawa_linked.yaml"
    path.write_text(text, encoding="utf-8")
    line = text[: text.index(added)].count("\n") + 1
    return path, line, len(f"      {key}: ") + 1


@pytest.fixture
def linked_notes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Declare ``link`` (a web address) on the note record, in the table alone."""
    note = spec.RECORDS["note"]
    link = spec.Field("link", "url", "Where to read more.")
    see_also = spec.Field("see_also", "list", "Questions to read with it.", of="question_id")
    monkeypatch.setattr(note, "fields", (*note.fields, link, see_also))
    monkeypatch.setattr(note, "builds", LinkedNote)


def only_error(path: Path) -> Diagnostic:
    """The one problem loading ``path`` finds."""
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    (found,) = caught.value.diagnostics
    return found


def test_a_key_the_table_does_not_declare_is_refused(tmp_path: Path) -> None:
    path, line, _ = with_link(tmp_path, "https://example.org/ottawa")
    found = only_error(path)
    assert found.code == Code.UNKNOWN_KEY.code
    assert "unknown key 'link' in notes rule 1" in found.message
    assert found.place is not None and found.place.line == line


@pytest.mark.usefixtures("linked_notes")
def test_a_key_declared_in_the_table_alone_reaches_the_record(tmp_path: Path) -> None:
    path, _, _ = with_link(tmp_path, "https://example.org/ottawa")
    questionnaire = load_questionnaire(path)
    first, *others = questionnaire.outcomes.notes
    assert isinstance(first, LinkedNote)
    assert first.link == "https://example.org/ottawa"
    assert first.source == "BACHMANN2003"
    assert all(getattr(note, "link", None) is None for note in others)


@pytest.mark.usefixtures("linked_notes")
def test_a_key_declared_in_the_table_alone_is_checked_by_its_kind(tmp_path: Path) -> None:
    path, line, column = with_link(tmp_path, "http://example.org/ottawa")
    found = only_error(path)
    assert found.code == Code.BAD_VALUE.code
    assert found.message.startswith("the link of notes rule 1 is 'http://example.org/ottawa'")
    assert spec.PATTERN_WORDS["url"] in found.message
    assert found.place is not None
    assert (found.place.file, found.place.line, found.place.column) == (str(path), line, column)


def test_every_record_the_table_builds_has_a_place_for_each_of_its_keys() -> None:
    for record in spec.RECORDS.values():
        if record.builds is None:
            continue
        fields = getattr(record.builds, "_fields", ())
        assert {f.key for f in record.fields} <= set(fields), record.name


def test_the_condition_reader_reads_every_form_the_table_declares() -> None:
    assert set(FORMS) == set(spec.FORM_OF.values())


def test_every_source_is_named_a_reference_id_in_messages() -> None:
    # The sources of rules and of the scope say "a reference id", as they did when each builder
    # spelt it; the reference's own id says its characters.
    for record in spec.RECORDS.values():
        for field in record.fields:
            if field.key == "source":
                assert field.words == "a reference id", record.name
    assert spec.RECORDS["reference"].field("id").words == ""


@pytest.mark.usefixtures("linked_notes")
def test_a_list_key_declared_in_the_table_alone_is_read_item_by_item(tmp_path: Path) -> None:
    path, _, _ = with_link(tmp_path, "[mechanism, bony_tenderness]", "see_also")
    assert load_questionnaire(path).outcomes.notes[0].see_also == ("mechanism", "bony_tenderness")
    path, line, column = with_link(tmp_path, "[mechanism, Bony]", "see_also")
    found = only_error(path)
    assert found.code == Code.BAD_VALUE.code
    assert found.message.startswith("item 2 of the see_also of notes rule 1 is 'Bony'")
    assert found.place is not None
    assert (found.place.line, found.place.column) == (line, column + len("[mechanism, "))
