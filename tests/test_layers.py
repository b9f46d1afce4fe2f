"""The map of the package (``hamstring_cli/layers.py``), enforced on every import in it.

Ruff's banned-api rules fence the third-party libraries (PyYAML, typer, rich, questionary);
these tests fence the package's own modules:

- each module imports only from its layer or below. The one way up is a lazy import, inside a
  function, from the runs-and-files layer to the terminal (``runner`` starts the interactive
  intake, ``batch`` draws its progress bar), so that nothing is loaded until something is
  drawn. The pure layers (0 and 1) never import the terminal or the command line, not even
  lazily;
- no import makes a circle, of any size, within a layer or across layers. Every import counts:
  at the top of a module, under ``if TYPE_CHECKING:`` (it ties one module's design to
  another's as surely as a run-time import), and inside a function (a lazy import still makes
  the module depend on the other; it only delays the cost). The lazy way up to the terminal
  cannot make a circle unless the terminal imports back, which this test would see;
- every module has a layer: named in :data:`~hamstring_cli.layers.MODULES`, or, inside a
  package (``render/``), the package's own, so a new output format needs no edit here;
- no module docstring states a layer: the map is declared once, and ``docs/design.md`` shows
  it generated;
- every module says what may be imported with ``__all__``, and every name one module imports
  from another is in it.
"""

from __future__ import annotations

import ast
import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

import pytest

from hamstring_cli import layers
from hamstring_cli.layers import LAYERS, PURE, TERMINAL

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "hamstring_cli"
DESIGN = ROOT / "docs" / "design.md"


class Import(NamedTuple):
    """One first-party import: the module imported, its line, and whether in a function."""

    module: str
    line: int
    lazy: bool


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) or "hamstring_cli"


def modules(package: Path = PACKAGE) -> list[Path]:
    return sorted(package.rglob("*.py"))


@functools.cache
def _parse_source(source: str) -> ast.Module:
    return ast.parse(source)


def parsed(path: Path) -> ast.Module:
    """The syntax tree of a file, parsed once a run for each text it has (callers only read it;
    several tests walk every module of the package and every test file)."""
    return _parse_source(path.read_text("utf-8"))


def layer_of(name: str) -> int:
    """The layer of a module, or of the package it is in (``render.progress`` is render's)."""
    while name not in LAYERS and "." in name:
        name = name.rsplit(".", 1)[0]
    return LAYERS[name]


def first_party(tree: ast.Module, known: frozenset[str] = frozenset(LAYERS)) -> Iterator[Import]:
    """Each first-party import of a module, wherever it stands (``TYPE_CHECKING`` included).

    ``known`` are the modules of the package, so that ``from hamstring_cli.render import
    formats`` is an import of ``render.formats``, not of ``render``.
    """

    def target(base: str, name: str) -> str:
        full = f"{base}.{name}" if base else name
        return full if full in known else (base or "hamstring_cli")

    def visit(node: ast.AST, lazy: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.ImportFrom) and child.module:
                if child.module == "hamstring_cli" or child.module.startswith("hamstring_cli."):
                    base = child.module.removeprefix("hamstring_cli").removeprefix(".")
                    for alias in child.names:
                        yield Import(target(base, alias.name), child.lineno, lazy)
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith("hamstring_cli."):
                        yield Import(alias.name.removeprefix("hamstring_cli."), child.lineno, lazy)
            yield from visit(child, inner)

    yield from visit(tree, False)


def import_graph(package: Path = PACKAGE) -> dict[str, list[Import]]:
    """Every first-party import of every module of ``package``, by importing module."""
    paths = modules(package)
    known = frozenset(module_name(p, package) for p in paths)
    return {module_name(p, package): list(first_party(parsed(p), known)) for p in paths}


