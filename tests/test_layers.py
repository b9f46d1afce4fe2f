"""The first-party layers of docs/design.md, enforced on every import in the package.

Ruff's banned-api rules fence the third-party libraries (PyYAML, typer, rich, questionary);
this test fences the package's own modules: each imports only from its layer or below. The
one way up is a lazy import, inside a function, from the runs-and-files layer to the terminal
(``runner`` starts the interactive intake, ``report`` and ``batch`` draw through ``render``),
so that nothing is loaded until something is drawn. The pure layers (0 and 1) never import the
terminal or the command line, not even lazily. Every module must be given a layer here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "hamstring_cli"

#: The layers of docs/design.md: 0 data, 1 reading and reasoning, 2 runs and files,
#: 3 the command line and the terminal.
LAYERS: dict[str, int] = {
    "hamstring_cli": 0,  # __init__: the version
    "errors": 0,
    "model": 0,
    "question_types": 0,
    "sourcemap": 0,
    "format_fields": 0,
    "format_spec": 0,
    "digest": 0,
    "json_doc": 1,
    "safe_yaml": 1,
    "field_reader": 1,
    "condition_reader": 1,
    "record_reader": 1,
    "loader": 1,
    "schema": 1,
    "format_doc": 1,
    "checks": 1,
    "paths": 1,
    "graph": 1,
    "engine": 1,
    "scoring": 1,
    "files": 1,
    "resources": 1,
    "exits": 1,
    "fhir": 1,
    "fhir.enable": 1,
    "fhir.questionnaire": 1,
    "fhir.bundle": 1,
    "runner": 2,
    # The output-format registry and the renderers built from the standard library alone:
    # the runs-and-files layer reads them at the top; only text and the progress bar draw.
    "render.formats": 2,
    "render.json": 2,
    "render.jsonl": 2,
    "render.csv": 2,
    "render.fhir": 2,
    "batch": 2,
    "answers": 2,
    "sessions": 2,
    "report": 2,
    "cache": 2,
    "cases": 2,
    "practice": 2,
    "explain": 2,
    "clinical_doc": 2,
    "safety_case": 2,
    "fhir.response": 2,
    "cli": 3,
    "fast": 3,
    "__main__": 3,
    "interactive": 3,
    "practice_session": 3,
    "render": 3,
    "render.text": 3,
    "render.markdown": 3,
    "render.decision": 3,
    "doc_examples": 3,
    "render.words": 3,
}
#: The terminal and the command line: never imported by the pure layers.
TERMINAL = ("cli", "fast", "__main__", "interactive", "practice_session", "render")
PURE = 1


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) or "hamstring_cli"


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def layer_of(name: str) -> int:
    """The layer of a module, or of the package it is in (``render.progress`` is render's)."""
    while name not in LAYERS and "." in name:
        name = name.rsplit(".", 1)[0]
    return LAYERS[name]


def first_party(tree: ast.Module) -> Iterator[tuple[str, int, bool]]:
    """(module imported, line, whether inside a function) for each first-party import."""

    def visit(node: ast.AST, lazy: bool) -> Iterator[tuple[str, int, bool]]:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.ImportFrom) and child.module:
                if child.module == "hamstring_cli":
                    for alias in child.names:
                        # 'from hamstring_cli import interactive' names a module, or __version__.
                        name = alias.name if alias.name in LAYERS else "hamstring_cli"
                        yield name, child.lineno, lazy
                elif child.module.startswith("hamstring_cli."):
                    yield child.module.removeprefix("hamstring_cli."), child.lineno, lazy
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith("hamstring_cli."):
                        yield alias.name.removeprefix("hamstring_cli."), child.lineno, lazy
            yield from visit(child, inner)

    yield from visit(tree, False)


def test_every_module_has_a_layer() -> None:
    unknown = [module_name(p) for p in modules() if module_name(p) not in LAYERS]
    assert not unknown, f"give these modules a layer in tests/test_layers.py: {unknown}"


@pytest.mark.parametrize("path", modules(), ids=module_name)
def test_a_module_imports_only_its_layer_and_below(path: Path) -> None:
    name = module_name(path)
    own = LAYERS[name]
    wrong = []
    for imported, line, lazy in first_party(ast.parse(path.read_text(encoding="utf-8"))):
        theirs = layer_of(imported)
        terminal = imported.split(".")[0] in TERMINAL
        if own <= PURE and terminal:
            wrong.append(f"line {line}: {imported} (the terminal, from a pure layer)")
        elif theirs > own and not (lazy and own == 2 and terminal and theirs == 3):
            wrong.append(f"line {line}: {imported} (layer {theirs}, above {name}'s {own})")
    assert not wrong, f"{name} imports above its layer: " + "; ".join(wrong)


def test_the_check_sees_a_wrong_import() -> None:
    tree = ast.parse("def f():\n    from hamstring_cli.interactive import intake\n")
    assert list(first_party(tree)) == [("interactive", 2, True)]
    tree = ast.parse("from hamstring_cli import render, __version__\n")
    assert list(first_party(tree)) == [("render", 1, False), ("hamstring_cli", 1, False)]
