"""Start-up stays lean: what a run imports, and the questionnaire cache that skips the parse.

Speed itself is measured by ``bench/startup.py`` and ``bench/batch.py``, never asserted here:
these tests hold the facts that keep it fast.
"""

from __future__ import annotations

import gc
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from test_answers import TINY

from hamstring_cli import cache, safe_yaml
from hamstring_cli.errors import QuestionnaireError
from hamstring_cli.exits import settled, starting
from hamstring_cli.scoring import score

#: Runs the command in a fresh interpreter, then reports which of these modules it imported.
RUNNER = """
import json, sys
from hamstring_cli.__main__ import main
sys.argv = ["hamstring", *sys.argv[2:]]
try:
    main()
except SystemExit:
    pass
heavy = ("questionary", "prompt_toolkit", "rich", "yaml", "typer", "pathlib", "_hashlib", "hmac")
found = {m: m in sys.modules for m in heavy}
with open(REPORT, "w") as report:
    report.write(json.dumps(found))
"""

ANSWERS = 'flags: []\nonset: sudden\npop: "yes"\nage: 34\n'


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("HAMSTRING_NO_CACHE", raising=False)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


def imported(tmp_path: Path, *args: str) -> dict[str, bool]:
    """Run ``hamstring ARGS`` in a subprocess (stdin and stdout not terminals); what it imported."""
    report = tmp_path / "modules.json"
    code = RUNNER.replace("REPORT", repr(str(report)))
    subprocess.run(
        [sys.executable, "-c", code, "--", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ},
        check=False,
        timeout=60,
    )
    result: dict[str, bool] = json.loads(report.read_text())
    return result


@pytest.mark.slow
def test_version_imports_no_prompt_library_no_rich_no_yaml(tmp_path: Path) -> None:
    assert imported(tmp_path, "--version") == {
        "questionary": False,
        "prompt_toolkit": False,
        "rich": False,
        "yaml": False,
        "typer": False,
        "pathlib": False,
        "_hashlib": False,
        "hmac": False,
    }


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_a_scripted_report_imports_no_prompt_library_and_no_rich(
    tmp_path: Path, tiny: Path, fmt: str
) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(ANSWERS)
    imported(tmp_path, "triage", "-q", str(tiny), "-a", str(answers), "-f", fmt)
    # The second run is the usual one: the questionnaire is read from the cache.
    found = imported(tmp_path, "triage", "-q", str(tiny), "-a", str(answers), "-f", fmt)
    assert found["yaml"]  # the run happened: it read the answer file
    assert not found["questionary"]
    assert not found["prompt_toolkit"]
    assert not found["rich"]
    assert not found["typer"]  # the fast lane runs it: hamstring_cli/fast.py
    # Nor pathlib (with urllib.parse and ipaddress) nor OpenSSL: about 6 ms a run together.
    assert not found["pathlib"]
    assert not found["_hashlib"]
    assert not found["hmac"]  # the cache's MAC is made on the built-in SHA-256 (digest.py)


@pytest.mark.slow
def test_a_scripted_text_summary_draws_with_rich_but_never_prompts(
    tmp_path: Path, tiny: Path
) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(ANSWERS)
    found = imported(tmp_path, "triage", "-q", str(tiny), "-a", str(answers), "-f", "text")
    assert found["rich"]
    assert not found["questionary"]
    assert not found["prompt_toolkit"]