def circles(graph: Mapping[str, list[Import]]) -> list[frozenset[str]]:
    """The circles of an import graph: each set of modules that reach one another (Tarjan)."""
    edges = {
        name: sorted({i.module for i in found if i.module != name}) for name, found in graph.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        for other in edges.get(name, ()):
            if other not in index:
                visit(other)
                low[name] = min(low[name], low[other])
            elif other in stack:
                low[name] = min(low[name], index[other])
        if low[name] == index[name]:
            members = {stack.pop()}
            while name not in members:
                members.add(stack.pop())
            if len(members) > 1:
                found.append(frozenset(members))

    for name in sorted(edges):
        if name not in index:
            visit(name)
    return found


def describe(circle: frozenset[str], graph: Mapping[str, list[Import]]) -> str:
    steps = [
        f"{name} -> {i.module} (line {i.line}{', lazy' if i.lazy else ''})"
        for name in sorted(circle)
        for i in graph[name]
        if i.module in circle
    ]
    return "; ".join(steps)


def layer_problems(package: Path = PACKAGE) -> list[str]:
    """Every module without a layer, and every import above its importer's layer."""
    problems = []
    for name, found in import_graph(package).items():
        try:
            own = layer_of(name)
        except KeyError:
            problems.append(f"{name} has no layer: give it one in hamstring_cli/layers.py")
            continue
        for imported, line, lazy in found:
            theirs = layer_of(imported)
            terminal = imported.split(".")[0] in TERMINAL
            if own <= PURE and terminal:
                problems.append(f"{name} line {line}: {imported} (the terminal, from a pure layer)")
            elif theirs > own and not (lazy and own == 2 and terminal and theirs == 3):
                problems.append(f"{name} line {line}: {imported} (layer {theirs}, above {own})")
    return problems


def test_every_module_has_a_layer_and_imports_only_its_layer_and_below() -> None:
    assert not layer_problems(), "\n".join(layer_problems())


def test_the_map_names_only_modules_that_exist() -> None:
    names = {module_name(p) for p in modules()}
    assert not set(LAYERS) - names, "hamstring_cli/layers.py names modules that are gone"


def test_no_circle_at_all() -> None:
    graph = import_graph()
    found = circles(graph)
    assert not found, "import circles: " + " | ".join(describe(c, graph) for c in found)


def test_the_check_sees_every_kind_of_import() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "from hamstring_cli import render, __version__\n"
        "from hamstring_cli.render import formats\n"
        "if TYPE_CHECKING:\n"
        "    from hamstring_cli.model import Questionnaire\n"
        "def f():\n"
        "    from hamstring_cli.interactive import intake\n"
        "    import hamstring_cli.cache\n"
    )
    assert list(first_party(tree)) == [
        Import("render", 2, False),
        Import("hamstring_cli", 2, False),
        Import("render.formats", 3, False),
        Import("model", 5, False),
        Import("interactive", 7, True),
        Import("cache", 8, True),
    ]


def test_the_check_sees_a_circle_of_any_size_within_a_layer_too() -> None:
    def graph(*pairs: str) -> dict[str, list[Import]]:
        found: dict[str, list[Import]] = {}
        for pair in pairs:
            a, b = pair.split(">")
            found.setdefault(a, []).append(Import(b, 1, False))
            found.setdefault(b, [])
        return found

    # errors and sourcemap are both layer 0; the seven-module loop the map once had.
    assert circles(graph("errors>sourcemap", "sourcemap>errors")) == [
        frozenset({"errors", "sourcemap"})
    ]
    loop = ["batch", "report", "render.formats", "cache", "runner", "sessions", "interactive"]
    pairs = [f"{a}>{b}" for a, b in zip(loop, loop[1:] + loop[:1], strict=True)]
    assert circles(graph(*pairs, "cli>batch")) == [frozenset(loop)]
    assert circles(graph("cli>batch", "batch>report")) == []


def test_no_module_docstring_states_a_layer() -> None:
    """The map is declared once; a layer written in a docstring drifts from it."""
    import re

    stated = []
    for path in modules():
        doc = ast.get_docstring(parsed(path)) or ""
        if re.search(r"\blayer [0-9]\b", doc, re.IGNORECASE):
            stated.append(module_name(path))
    assert not stated, f"these module docstrings state a layer (the map is layers.py): {stated}"


def test_the_layer_list_of_the_design_is_generated_from_the_map() -> None:
    text = DESIGN.read_text("utf-8")
    assert layers.rewrite(text) == text, (
        "docs/design.md's layer list is out of date with hamstring_cli/layers.py; regenerate "
        "it from the repository root with: python -m hamstring_cli.layers --write docs/design.md"
    )
    for name in LAYERS:
        assert f"`{layers.module_file(name)}`" in text


TSV = '''"""``--format tsv``: one tab-separated row a result (a format added as the design says)."""

from __future__ import annotations


def render(result):
    return f"{result.triage.level}\\t{result.imaging.modality}\\n"


def record_writer(stream, questionnaire):
    stream.write("source\\tlevel\\n")

    def write(record):
        level = record.result["triage"]["level"] if record.ok else "error"
        stream.write(f"{record.source}\\t{level}\\n")

    return write
'''


