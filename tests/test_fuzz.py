"""Fuzz the command line with generated answer files and mutated questionnaires.

Every input goes through the entry point of the ``hamstring`` command
(:func:`hamstring_cli.__main__.main`, the fast lane or typer behind it), in process, and must
end as the command promises: exit status 0, 1 or 2; no traceback; nothing on standard output
unless the status is 0; and any JSON printed parses with a strict parser (no ``NaN`` or
``Infinity``).

The examples are derandomised, so CI runs the same few thousand each time (some 2,825
examples, 3,825 runs), in under a minute of CPU; the two heaviest tests run in parts
(``part1of4``...), which pytest-xdist spreads over its workers.
Set ``HAMSTRING_FUZZ_EXAMPLES`` (a number) to run more, with fresh random ones. Any input that
ever crashed the command is kept in ``tests/corpus/`` and replayed here by its name:
``answers-*`` is an answer file, ``batch-*.jsonl`` a batch (``.jsonl.gz``: compressed, for a
stream too large to keep as it is), ``questionnaire-*`` a questionnaire, and ``run-*.json`` a
run of the command in a process of its own, as a JSON description: its arguments, its
environment, where its standard output goes (a pipe closed by its reader, ``/dev/full``, a
closed descriptor) and what it must do (:func:`replay_run`). Every replay also holds what
every run promises: no traceback, no hang, no control character a terminal would act on in
any output, no HTML in a Markdown report, and a record for every line of a batch.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import errno
import gzip
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import Run, in_process, run_main, text_stream
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from hamstring_cli.cache import load_questionnaire
from hamstring_cli.fhir.bundle import to_response
from hamstring_cli.paths import iter_paths
from hamstring_cli.resources import resolve_questionnaire

#: Slow (fuzzing): the everyday loop is pytest -m "not slow".
pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
RUPTURE = HERE.parent / "docs" / "examples" / "acute-rupture.yaml"
BUNDLED = resolve_questionnaire("proximal-hamstring")
QUESTIONNAIRE = load_questionnaire(BUNDLED)
IDS = sorted(QUESTIONNAIRE.by_id)
VALUES = sorted({v for q in QUESTIONNAIRE.questions for v in q.values})

MORE = os.environ.get("HAMSTRING_FUZZ_EXAMPLES", "")
FUZZ = settings(
    max_examples=int(MORE) if MORE.isdigit() else 1500,
    derandomize=not MORE,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def parts(count: int) -> pytest.MarkDecorator:
    """A test run in ``count`` parts (``part1of4``...), which pytest-xdist spreads over its
    workers; each part runs :func:`run_part`."""
    return pytest.mark.parametrize("part", range(count), ids=lambda n: f"part{n + 1}of{count}")


def run_part(
    test: Callable[..., None],
    strategies: dict[str, st.SearchStrategy[Any]],
    part: int,
    count: int,
    examples: int,
) -> None:
    """Run ``test`` given ``strategies`` as part ``part`` of ``count``: its share of
    ``examples``, so the parts run as many examples as one test would. Derandomised, each part
    has a seed of its own (the same examples each run, and no two parts the same); with
    ``HAMSTRING_FUZZ_EXAMPLES`` set, fresh random ones."""
    run = settings(FUZZ, max_examples=-(-examples // count))(given(**strategies)(test))
    if not MORE:
        run = seed(1000 * count + part)(run)
    run()


def cli(*args: str | Path, stdin: bytes = b"") -> Run:
    """Run the command line in process as the ``hamstring`` command does."""
    run = in_process(*args, stdin=stdin, errors="replace")
    run.status = 0 if run.status is None else run.status
    assert isinstance(run.status, int), f"exit with a message instead of a status: {run.status!r}"
    return run


def _no_constants(name: str) -> object:
    raise ValueError(f"not JSON: {name}")


def strict_json(text: bytes) -> object:
    return json.loads(text, parse_constant=_no_constants)


def assert_kept_its_promise(run: Run, *, json_lines: bool = False, json_out: bool = False) -> None:
    assert run.status in (0, 1, 2), (run.status, run.err)
    assert "Traceback" not in run.err, run.err
    if run.status != 0:
        assert run.out == b"", run.out[:500]
    if json_lines:
        for line in run.out.splitlines():
            strict_json(line)
    elif json_out and run.out:
        strict_json(run.out)


@pytest.fixture(autouse=True, scope="module")
def quiet_places() -> Iterator[None]:
    """Session and cache folders of the module's own (tests' fixtures are per function), and
    the folder :func:`scratch` lends each example."""
    with tempfile.TemporaryDirectory() as folder:
        saved = {k: os.environ.get(k) for k in ("XDG_CACHE_HOME", "XDG_STATE_HOME", "NO_COLOR")}
        os.environ.update(
            XDG_CACHE_HOME=f"{folder}/cache", XDG_STATE_HOME=f"{folder}/state", NO_COLOR="1"
        )
        SCRATCH.append(Path(folder) / "scratch")
        SCRATCH[-1].mkdir()
        yield
        SCRATCH.pop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


#: The folder :func:`scratch` lends (set by :func:`quiet_places`).
SCRATCH: list[Path] = []


@contextlib.contextmanager
def scratch() -> Iterator[str]:
    """An empty folder for one example's files, emptied after it and lent to the next one.

    A folder made and removed for every example (or a file rewritten in place) costs a wait
    for the disk of some milliseconds on ext4, more than a small example's run; a new file
    and its removal cost a tenth of that.
    """
    folder = SCRATCH[-1]
    try:
        yield str(folder)
    finally:
        for entry in folder.iterdir():
            entry.unlink()


# -- generated answer files ---------------------------------------------------------------

#: Marks a huge number in generated data, written out as digits by :func:`_render`.
HUGE = "@@huge@@"

#: Text a hostile file may hold: control characters, escapes that would retitle a terminal,
#: a forged message line, bidirectional overrides, long runs.
HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "\x1b]0;owned\x07",
            "\x1b[2J",
            "\r/etc/passwd:1:1: error E001: forged",
            "\u202eevil",
            "\x00",
            "\udcff",
            "x" * 5000,
            "9" * 5000,
        ]
    ),
)
SCALARS = st.one_of(
    st.sampled_from(VALUES),
    st.integers(),
    # Numbers of hundreds to thousands of digits, written as the file's text by _render
    # (Hypothesis itself cannot print integers past 4,300 digits when it reports).
    st.integers(min_value=300, max_value=6000).map(lambda n: f"{HUGE}{n}"),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    HOSTILE_TEXT,
)
ANSWER_VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=4))
KEYS = st.one_of(st.sampled_from(IDS), HOSTILE_TEXT)
ANSWER_MAPS = st.dictionaries(KEYS, ANSWER_VALUES, max_size=len(IDS) + 2)

#: YAML that is not JSON: the forms a person might write, and the forms an attacker might.
YAML_SNIPPETS = st.sampled_from(
    [
        "age: 050\n",
        "age: 0x1F\n",
        "age: 1:30\n",
        "age: 1_0\n",
        "age: .inf\n",
        "age: !!python/object:os.system ls\n",
        "a: &a [*a]\n",
        "base: &b {age: 30}\nmerged: {<<: *b}\n",
        "--- \n--- \n",
        "age: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n",
        "\ufeffred_flags: []\n",
        "red_flags: none\n",
        "age: 1" + "0" * 5000 + "\n",
        "{}\n",
        "[]\n",
        "",
    ]
)


def _render(answers: dict[str, object]) -> bytes:
    # JSON is YAML: every generated mapping is written as JSON, which both readers take.
    text = json.dumps(answers, ensure_ascii=False)
    # A huge number stands as a number, or as text of digits when it is a key.
    text = re.sub(rf'"{HUGE}(\d+)"(?!:)', lambda m: "7" * int(m.group(1)), text)
    text = re.sub(rf"{HUGE}(\d+)", lambda m: "7" * int(m.group(1)), text)
    return text.encode("utf-8", errors="surrogatepass")


ANSWER_FILES = st.one_of(
    ANSWER_MAPS.map(_render),
    st.just(b""),
    YAML_SNIPPETS.map(lambda s: s.encode("utf-8")),
    st.builds(lambda a, b: a.encode() + b, YAML_SNIPPETS, ANSWER_MAPS.map(_render)),
    st.binary(max_size=200),
)


@FUZZ
@given(data=ANSWER_FILES, fmt=st.sampled_from(["json", "markdown", "text"]))
def test_generated_answer_files(data: bytes, fmt: str) -> None:
    with scratch() as folder:
        path = Path(folder) / "answers.yaml"
        path.write_bytes(data)
        run = cli("triage", "--answers", path, "--format", fmt)
    assert_kept_its_promise(run, json_out=fmt == "json")


@settings(FUZZ, max_examples=max(FUZZ.max_examples // 3, 50))
@given(data=st.lists(ANSWER_FILES, min_size=1, max_size=6), fmt=st.sampled_from(["jsonl", "csv"]))
def test_generated_batches(data: list[bytes], fmt: str) -> None:
    # Each generated file is also a line of a JSON Lines stream on standard input.
    with scratch() as folder:
        for number, item in enumerate(data):
            (Path(folder) / f"{number:02d}.yaml").write_bytes(item)
        stream = b"\n".join(item.replace(b"\n", b" ") for item in data)
        runs = [
            cli("batch", folder, "--format", fmt),
            cli("batch", "-", "--format", fmt, stdin=stream),
        ]
    for run in runs:
        # A batch prints its records whatever the status: an error is a record too.
        assert run.status in (0, 1, 2), run.err
        assert "Traceback" not in run.err, run.err
        if fmt == "jsonl":
            for line in run.out.splitlines():
                strict_json(line)


# -- generated FHIR responses ------------------------------------------------------------

#: Each branch of the bundled tree, answered: the responses the mutations start from.
BRANCHES = [walk.answers for walk in iter_paths(QUESTIONNAIRE, values="routing")]
#: The statuses a response is read with; any other (entered-in-error among them) is refused.
READ_STATUSES = {"completed", "amended", "in-progress", "stopped"}
ODD_KEYS = st.one_of(st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False))


@st.composite
def fhir_responses(draw: st.DrawFn) -> tuple[bytes, str]:
    """A QuestionnaireResponse of a branch, mutated where renderers and hand editors go wrong:
    items nested in answers, items and help items, answers on help items, items without a
    linkId, odd statuses, keys that are not text, items given twice or left out, other codes.
    Returned as the file's bytes and its suffix (YAML when a key is not text)."""
    response = to_response(QUESTIONNAIRE, draw(st.sampled_from(BRANCHES)))
    items: list[dict[str, object]] = response["item"]  # type: ignore[assignment]
    yaml_only = False
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        if not items:
            break
        kind = draw(
            st.sampled_from(
                [
                    "nest-answer",
                    "nest-item",
                    "help-nest",
                    "help-answer",
                    "help-empty",
                    "no-link-id",
                    "status",
                    "key",
                    "twice",
                    "code",
                    "drop",
                ]
            )
        )
        yaml_only = _mutate(draw, response, items, kind) or yaml_only
    if yaml_only or draw(st.booleans()):
        return yaml.safe_dump(response, sort_keys=False, allow_unicode=True).encode(), ".yaml"
    return json.dumps(response, ensure_ascii=False).encode(), ".json"