@pytest.mark.slow
def test_a_batch_imports_no_prompt_library_and_no_rich(tmp_path: Path, tiny: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(ANSWERS)
    found = imported(tmp_path, "batch", "-q", str(tiny), str(answers), str(answers))
    assert found["yaml"]
    assert not found["rich"]
    assert not found["questionary"]
    assert not found["prompt_toolkit"]


#: Reports every module a run imported, and every module ``python -c "import yaml"`` imports.
MODULES = (
    RUNNER.split("heavy =", 1)[0].replace("import json, sys", "import sys")
    + """
run = sorted(sys.modules)
import json, subprocess
floor = subprocess.run(
    [sys.executable, "-c", "import sys, yaml; print(' '.join(sys.modules))"],
    capture_output=True, text=True, check=True,
).stdout.split()
with open(REPORT, "w") as report:
    report.write(json.dumps({"run": run, "floor": floor}))
"""
)

#: The package's modules that a scripted JSON triage needs, and no other: the command's fast
#: lane, reading and checking the answers, the cached questionnaire rebuilt from its snapshot
#: (never the format's readers or the checks, which passed when the entry was written), the
#: compiled rules, the result and its JSON.
SCRIPTED_JSON = frozenset(
    {
        "hamstring_cli",
        "hamstring_cli.__main__",
        "hamstring_cli.answer_set",
        "hamstring_cli.answers",
        "hamstring_cli.cache",
        "hamstring_cli.compiled",
        "hamstring_cli.digest",
        "hamstring_cli.engine",
        "hamstring_cli.errors",
        "hamstring_cli.exits",
        "hamstring_cli.fast",
        "hamstring_cli.files",
        "hamstring_cli.model",
        "hamstring_cli.question_types",
        "hamstring_cli.render",
        "hamstring_cli.render.formats",
        "hamstring_cli.render.json",
        "hamstring_cli.report",
        "hamstring_cli.resources",
        "hamstring_cli.runner",
        "hamstring_cli.safe_yaml",
        "hamstring_cli.scoring",
        "hamstring_cli.sourcemap",
    }
)
#: What else it may import beyond ``python -c "import yaml"``: typing (the records are
#: NamedTuples) and what typing brings, json (the output, the cache), SHA-256 without OpenSSL
#: (the cache's key and digest), the BOM-aware decoder of answer files, fcntl (the report's
#: writer) and gc (the collector is off while the command starts; a built-in module).
SCRIPTED_JSON_OTHERS = frozenset(
    {
        "__future__",
        "_json",
        "_typing",
        "contextlib",
        "encodings.utf_8_sig",
        "fcntl",
        "gc",
        "json",
        "json.decoder",
        "json.encoder",
        "json.scanner",
        "typing",
        "warnings",
    }
)


@pytest.mark.slow
def test_a_scripted_json_triage_imports_only_what_it_needs(tmp_path: Path) -> None:
    from hamstring_cli.engine import Session
    from hamstring_cli.resources import resolve_questionnaire

    # A whole path: the first option of each question, no warning sign, the lowest number.
    session = Session(cache.load_questionnaire(resolve_questionnaire(None)))
    while (question := session.current) is not None:
        first = question.values[0] if question.values else question.minimum or 0
        session.answer(() if question.type == "multi" else first)
    answers = tmp_path / "a.yaml"  # YAML, as an answer file usually is (JSON values are YAML)
    answers.write_text(
        "".join(
            f"{qid}: {json.dumps(list(v) if isinstance(v, tuple) else v)}\n"
            for qid, v in session.path_answers.items()
        )
    )
    code = MODULES.replace("REPORT", repr(str(tmp_path / "modules.json")))
    args = ["triage", "-q", str(resolve_questionnaire(None)), "-a", str(answers), "-f", "json"]
    for _ in range(2):  # the second run reads the questionnaire from the cache, as runs do
        done = subprocess.run(
            [sys.executable, "-c", code, "--", *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env={**os.environ},
            check=True,
            timeout=60,
        )
        assert json.loads(done.stdout)["decision"]["level"], done.stderr
    found = json.loads((tmp_path / "modules.json").read_text())
    extra = set(found["run"]) - set(found["floor"])
    assert {m for m in extra if m.startswith("hamstring_cli")} == SCRIPTED_JSON
    others = {
        m
        for m in extra
        if not m.startswith("hamstring_cli")
        # The names of SHA-256's module and typing's aliases differ between Python versions.
        and not m.startswith(("_sha", "typing."))
    }
    assert others <= SCRIPTED_JSON_OTHERS, others - SCRIPTED_JSON_OTHERS


# -- the questionnaire cache ----------------------------------------------------------------------


def entries(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "cache" / "hamstring" / "questionnaires"
    return sorted(folder.glob(f"*{cache.SUFFIX}")) if folder.is_dir() else []


def test_a_second_load_reads_the_snapshot_not_yaml(
    tmp_path: Path, tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = cache.load_questionnaire(tiny)
    (entry,) = entries(tmp_path)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    header = entry.read_bytes().split(b"\n", 1)[0]
    assert json.loads(header)["format"] == cache.CACHE_FORMAT

    def no_yaml(*args: object, **kwargs: object) -> object:
        raise AssertionError("the cached questionnaire was parsed again")

    monkeypatch.setattr(safe_yaml, "read_document", no_yaml)
    second = cache.load_questionnaire(tiny)
    answers = {"flags": (), "onset": "sudden", "pop": "yes", "age": 34}
    assert score(second, answers).to_dict() == score(first, answers).to_dict()
    assert second.content_hash == first.content_hash != ""


def test_a_changed_file_is_never_answered_from_the_old_entry(tmp_path: Path, tiny: Path) -> None:
    cache.load_questionnaire(tiny)
    tiny.write_text(TINY.replace("title: Tiny", "title: Changed"), encoding="utf-8")
    assert cache.load_questionnaire(tiny).title == "Changed"
    assert len(entries(tmp_path)) == 2


def test_a_broken_file_is_never_cached_and_reports_its_places(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(TINY.replace("next: pop", "next: popp"), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(QuestionnaireError) as raised:
            cache.load_questionnaire(broken)
        assert raised.value.errors[0].place is not None
        assert raised.value.errors[0].place.line is not None
    assert entries(tmp_path) == []


def test_a_corrupt_entry_falls_back_to_the_file(tmp_path: Path, tiny: Path) -> None:
    cache.load_questionnaire(tiny)
    (entry,) = entries(tmp_path)
    entry.write_text('{"format": 1, "digest": "x", "data": {"format": 1}}')
    assert cache.load_questionnaire(tiny).id == "tiny"
    entry.write_bytes(b"\x00garbage")
    assert cache.load_questionnaire(tiny).id == "tiny"


def test_the_cache_can_be_turned_off(
    tmp_path: Path, tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HAMSTRING_NO_CACHE", "1")
    assert cache.load_questionnaire(tiny).id == "tiny"
    assert entries(tmp_path) == []


def test_an_unwritable_cache_only_costs_speed(
    tmp_path: Path, tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert cache.load_questionnaire(tiny).id == "tiny"


def test_cached_and_uncached_loads_agree_on_the_bundled_questionnaire() -> None:
    from hamstring_cli.resources import resolve_questionnaire

    path = resolve_questionnaire(None)
    cache.load_questionnaire(path)
    cached = cache.load_questionnaire(path)
    direct = cache.load_questionnaire(path, located=True)
    assert cached.questions == direct.questions
    assert cached.outcomes == direct.outcomes
    assert cached.content_hash == direct.content_hash


# -- the garbage collector during the start-up -----------------------------------------------------


def test_settling_leaves_a_library_caller_s_collector_alone() -> None:
    frozen = gc.get_freeze_count()
    settled()
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen, "nothing of the caller's is frozen"


def test_the_command_collects_again_once_its_start_up_is_over() -> None:
    try:
        starting()
        assert not gc.isenabled()
        settled()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0, "what the start-up made is kept out of collections"
    finally:
        gc.enable()
        gc.unfreeze()


COLLECTOR = """
import gc, sys
from hamstring_cli import exits
seen = []
real = exits.settled
def settled():
    real()
    seen.append(gc.isenabled())
exits.settled = settled
import hamstring_cli.batch, hamstring_cli.runner
hamstring_cli.batch.settled = hamstring_cli.runner.settled = settled
from hamstring_cli.__main__ import main
try:
    main()
finally:
    sys.stderr.write(f"collector: {gc.isenabled()} {seen}\\n")
"""


@pytest.mark.parametrize(
    ("args", "collecting"),
    [
        (["triage", "-q", "TINY", "-a", "ANSWERS", "-f", "json"], "False []"),
        (["batch", "ANSWERS", "-q", "TINY", "-f", "jsonl"], "True [True]"),
    ],
    ids=["scripted triage", "batch"],
)
def test_a_scripted_triage_ends_before_collecting_and_a_batch_collects(
    tmp_path: Path, tiny: Path, args: list[str], collecting: str
) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(ANSWERS, encoding="utf-8")
    argv = [str(tiny) if a == "TINY" else str(answers) if a == "ANSWERS" else a for a in args]
    done = subprocess.run(
        [sys.executable, "-c", COLLECTOR, *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert f"collector: {collecting}" in done.stderr