@pytest.mark.slow
def test_a_new_output_format_is_one_module_and_one_registry_line(tmp_path: Path) -> None:
    """docs/design.md: "a new output format: one module and one registry line; nothing else
    changes". Done to a copy of the package: `triage`, `batch` and `--help` offer it, and
    neither the map nor these tests need an edit."""
    copy = tmp_path / "hamstring_cli"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "questionnaires").symlink_to(ROOT / "questionnaires")  # beside it, as in a checkout
    (copy / "render" / "tsv.py").write_text(TSV, "utf-8")
    registry = copy / "render" / "formats.py"
    text = registry.read_text("utf-8")
    anchor = "FORMATS: tuple[OutputFormat, ...] = (\n"
    line = (
        '    OutputFormat("tsv", "TSV", "tab-separated", ".tsv", "tsv", triage=True, batch=True),\n'
    )
    assert anchor in text
    registry.write_text(text.replace(anchor, anchor + line + "\n"), "utf-8")

    assert layer_problems(copy) == []
    assert circles(import_graph(copy)) == []

    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    example = ROOT / "docs" / "examples" / "acute-rupture.yaml"

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "hamstring_cli", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert run("triage", "--answers", str(example), "--format", "tsv").count("\t") == 1
    assert run("batch", str(example), "--format", "tsv").splitlines()[1].startswith(str(example))
    assert "tsv: tab-separated" in run("triage", "--help")


# -- names that say what may be imported --------------------------------------------------------


def public_names(path: Path) -> list[str] | None:
    """A module's ``__all__``, or ``None`` when it has none."""
    for node in parsed(path).body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign) and node.value is not None
            else []
        )
        if any(isinstance(target, ast.Name) and target.id == "__all__" for target in targets):
            assert isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None
            value = ast.literal_eval(node.value)
            assert isinstance(value, list), f"{path}: __all__ is a list of names"
            return [str(name) for name in value]
    return None


def test_every_module_says_what_may_be_imported() -> None:
    declared = {module_name(p): public_names(p) for p in modules()}
    missing = sorted(n for n, names in declared.items() if names is None)
    assert not missing, f"give these modules an __all__ of their public names: {missing}"
    for name, names in declared.items():
        if names is not None:
            assert names == sorted(set(names), key=names.index), f"{name}: __all__ repeats a name"


def test_every_name_imported_from_another_module_is_in_its_all() -> None:
    """A name one module takes from another is in that module's ``__all__`` (tests and benches
    too, but for a private name, which only a test may reach for); nothing in the package
    takes another module's private name."""
    declared = {module_name(p): public_names(p) for p in modules()}
    wrong = []
    users = [
        *modules(),
        *sorted((ROOT / "tests").rglob("*.py")),
        *sorted((ROOT / "bench").rglob("*.py")),
    ]
    for path in users:
        in_package = path.is_relative_to(PACKAGE)
        for node in ast.walk(parsed(path)):
            if not isinstance(node, ast.ImportFrom) or not node.module:
                continue
            if node.module.split(".")[0] != "hamstring_cli":
                continue
            source = node.module.removeprefix("hamstring_cli").removeprefix(".") or "hamstring_cli"
            names = declared.get(source)
            for alias in node.names:
                if f"{source}.{alias.name}".removeprefix("hamstring_cli.") in declared:
                    continue  # a module of a package
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                if alias.name.startswith("_") and alias.name != "__version__":
                    if in_package:
                        wrong.append(f"{where}: {source}.{alias.name} is private")
                elif names is not None and alias.name not in names:
                    wrong.append(f"{where}: {alias.name} is not in {source}.__all__")
    assert not wrong, "\n".join(wrong)


def test_the_design_names_every_module_a_new_condition_form_touches() -> None:
    """docs/design.md's "where to touch" for a new condition form names every module that
    takes the forms from the model, so the entry stays the whole list."""
    import re
    import typing

    from hamstring_cli import model

    forms = {form.__name__ for form in typing.get_args(model.Condition)}
    text = DESIGN.read_text("utf-8")
    start = text.index("- **A new condition form**")
    entry = text[start : text.index("\n- **", start + 1)]
    named = set(re.findall(r"`([a-z_/]+\.py)`", entry))
    touching = {"format_spec.py", "model.py"}
    for path in modules():
        for node in ast.walk(parsed(path)):
            if not isinstance(node, ast.ImportFrom) or node.module != "hamstring_cli.model":
                continue
            if {alias.name for alias in node.names} & forms:
                touching.add(str(path.relative_to(PACKAGE)))
    assert touching <= named, f"name these in the design's entry: {sorted(touching - named)}"