def _mutate(
    draw: st.DrawFn, response: dict[str, object], items: list[dict[str, object]], kind: str
) -> bool:
    """One mutation of ``kind`` on a drawn item of ``items`` (the response's own list);
    returns whether a key that is not text was written (so only YAML can hold the response)."""
    n = draw(st.integers(min_value=0, max_value=len(items) - 1))
    item = items[n]
    if kind in ("nest-answer", "nest-item", "help-nest"):
        if len(items) > 1:
            _nest(draw, items, kind, n)
    elif kind.startswith("help-"):
        link = f"{item.get('linkId')}-help"
        if kind == "help-answer":
            items.append({"linkId": link, "answer": item.get("answer", [])})
        else:
            items.insert(n, {"linkId": link, "text": "Help."})
    elif kind == "no-link-id":
        item.pop("linkId", None)
    elif kind == "status":
        response["status"] = draw(
            st.sampled_from([*READ_STATUSES, "entered-in-error", "final", "", None, 3])
        )
    elif kind == "key":
        target = draw(st.sampled_from([response, item, *item.get("answer", [])]))  # type: ignore[list-item]
        target[draw(ODD_KEYS)] = draw(st.sampled_from([1, "x", None]))
        return True
    elif kind == "twice":
        items.append(copy.deepcopy(item))
    elif kind == "code" and item.get("answer"):
        answer = item["answer"][0]  # type: ignore[index]
        if "valueCoding" in answer:
            answer["valueCoding"]["code"] = draw(st.sampled_from(VALUES))
        else:
            answer["valueInteger"] = draw(st.integers(min_value=-5, max_value=200))
    elif kind == "drop":
        items.pop(n)
    return False


