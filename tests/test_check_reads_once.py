"""``hamstring check`` reads each file once: the teaching-case test, the questionnaire loader and
the guess that a file is an answer file all take the one document read. What it says must be
what each says reading the file on its own: the loader's ``load_questionnaire(path,
located=True)`` (the same questionnaire, or the same diagnostics) and the answer reader's
``read_answers`` (whether the file reads as answers to the bundled questionnaire)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import BUNDLED, REPO

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.cli import _located_questionnaire, _looks_like_answers, _read_once
from hamstring_cli.errors import UserError
from hamstring_cli.model import Questionnaire

CORPUS = REPO / "tests" / "corpus"

#: Files of every kind check may be given: questionnaires good and broken, answer files
#: (YAML, JSON, a FHIR response), documents YAML or JSON refuses, and no document at all.
WRITTEN = {
    "answers.yaml": "age: 30\nonset: sudden\npop: 'yes'\n",
    "wrong-values.yaml": "age: 300\nonset: slowly\n",
    "unknown-ids.yaml": "pain_location: sit_bone\n",
    "answers.json": '{"age": 30, "onset": "sudden"}',
    "not-json.json": "{age: 30}",
    "saved-result.json": '{"schema_version": 1, "answers": {"age": 30}}',
    "a-list.yaml": "- age\n- onset\n",
    "broken.yaml": "age: [30\n",
    "duplicate.yaml": "age: 30\nage: 31\n",
    "tagged.yaml": "age: !!python/object:os.system ls\n",
    "empty.yaml": "",
    "two-documents.yaml": "age: 30\n---\nage: 31\n",
    "old-number.yaml": "age: 0x1F\n",
    "a-folder": None,
    "missing.yaml": None,
}


def _broken_bundled(tmp_path: Path) -> list[Path]:
    """The bundled questionnaire with a line removed, a value changed, and cut short."""
    lines = BUNDLED.read_text(encoding="utf-8").splitlines(keepends=True)
    made = {
        "q-line-removed.yaml": lines[:400] + lines[401:],
        "q-weight-inf.yaml": [
            line.split(":")[0] + ": .inf\n" if "weight:" in line else line for line in lines
        ],
        "q-cut-short.yaml": lines[: len(lines) // 2],
    }
    paths = []
    for name, text in made.items():
        path = tmp_path / name
        path.write_text("".join(text), encoding="utf-8")
        paths.append(path)
    return paths


def _files(tmp_path: Path) -> list[Path]:
    paths = []
    for name, text in WRITTEN.items():
        path = tmp_path / name
        if name == "a-folder":
            path.mkdir()
        elif text is not None:
            path.write_text(text, encoding="utf-8")
        paths.append(path)
    corpus = [p for p in sorted(CORPUS.iterdir()) if p.name.startswith(("answers-", "quest"))]
    examples = sorted((REPO / "docs" / "examples").glob("*.yaml"))
    cases = sorted((REPO / "questionnaires" / "cases").glob("*.yaml"))[:2]
    return [*paths, *corpus, *examples, *cases, BUNDLED, *_broken_bundled(tmp_path)]


def _loaded(load: Callable[[], Questionnaire]) -> dict[str, object] | list[str]:
    """What a load gives: the questionnaire's every field, places and all (a questionnaire is
    equal only to itself), or the diagnostics it raises, as text."""
    try:
        q = load()
    except UserError as error:
        return [str(d) for d in error.diagnostics]
    return {name: getattr(q, name) for name in Questionnaire.__slots__ if name[0] != "_"}


def test_check_reads_a_file_once_and_says_what_each_reader_says(tmp_path: Path) -> None:
    files = _files(tmp_path)
    seen_answers = seen_refused = 0
    for path in files:
        read = _read_once(path)
        once = _loaded(lambda path=path, read=read: _located_questionnaire(path, read))
        alone = _loaded(lambda path=path: load_questionnaire(path, located=True))
        assert once == alone, path.name
        if isinstance(alone, list):
            seen_refused += 1
            looks = _looks_like_answers(path, read)
            assert looks == _looks_like_answers(path), path.name
            seen_answers += looks
    # The files above hold both kinds: answer files, and files that are not.
    assert seen_answers >= 3 and seen_refused - seen_answers >= 10


@pytest.mark.parametrize("name", ["missing.yaml", "a-folder"])
def test_a_file_that_cannot_be_read_is_left_to_the_loader(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name == "a-folder":
        path.mkdir()
    assert _read_once(path) is None
    with pytest.raises(UserError) as raised:
        _located_questionnaire(path, None)
    assert raised.value.diagnostics[0].code in ("E001", "E002")
