"""Fuzz the command line with generated answer files and mutated questionnaires.

Every input goes through the entry point of the ``hamstring`` command
(:func:`hamstring_cli.__main__.main`, the fast lane or typer behind it), in process, and must
end as the command promises: exit status 0, 1 or 2; no traceback; nothing on standard output
unless the status is 0; and any JSON printed parses with a strict parser (no ``NaN`` or
``Infinity``).

The examples are derandomised, so CI runs the same few thousand each time (some 2,825
examples, 3,825 runs), in about a minute and a half.
Set ``HAMSTRING_FUZZ_EXAMPLES`` (a number) to run more, with fresh random ones. Any input that
ever crashed the command is kept in ``tests/corpus/`` and replayed here by its name:
``answers-*`` is an answer file, ``batch-*.jsonl`` a batch, ``questionnaire-*`` a questionnaire.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hamstring_cli.__main__ import main
from hamstring_cli.fhir.bundle import to_response
from hamstring_cli.loader import load_questionnaire
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


class Run:
    """What one run of the command did."""

    def __init__(self, status: int, out: bytes, err: str) -> None:
        self.status = status
        self.out = out
        self.err = err


def _stream(data: bytes = b"") -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", write_through=True)


def cli(*args: str | Path, stdin: bytes = b"") -> Run:
    """Run the command line in process as the ``hamstring`` command does."""
    saved = sys.argv, sys.stdin, sys.stdout, sys.stderr
    out, err = _stream(), _stream()
    sys.argv = ["hamstring", *map(str, args)]
    sys.stdin, sys.stdout, sys.stderr = _stream(stdin), out, err
    status: int | str | None = 0
    try:
        main()
    except SystemExit as stop:
        status = stop.code
    finally:
        sys.argv, sys.stdin, sys.stdout, sys.stderr = saved
    out.flush()
    err.flush()
    assert isinstance(out.buffer, io.BytesIO) and isinstance(err.buffer, io.BytesIO)
    text = err.buffer.getvalue().decode("utf-8", errors="replace")
    assert isinstance(status, int), f"exit with a message instead of a status: {status!r}"
    return Run(status, out.buffer.getvalue(), text)


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
    """Session and cache folders of the module's own (tests' fixtures are per function)."""
    with tempfile.TemporaryDirectory() as folder:
        saved = {k: os.environ.get(k) for k in ("XDG_CACHE_HOME", "XDG_STATE_HOME", "NO_COLOR")}
        os.environ.update(
            XDG_CACHE_HOME=f"{folder}/cache", XDG_STATE_HOME=f"{folder}/state", NO_COLOR="1"
        )
        yield
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


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
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "answers.yaml"
        path.write_bytes(data)
        run = cli("triage", "--answers", path, "--format", fmt)
    assert_kept_its_promise(run, json_out=fmt == "json")


@settings(FUZZ, max_examples=max(FUZZ.max_examples // 3, 50))
@given(data=st.lists(ANSWER_FILES, min_size=1, max_size=6), fmt=st.sampled_from(["jsonl", "csv"]))
def test_generated_batches(data: list[bytes], fmt: str) -> None:
    # Each generated file is also a line of a JSON Lines stream on standard input.
    with tempfile.TemporaryDirectory() as folder:
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
        n = draw(st.integers(min_value=0, max_value=len(items) - 1))
        item = items[n]
        if kind in ("nest-answer", "nest-item", "help-nest") and len(items) > 1:
            moved = items.pop(n)
            host = items[draw(st.integers(min_value=0, max_value=len(items) - 1))]
            if kind == "nest-answer" and host.get("answer"):
                host["answer"][0]["item"] = [moved]  # type: ignore[index]
            elif kind == "nest-item":
                host["item"] = [moved]
            else:
                items.insert(0, {"linkId": f"{moved.get('linkId')}-help", "item": [moved]})
        elif kind == "help-answer":
            items.append({"linkId": f"{item.get('linkId')}-help", "answer": item.get("answer", [])})
        elif kind == "help-empty":
            items.insert(n, {"linkId": f"{item.get('linkId')}-help", "text": "Help."})
        elif kind == "no-link-id":
            item.pop("linkId", None)
        elif kind == "status":
            response["status"] = draw(
                st.sampled_from([*READ_STATUSES, "entered-in-error", "final", "", None, 3])
            )
        elif kind == "key":
            target = draw(st.sampled_from([response, item, *item.get("answer", [])]))  # type: ignore[list-item]
            target[draw(ODD_KEYS)] = draw(st.sampled_from([1, "x", None]))
            yaml_only = True
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
    if yaml_only or draw(st.booleans()):
        return yaml.safe_dump(response, sort_keys=False, allow_unicode=True).encode(), ".yaml"
    return json.dumps(response, ensure_ascii=False).encode(), ".json"


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
    with tempfile.TemporaryDirectory() as folder:
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
    with tempfile.TemporaryDirectory() as folder:
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


@settings(FUZZ, max_examples=max(FUZZ.max_examples // 6, 30))
@given(text=mutated_questionnaires(), answers=ANSWER_FILES)
def test_mutated_questionnaires(text: bytes, answers: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
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
def test_the_corpus(path: Path) -> None:
    if path.name.startswith("answers-"):
        for fmt in ("json", "markdown"):
            assert_kept_its_promise(
                cli("triage", "--answers", path, "--format", fmt), json_out=fmt == "json"
            )
        with path.open("rb") as handle:
            run = cli("triage", "--answers", "-", "--format", "json", stdin=handle.read())
        assert_kept_its_promise(run, json_out=True)
    elif path.name.startswith("batch-"):
        for run in (cli("batch", path), cli("batch", "-", stdin=path.read_bytes())):
            assert run.status in (0, 1), run.err
            assert "Traceback" not in run.err
            for line in run.out.splitlines():
                strict_json(line)
    elif path.name.startswith("questionnaire-"):
        run = cli("triage", "-q", path, "-a", RUPTURE, "--format", "json")
        assert_kept_its_promise(run, json_out=True)
        assert_kept_its_promise(cli("check", path))
    else:
        pytest.fail(
            f"{path.name}: a corpus file's name starts with answers-, batch- or questionnaire-"
        )
