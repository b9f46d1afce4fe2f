"""The table of question types drives every consumer: a type added there alone works everywhere.

Each type of :data:`~hamstring_cli.question_types.TYPES` goes through every consumer
(tests/type_consumers.py: load, check, triage in every report format, graph, the clinical
document, paths, FHIR export and reading a FHIR response back). Then a new type is added to the
table and nowhere else, a copy of each entry under a new name, in a fresh interpreter (the
format's declaration and the parser read the table when they are imported), and goes through
the same consumers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import sweep
from type_consumers import run_every_consumer

from hamstring_cli.question_types import CODING, QUESTION_TYPES, TYPES

TESTS = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.mark.parametrize("qtype", QUESTION_TYPES)
def test_every_question_type_goes_through_every_consumer(qtype: str, tmp_path: Path) -> None:
    run_every_consumer(qtype, tmp_path)


def test_the_table_says_how_fhir_holds_each_type() -> None:
    for name, entry in TYPES.items():
        assert entry.fhir_type in ("choice", "integer", "decimal", "string", "date"), name
        assert entry.fhir_value.startswith("value"), name
        # A type with options holds a code among them; FHIR's choice items hold a Coding.
        assert (entry.fhir_value == CODING) == entry.options, name


#: Run in a fresh interpreter: the table gets a copy of one entry under a new name before
#: anything reads it (as an entry written in question_types.py would), then every consumer.
_ADD_A_TYPE = textwrap.dedent(
    """\
    import ast, importlib.util, sys
    from pathlib import Path

    base, new, folder = sys.argv[1:]
    spec = importlib.util.find_spec("hamstring_cli.question_types")
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    (at,) = [
        n for n, node in enumerate(tree.body)
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "TYPES"
    ]
    # One more entry, right after the table: TYPES = {**TYPES, new: a copy of base's entry}.
    tree.body.insert(at + 1, ast.parse(
        "TYPES = MappingProxyType({**TYPES, NEW: QuestionKind(**{"
        "slot: getattr(TYPES[BASE], slot) for slot in QuestionKind.__slots__}"
        " | {'name': NEW})})".replace("NEW", repr(new)).replace("BASE", repr(base))
    ).body[0])
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    exec(compile(ast.fix_missing_locations(tree), spec.origin, "exec"), module.__dict__)

    from hamstring_cli.question_types import QUESTION_TYPES
    assert new in QUESTION_TYPES, QUESTION_TYPES
    from type_consumers import run_every_consumer
    run_every_consumer(new, Path(folder))
    print("every consumer took", new)
    """
)


@pytest.mark.parametrize("base", sweep(QUESTION_TYPES, keep=1))
def test_a_type_added_to_the_table_alone_works_everywhere(base: str, tmp_path: Path) -> None:
    new = f"copy_of_{base}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(TESTS), *sys.path))}
    done = subprocess.run(
        [sys.executable, "-c", _ADD_A_TYPE, base, new, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.strip() == f"every consumer took {new}"