def _nest(draw: st.DrawFn, items: list[dict[str, object]], kind: str, n: int) -> None:
    """Moves item ``n`` into another one's answer or items, or into a help item of its own."""
    moved = items.pop(n)
    host = items[draw(st.integers(min_value=0, max_value=len(items) - 1))]
    if kind == "nest-answer" and host.get("answer"):
        host["answer"][0]["item"] = [moved]  # type: ignore[index]
    elif kind == "nest-item":
        host["item"] = [moved]
    elif kind == "help-nest":
        items.insert(0, {"linkId": f"{moved.get('linkId')}-help", "item": [moved]})


def _items_anywhere(data: object, depth: int = 0) -> Iterator[tuple[dict[str, object], int]]:
    if isinstance(data, dict):
        for item in data.get("item", []) if isinstance(data.get("item"), list) else []:
            if isinstance(item, dict):
                yield item, depth
                yield from _items_anywhere(item, depth + 1)
                for answer in (
                    item.get("answer", []) if isinstance(item.get("answer"), list) else []
                ):
                    yield from _items_anywhere(answer, depth + 1)


@settings(FUZZ, max_examples=max(FUZZ.max_examples // 3, 50))
@given(generated=fhir_responses())
def test_generated_fhir_responses(generated: tuple[bytes, str]) -> None:
    data, suffix = generated
    with scratch() as folder:
        path = Path(folder) / f"response{suffix}"
        path.write_bytes(data)
        run = cli("triage", "--answers", path, "--format", "json")
    assert_kept_its_promise(run, json_out=True)
    if run.status != 0:
        return
    # Read: then nothing in it was passed over. Every answer given anywhere is a question's at
    # the top level, and is in the result or reported unused; the status is one that is read.
    document = yaml.safe_load(data)
    assert document.get("status") in READ_STATUSES
    result = json.loads(run.out)
    for item, depth in _items_anywhere(document):
        link_id = item.get("linkId")
        if not item.get("answer"):
            continue
        assert link_id in QUESTIONNAIRE.by_id and depth == 0, (link_id, depth)
        assert link_id in result["answers"] or f"W206: answer to '{link_id}'" in run.err


@settings(FUZZ, max_examples=max(FUZZ.max_examples // 20, 30))
@given(generated=st.lists(fhir_responses(), min_size=1, max_size=5))
def test_generated_fhir_responses_in_a_batch(generated: list[tuple[bytes, str]]) -> None:
    # One record a response, in order, whatever each holds: a Bundle or an OperationOutcome.
    with scratch() as folder:
        for number, (data, suffix) in enumerate(generated):
            (Path(folder) / f"{number:02d}{suffix}").write_bytes(data)
        run = cli("batch", folder, "--format", "fhir")
    assert run.status in (0, 1), run.err
    assert "Traceback" not in run.err
    kinds = [strict_json(line)["resourceType"] for line in run.out.splitlines()]  # type: ignore[index]
    assert len(kinds) == len(generated)
    assert set(kinds) <= {"Bundle", "OperationOutcome"}
    assert (run.status == 0) == (set(kinds) == {"Bundle"})


# -- mutated questionnaires ---------------------------------------------------------------

BUNDLED_LINES = BUNDLED.read_text(encoding="utf-8").splitlines(keepends=True)
#: Values a mutation writes in place of a line's value, non-finite and huge numbers among them
#: (the corpus keeps the two that once crashed: an infinite weight, a 400-digit margin).
MUTANT_VALUES = st.one_of(
    st.sampled_from(
        [
            ".inf",
            "-.nan",
            "1" + "0" * 400,
            "",
            "null",
            "[]",
            "{}",
            "-1",
            "0",
            "1" + "0" * 40,
            "'text'",
            "yes",
            "routine",
            "emergency",
            "start",
            "age",
            "&x a",
            "*x",
            "!!binary AAAA",
            "'\x1b]0;owned\x07'",
        ]
    ),
    st.sampled_from(IDS),
)


@st.composite
def mutated_questionnaires(draw: st.DrawFn) -> bytes:
    lines = list(BUNDLED_LINES)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        kind = draw(st.sampled_from(["delete", "duplicate", "value", "swap", "truncate"]))
        if kind == "delete":
            del lines[index]
        elif kind == "duplicate":
            lines.insert(index, lines[index])
        elif kind == "value" and ":" in lines[index]:
            key = lines[index].split(":", 1)[0]
            lines[index] = f"{key}: {draw(MUTANT_VALUES)}\n"
        elif kind == "swap":
            other = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        elif kind == "truncate":
            lines = lines[: index + 1]
        if not lines:
            lines = ["\n"]
    return "".join(lines).encode("utf-8")


@parts(4)
def test_mutated_questionnaires(part: int) -> None:
    """Broken copies of the bundled questionnaire through triage and check: a message, never
    a traceback (in four parts of a quarter of the examples each)."""
    strategies = {"text": mutated_questionnaires(), "answers": ANSWER_FILES}
    run_part(mutant_kept_its_promises, strategies, part, 4, max(FUZZ.max_examples // 6, 30))


def mutant_kept_its_promises(text: bytes, answers: bytes) -> None:
    with scratch() as folder:
        questionnaire = Path(folder) / "q.yaml"
        questionnaire.write_bytes(text)
        given_answers = Path(folder) / "a.yaml"
        given_answers.write_bytes(answers)
        runs = [
            cli("triage", "-q", questionnaire, "-a", RUPTURE, "--format", "json"),
            cli("triage", "-q", questionnaire, "-a", given_answers, "--format", "json"),
        ]
        checked = cli("check", questionnaire)
    for run in runs:
        assert_kept_its_promise(run, json_out=True)
    assert_kept_its_promise(checked)


# -- the corpus: every input that ever crashed ------------------------------------------------

#: Corpus entries whose fix belongs to another branch of this release: each fails until that
#: branch is merged (strict: once it passes, the mark must go).


def _corpus() -> list[object]:
    entries = []
    for path in sorted(CORPUS.iterdir()):
        entries.append(pytest.param(path, id=path.name))
    return entries


@pytest.mark.parametrize("path", _corpus())
def test_the_corpus(path: Path, tmp_path: Path) -> None:
    runs: list[tuple[Run, str]] = []
    if path.name.startswith("answers-"):
        for fmt in ("json", "markdown"):
            run = cli("triage", "--answers", path, "--format", fmt)
            assert_kept_its_promise(run, json_out=fmt == "json")
            runs.append((run, fmt))
        with path.open("rb") as handle:
            run = cli("triage", "--answers", "-", "--format", "json", stdin=handle.read())
        assert_kept_its_promise(run, json_out=True)
        runs.append((run, "json"))
        if path.suffix == ".json" and _is_json(path.read_bytes()):
            # Valid JSON is read as JSON: never a YAML (or JSON) syntax error.
            for run, _ in runs:
                assert "E004" not in run.err and "E019" not in run.err, run.err
    elif path.name.startswith("batch-"):
        if path.suffix == ".gz":
            unpacked = tmp_path / path.stem
            unpacked.write_bytes(gzip.decompress(path.read_bytes()))
            path = unpacked
        for run in (cli("batch", path), cli("batch", "-", stdin=path.read_bytes())):
            assert run.status in (0, 1), run.err
            assert "Traceback" not in run.err
            assert_a_record_a_line(run, path.read_bytes())
            runs.append((run, "jsonl"))
    elif path.name.startswith("questionnaire-"):
        for fmt in ("json", "markdown", "text"):
            run = cli("triage", "-q", path, "-a", RUPTURE, "--format", fmt)
            assert_kept_its_promise(run, json_out=fmt == "json")
            runs.append((run, fmt))
        checked = cli("check", path)
        assert_kept_its_promise(checked)
        runs.append((checked, "text"))
    elif path.name.startswith("run-"):
        replay_run(path, tmp_path)
    else:
        pytest.fail(
            f"{path.name}: a corpus file's name starts with answers-, batch-, questionnaire- "
            "or run-"
        )
    for run, fmt in runs:
        assert_nothing_raw(run, markdown=fmt == "markdown")
    expected = CORPUS_EXPECTS.get(path.name)
    if expected is not None:
        status, words = expected
        for run, _ in runs:
            assert run.status == status, run.err
            assert words in run.err, run.err


#: What a replay must end in, beyond its promises, where the input once gave a wrong answer
#: rather than a crash: the exit status, and words on standard error.
CORPUS_EXPECTS: dict[str, tuple[int, str]] = {
    # "" was read as "none of these".
    "answers-red-flags-empty-text.yaml": (1, "E202"),
    # YAML read a raw U+0085 as a line break: the value as written is what is refused.
    "answers-json-raw-u0085.json": (1, "'sudden\\x85' is not allowed"),
    "answers-json-surrogate-pair.json": (0, ""),
    "answers-json-key-over-1024-characters.json": (0, ""),
    "answers-json-colon-on-the-next-line.json": (0, ""),
    "questionnaire-terminal-escapes-in-title.yaml": (1, "E020"),
    "questionnaire-bidi-and-csi-in-a-prompt.yaml": (1, "E020"),
    "questionnaire-html-in-text.yaml": (0, ""),
}

#: What a terminal acts on (C0 controls but the line break, C1 controls, bidirectional
#: overrides and isolates, line separators): never raw in what the command writes.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _is_json(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except ValueError:
        return False
    return True


def assert_nothing_raw(run: Run, *, markdown: bool = False) -> None:
    """No control character in any output; in a Markdown report, no HTML and no link."""
    out = run.out.decode("utf-8", errors="replace")
    found = RAW_CONTROL.search(out + run.err)
    assert found is None, f"raw {found.group()!r} in the output" if found else ""
    if markdown and run.status == 0:
        # Every '<' opens an autolink to a reference; no bracket from the text makes a link.
        assert all(part.startswith("https://") for part in out.split("<")[1:]), out
        assert re.search(r"(?<!\\)\]\(", out) is None, out


def assert_a_record_a_line(run: Run, stream: bytes) -> None:
    """A JSON Lines batch lost no record: one, in order, for every line that is not blank."""
    lines = [line for line in stream.split(b"\n") if line.strip(b" \t\r")]
    records = [strict_json(line) for line in run.out.splitlines()]
    assert len(records) == len(lines), (len(records), len(lines), run.err[-2000:])
    numbers = [int(str(r["source"]).rsplit(":", 1)[1]) for r in records]  # type: ignore[index]
    assert numbers == sorted(numbers)


def _odd_folder(where: Path) -> Path:
    """A folder of entries a batch once passed over in silence."""
    folder = where / "odd"
    folder.mkdir()
    (folder / "a.JSON").write_text(json.dumps(_rupture()), encoding="utf-8")
    (folder / "gone.yaml").symlink_to(where / "nowhere.yaml")
    os.mkfifo(folder / "pipe.yaml")
    (folder / "notes.txt").write_text("not an answer file", encoding="utf-8")
    return folder


def _formula_folder(where: Path) -> Path:
    """A folder of answer files whose names a spreadsheet would run as formulas."""
    folder = where / "formulas"
    folder.mkdir()
    for name in ("=1+2.yaml", "+cmd.yaml", "-x.yaml", "@SUM(1).yaml"):
        (folder / name).write_text(json.dumps(_rupture()), encoding="utf-8")
    return folder


def _rupture() -> object:
    run = cli("triage", "--answers", RUPTURE, "--format", "json")
    return strict_json(run.out)["answers"]  # type: ignore[index]


def replay_run(spec_path: Path, where: Path) -> None:
    """Run a ``run-*.json`` reproducer in a process of its own, and hold it to its promises.

    Keys: ``args`` (``{examples}``, ``{fifo}``, ``{odd-folder}`` and ``{formula-folder}`` are
    made here), ``env``, ``cwd`` (``empty``: a new folder, which must stay empty; or a made
    folder), ``stdout`` (``pipe``, ``closed-pipe``: its reader gone before the run;
    ``/dev/full``; ``closed``), and what must come of it: ``status``, ``stderr`` (its last
    line, or nothing), ``stderr_has``, ``stdout_has``, ``stdout_encoding``, ``records`` (JSON
    Lines records on standard output) and ``csv_safe`` (no cell a spreadsheet would run).
    """
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    made: dict[str, Path] = {"examples": RUPTURE.parent}

    def fill(text: str) -> str:
        for name, maker in (
            ("fifo", lambda: _fifo(where)),
            ("odd-folder", lambda: _odd_folder(where)),
            ("formula-folder", lambda: _formula_folder(where)),
        ):
            if "{" + name + "}" in text and name not in made:
                made[name] = maker()
        for name, value in made.items():
            text = text.replace("{" + name + "}", str(value))
        return text

    args = [fill(a) for a in spec["args"]]
    cwd = where / "cwd" if spec.get("cwd") == "empty" else None
    if cwd is not None:
        cwd.mkdir()
    elif "cwd" in spec:
        cwd = Path(fill(spec["cwd"]))
    env = {**os.environ, "NO_COLOR": "1", **spec.get("env", {})}
    done = _run_with_stdout(spec.get("stdout", "pipe"), args, env, cwd or where)
    err = done.stderr.decode("utf-8", errors="replace")
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert done.returncode == spec["status"], err
    if "stderr" in spec:
        assert (err.splitlines() or [""])[-1] == spec["stderr"], err
    assert spec.get("stderr_has", "") in err, err
    out = done.stdout or b""
    text = out.decode(spec.get("stdout_encoding", "utf-8"))
    assert spec.get("stdout_has", "") in text, text[:2000]
    assert RAW_CONTROL.search(text + err) is None
    if "records" in spec:
        assert len([strict_json(line) for line in out.splitlines()]) == spec["records"]
    if spec.get("csv_safe"):
        rows = list(csv.reader(io.StringIO(text)))[1:]
        assert rows and all(
            not c.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for c in r
        )
    if spec.get("cwd") == "empty":
        assert cwd is not None and list(cwd.iterdir()) == []


def _fifo(where: Path) -> Path:
    fifo = where / "session.yaml"
    os.mkfifo(fifo)
    return fifo


def _run_with_stdout(
    kind: str, args: list[str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "hamstring_cli", *args]

    def run(stdout: object, preexec: object = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,  # type: ignore[arg-type]
            stderr=subprocess.PIPE,
            preexec_fn=preexec,  # type: ignore[arg-type]
            check=False,
            timeout=60,  # a hang is a failure
        )

    if kind == "pipe":
        return run(subprocess.PIPE)
    if kind == "closed-pipe":
        read, write = os.pipe()
        os.close(read)
        try:
            return run(write)
        finally:
            os.close(write)
    if kind == "closed":
        return run(None, lambda: os.close(1))
    with open(kind, "wb") as sink:
        return run(sink)


# -- generated JSON Lines streams ------------------------------------------------------------

#: Lines JSON reads and YAML refused or misread, lines YAML reads and JSON does not, and others.
ODD_LINES = st.sampled_from(
    [
        '{"red_flags": ["\\ud83d\\ude00"]}',
        '{"schema_version": 1, "answers": {"age": 30}, "%s": 1}' % ("k" * 1100),
        '{"red_flags"\t: [], "age" : 30}',
        '{"onset": "sudden\u0085"}',
        "{1: 2}",
        "red_flags: []",
        "{red_flags: [], age: 30}",
        "\u0085",
        "\x0c",
        '{"age": NaN}',
        '{"age": 1e999}',
        '{"age": 30, "age": 31}',
        "[" * 150 + "]" * 150,
        '{"age": "' + "9" * 5000 + '"}',
        "null",
        "",
        "   ",
        "\r",
    ]
)
JSON_LINES = st.lists(
    st.one_of(
        ANSWER_MAPS.map(lambda m: _render(m).decode("utf-8", errors="surrogatepass")),
        ODD_LINES,
        st.text(max_size=60).map(lambda t: t.replace("\n", " ")),
    ),
    max_size=8,
)


@settings(FUZZ, max_examples=max(FUZZ.max_examples // 5, 40))
@given(lines=JSON_LINES, crlf=st.booleans(), fmt=st.sampled_from(["jsonl", "csv"]))
def test_generated_json_lines_streams_lose_no_record(
    lines: list[str], crlf: bool, fmt: str
) -> None:
    stream = ("\r\n" if crlf else "\n").join(lines).encode("utf-8", errors="surrogatepass")
    with scratch() as folder:
        path = Path(folder) / "in.jsonl"
        path.write_bytes(stream)
        runs = [cli("batch", path, "--format", fmt), cli("batch", "-", stdin=stream)]
    for run in runs:
        assert run.status in (0, 1), run.err
        assert "Traceback" not in run.err, run.err
        assert_nothing_raw(run)
    assert_a_record_a_line(runs[1], stream)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(runs[0].out.decode("utf-8"))))
        assert len(rows) == len(runs[1].out.splitlines()) + 1  # the header, then a row each
        assert not any(c.startswith(FORMULA) for row in rows for c in row)


# -- injected text: questionnaire text, file names ----------------------------------------------

#: What a hostile text holds: terminal escapes, bidirectional controls, markup, formulas.
INJECTED = st.one_of(
    st.sampled_from(
        [
            "\x1b]0;PWNED\x07\x1b[2J",
            "\x9b31m",
            "\u202eevil\u202c",
            "\u2066x\u2069",
            "a\u2028b",
            "\r/etc/passwd:1:1: error E001: forged",
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[link](javascript:alert(1))",
            "![x](javascript:alert(1))",
            "<javascript:alert(1)>",
            "&lt;b&gt; \\[x\\](y)",
            '=HYPERLINK("x")',
            "@SUM(A1)",
            "\U0001f600 \u00e9 \u0085",
        ]
    ),
    st.text(min_size=1, max_size=20),
)
#: Where a questionnaire's text is quoted: the title, a prompt, an option label, an advice.
INJECTION_POINTS = (
    "\ntitle: ",
    "\n    prompt: ",
    "\n        label: ",
    "\n          advice: ",
)
CONTROL_IN_TEXT = re.compile(
    "[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\ud800-\\udfff]"
)
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _inject(text: str, point: str, which: int) -> str | None:
    """The bundled questionnaire with the ``which``-th text after ``point`` replaced."""
    lines = BUNDLED_LINES
    found = [i for i, line in enumerate(lines) if ("\n" + line).startswith(point)]
    if not found:
        return None
    index = found[which % len(found)]
    head = lines[index].split(":", 1)[0]
    out = list(lines)
    # A block scalar's lines after it stay, as text of the next key: only a one-line value is
    # swapped, so the file stays a questionnaire.
    if lines[index].rstrip().endswith((">-", "|", ">")):
        return None
    out[index] = f"{head}: {_yaml_quoted(text)}\n"
    return "".join(out)


def _yaml_quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar: anything not printable ASCII as its escape."""

    def one(char: str) -> str:
        if char in '"\\':
            return "\\" + char
        if " " <= char <= "~":
            return char
        code = ord(char)
        return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"

    return '"' + "".join(map(one, text)) + '"'


@parts(2)
def test_injected_text_never_reaches_an_output_raw(part: int) -> None:
    """Hostile text in a questionnaire's title, prompts, labels and advice: refused, or
    escaped wherever it is shown (in two parts of half the examples each)."""
    strategies = {
        "text": INJECTED,
        "point": st.sampled_from(INJECTION_POINTS),
        "which": st.integers(min_value=0, max_value=50),
    }
    run_part(injected_text_kept_out, strategies, part, 2, max(FUZZ.max_examples // 40, 30))


def injected_text_kept_out(text: str, point: str, which: int) -> None:
    source = _inject(text, point, which)
    if source is None:
        return
    with scratch() as folder:
        path = Path(folder) / "q.yaml"
        path.write_text(source, encoding="utf-8", errors="surrogatepass")
        checked = cli("check", path)
        runs = {
            fmt: cli("triage", "-q", path, "-a", RUPTURE, "--format", fmt)
            for fmt in ("json", "markdown", "text")
        }
        runs["graph"] = cli("graph", "-q", path)
        runs["explain"] = cli("explain", "-q", path, "-a", RUPTURE)
    assert_kept_its_promise(checked)
    if CONTROL_IN_TEXT.search(text):
        assert checked.status == 1 and "E020" in checked.err, checked.err
    for fmt, run in runs.items():
        assert_kept_its_promise(run, json_out=fmt == "json")
        assert_nothing_raw(run, markdown=fmt == "markdown")
        if checked.status == 1:
            assert run.status == 1  # refused wherever it is read
        if fmt == "json" and run.status == 0:
            assert RAW_CONTROL.search(run.out.decode("utf-8")) is None


@settings(FUZZ, max_examples=max(FUZZ.max_examples // 15, 30))
@given(
    names=st.lists(INJECTED, min_size=1, max_size=4, unique=True),
    fmt=st.sampled_from(["jsonl", "csv"]),
)
def test_injected_file_names_never_reach_an_output_raw(names: list[str], fmt: str) -> None:
    with scratch() as folder:
        made = []
        for number, name in enumerate(names):
            clean = name.replace("/", "_").replace("\x00", "_")[:100] or "_"
            path = Path(folder) / f"{clean}{number}.yaml"
            try:
                path.write_bytes(RUPTURE.read_bytes())
            except (OSError, UnicodeEncodeError):
                continue
            made.append(path.name)
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            run = cli("batch", ".", "--format", fmt)
        finally:
            os.chdir(cwd)
    assert run.status == 0, run.err
    assert "Traceback" not in run.err
    assert_nothing_raw(run)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(run.out.decode("utf-8"))))[1:]
        assert len(rows) == len(made)
        assert not any(c.startswith(FORMULA) for row in rows for c in row), rows
    else:
        assert len(run.out.splitlines()) == len(made)


# -- output faults ---------------------------------------------------------------------------


class _Faulty(io.RawIOBase):
    """Standard output that takes ``room`` bytes, then fails every write with ``code``.

    It has a descriptor of its own (the null device), as a real stream has: rich, meeting a
    closed pipe, points that descriptor at the null device before it exits.
    """

    def __init__(self, room: int, code: int) -> None:
        self.room = room
        self.code = code
        self.taken = bytearray()
        self.failed = False
        self.fd = os.open(os.devnull, os.O_WRONLY)

    def fileno(self) -> int:
        return self.fd

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        chunk = bytes(data)  # type: ignore[call-overload]
        if self.failed and self.code == 0:
            return len(chunk)
        if len(self.taken) + len(chunk) > self.room:
            self.failed = True
            if self.code:
                raise OSError(self.code, os.strerror(self.code))
        self.taken += chunk
        return len(chunk)


FAULT_COMMANDS = [
    ["triage", "--answers", str(RUPTURE), "--format", "json"],
    ["triage", "--answers", str(RUPTURE), "--format", "text"],
    ["triage", "--answers", str(RUPTURE), "--format", "markdown"],
    ["triage", f"--answers={RUPTURE}", "-fjson"],  # the typer route
    ["batch", str(RUPTURE), str(RUPTURE), str(RUPTURE)],
    ["batch", "-fcsv", str(RUPTURE), str(RUPTURE)],  # the typer route
    ["explain", "--answers", str(RUPTURE)],
    ["export", "--format", "fhir"],
    ["graph"],
    ["schema"],
    ["list"],
    ["practice", "--list"],
    ["practice", "--case", "red-flag-foot-drop", "--guess", "acute_rupture", "--level", "urgent"],
    ["--help"],
    ["batch", "--help"],
    ["--version"],
]


@settings(FUZZ, max_examples=max(FUZZ.max_examples // 6, 60))
@given(
    args=st.sampled_from(FAULT_COMMANDS),
    room=st.integers(min_value=0, max_value=20_000),
    code=st.sampled_from([errno.EPIPE, errno.ENOSPC, errno.EIO, errno.EBADF]),
    encoding=st.sampled_from(["utf-8", "ascii", "latin-1"]),
)
def test_output_faults_end_in_a_status_never_a_traceback(
    args: list[str], room: int, code: int, encoding: str
) -> None:
    sink = _Faulty(room, code)
    out = io.TextIOWrapper(io.BufferedWriter(sink, buffer_size=1024), encoding=encoding)
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    try:
        status = run_main(args, text_stream(), out, err)
    finally:
        sink.code = 0  # what is left goes nowhere, as after the command's own exit
        os.close(sink.fd)
    assert isinstance(err.buffer, io.BytesIO)
    said = err.buffer.getvalue().decode("utf-8")
    assert "Traceback" not in said
    if not sink.failed:
        assert status in (0, None), said
        sink.taken.decode(encoding)  # an encoding without the bullets still gets its text
        return
    assert status == 1, said
    lines = [line for line in said.splitlines() if "standard output" in line]
    if code == errno.EPIPE:
        assert lines == []  # a closed pipe ends quietly
    else:
        reason = "it is closed" if code == errno.EBADF else os.strerror(code)
        assert lines == [f"hamstring: cannot write to standard output: {reason}"]
