"""A cached questionnaire is the checked model itself: equal field for field to a fresh load,
with the same results."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from types import MappingProxyType

import pytest
from helpers import BUNDLED, REPO

from hamstring_cli import cache
from hamstring_cli.engine import Session
from hamstring_cli.errors import UserError
from hamstring_cli.loader import parse_questionnaire
from hamstring_cli.model import Questionnaire
from hamstring_cli.safe_yaml import read_document
from hamstring_cli.scoring import score

pytestmark = pytest.mark.usefixtures("private_cache")

OTTAWA = REPO / "questionnaires" / "ottawa_ankle.yaml"
#: The vignettes of tests/cases (those of the ankle questionnaire in its own folder).
VIGNETTES = sorted((REPO / "tests" / "cases").glob("*.yaml")) + sorted(
    (REPO / "tests" / "cases" / "ottawa-ankle").glob("*.yaml")
)


def fresh(path: Path) -> Questionnaire:
    data, places = read_document(path)
    return parse_questionnaire(data, places)


def loads(path: Path) -> bool:
    try:
        fresh(path)
    except UserError:
        return False
    return True


def questionnaires_under_test() -> list[Path]:
    """Every questionnaire under tests/ that loads (and the bundled ones)."""
    found = [BUNDLED, OTTAWA]
    for path in sorted((REPO / "tests").rglob("*.yaml")):
        if "cases" not in path.parts and "outcomes:" in path.read_text(errors="replace"):
            found.append(path)
    return [p for p in found if loads(p)]


QUESTIONNAIRES = questionnaires_under_test()


def assert_same(a: object, b: object, where: str) -> None:
    """Equal field for field, places and types too (records compare without their places)."""
    assert type(a) is type(b), where
    if isinstance(a, Questionnaire):
        assert isinstance(b, Questionnaire)
        for name in Questionnaire.__slots__:
            assert_same(getattr(a, name), getattr(b, name), f"{where}.{name}")
    elif isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b), where
        names = getattr(type(a), "_fields", None) or range(len(a))
        for name, x, y in zip(names, a, b, strict=True):
            assert_same(x, y, f"{where}.{name}")
    elif isinstance(a, MappingProxyType | dict | frozenset):
        assert a == b, where
        if not isinstance(a, frozenset):
            assert isinstance(b, MappingProxyType | dict)
            for key in a:
                assert_same(a[key], b[key], f"{where}[{key!r}]")
    else:
        assert a == b, where


def test_the_questionnaires_under_test_are_found() -> None:
    assert len(QUESTIONNAIRES) > 2


@pytest.mark.parametrize("path", QUESTIONNAIRES, ids=lambda p: p.name)
def test_a_cached_model_equals_a_fresh_load_field_for_field(
    path: Path, capsys: pytest.CaptureFixture[str], private_cache: Path
) -> None:
    first = cache.load_questionnaire(path)  # read, checked and stored
    assert len(list(private_cache.rglob("*.json"))) == 1  # a snapshot could be written
    cached = cache.load_questionnaire(path)  # rebuilt from the entry
    assert cached is not first
    assert capsys.readouterr().err == ""  # from the entry, not a fall-back to the file
    assert_same(cached, fresh(path), "questionnaire")
    assert cached.outcomes.scores == first.outcomes.scores


@functools.cache
def cached_and_fresh(path: Path) -> tuple[Questionnaire, Questionnaire]:
    """A questionnaire from its cache entry, and read from its file (once for every vignette)."""
    cache.load_questionnaire(path)
    cached = cache.load_questionnaire(path)
    assert_same(cached, fresh(path), path.name)
    return cached, fresh(path)


@pytest.mark.parametrize("path", VIGNETTES, ids=lambda p: p.stem)
def test_every_vignette_scores_the_same_from_the_cache(path: Path) -> None:
    cached, from_file = cached_and_fresh(BUNDLED if path.parent.name == "cases" else OTTAWA)
    data, _ = read_document(path)
    assert isinstance(data, dict)
    results = []
    for questionnaire in (cached, from_file):
        answers = {q: questionnaire.question(q).validate(v) for q, v in data["answers"].items()}
        path_answers = Session(questionnaire, answers).path_answers
        results.append(score(questionnaire, path_answers).to_dict())
    assert results[0] == results[1]


def test_a_snapshot_is_plain_json_of_the_model_s_records() -> None:
    snapshot = cache.snapshot(fresh(BUNDLED))
    text = json.dumps(snapshot)
    tags: set[str] = set()

    def collect(value: object) -> None:
        if isinstance(value, dict):
            tags.update(value)
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    collect(json.loads(text))
    assert {"Question", "Option", "Route", "Equals", "RedFlagRule", "Outcomes"} <= tags
    assert tags <= set(cache.RECORDS) | {"@", "t", "m", "f"}


def test_a_load_from_a_good_entry_reads_no_yaml_and_runs_no_checks(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from hamstring_cli import cache\n"
        f"cache.load_questionnaire({str(BUNDLED)!r})\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("HAMSTRING_NO_CACHE", None)
    for _ in range(2):  # the first run writes the entry, the second reads it
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
    assert done.stderr == ""
    modules = set(done.stdout.split())
    never = {"loader", "checks", "format_spec", "format_fields", "safe_yaml", "sourcemap"}
    never |= {"field_reader", "condition_reader", "record_reader"}
    assert not modules & ({f"hamstring_cli.{m}" for m in never} | {"yaml"})
    assert "hamstring_cli.model" in modules
