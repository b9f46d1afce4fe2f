"""The map of the package: every module's layer and what it holds, declared once.

Each module imports only from its own layer and the layers below it, and no import, of any
kind, makes a circle. ``tests/test_layers.py`` holds every import of the package to
:data:`LAYERS`, and the layer list of ``docs/design.md`` is generated from it:
``python -m hamstring_cli.layers --write docs/design.md`` (a test keeps it fresh). Nothing at
run time imports this module. Standard library only.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = [
    "BEGIN",
    "END",
    "LAYERS",
    "LAYER_NAMES",
    "MODULES",
    "PURE",
    "TERMINAL",
    "layer_list",
    "main",
    "module_file",
    "rewrite",
]

#: The layers, lowest first.
LAYER_NAMES: dict[int, str] = {
    0: "data",
    1: "reading and reasoning",
    2: "runs and files",
    3: "command line and terminal",
}

#: Each module (dotted, under ``hamstring_cli``; ``hamstring_cli`` is ``__init__``): its layer
#: and what it holds, as the map in ``docs/design.md`` says it.
MODULES: dict[str, tuple[int, str]] = {
    "hamstring_cli": (0, "the version"),
    "errors": (0, "diagnostics, their catalogue and the exceptions that carry them"),
    "model": (0, "the records of a questionnaire and the conditions they evaluate"),
    "question_types": (0, "the question types, declared once in the `TYPES` table"),
    "sourcemap": (0, "places (`file:line:column`) by data path"),
    "format_fields": (
        0,
        "the words of the format declaration: kinds, id patterns, fields",
    ),
    "format_spec": (0, "the questionnaire format, declared once"),
    "digest": (0, "SHA-256 without OpenSSL's start-up cost"),
    "answer_set": (0, "the answers read, with where each was given (both answer readers)"),
    "layers": (0, "this map"),
    "json_doc": (1, "JSON → plain data, fast or with a source map"),
    "safe_yaml": (1, "YAML → plain data + source map; the only PyYAML import"),
    "field_reader": (1, "each scalar read and checked by its declared kind"),
    "condition_reader": (1, "each form of condition read into the model's records"),
    "record_reader": (1, "a record read field by field from the format table and built"),
    "loader": (1, "plain data → model: the format parser"),
    "schema": (1, "the JSON Schema of the format"),
    "format_doc": (1, "the key tables of docs/format.md"),
    "checks": (1, "whole-questionnaire checks (targets, cycles, references, rules)"),
    "paths": (1, "the paths through a questionnaire, and the answers that tell them apart"),
    "graph": (1, "the question tree as a picture (Mermaid or Graphviz)"),
    "engine": (1, "sessions and walks of the tree"),
    "compiled": (
        1,
        "rules compiled once a questionnaire, with the questions each reads",
    ),
    "scoring": (1, "the result and its decision"),
    "files": (1, "safe reading and safe (atomic, private) writing of files"),
    "resources": (1, "the bundled questionnaires, and how a name finds one"),
    "exits": (1, "exit statuses and the funnel that prints errors"),
    "fhir": (1, "FHIR R4 as plain data: the shared URLs, systems and words"),
    "fhir.enable": (1, "FHIR `enableWhen` from the routing"),
    "fhir.questionnaire": (1, "the FHIR Questionnaire"),
    "fhir.bundle": (1, "the FHIR Bundle of a result"),
    "runner": (2, "one `triage` run: answers in, report out"),
    "render.formats": (2, "the output-format registry and the batch `Record` it writes"),
    "render.json": (2, "the JSON report"),
    "render.jsonl": (2, "JSON Lines records"),
    "render.csv": (2, "CSV records"),
    "render.fhir": (2, "FHIR reports and records"),
    "workers": (1, "a long batch's inputs in worker processes, results in order"),
    "batch": (2, "many answer files in, one record each out"),
    "answers": (2, "answer files: read and check"),
    "sessions": (2, "saved intakes (session files)"),
    "report": (2, "print or write a result in a `triage` format"),
    "cache": (2, "checked questionnaires cached; the one loading entry (`load_questionnaire`)"),
    "cases": (2, "teaching cases: read and check"),
    "practice": (2, "grading and feedback of practice"),
    "explain": (2, "why this result, and what one answer would change"),
    "clinical_doc": (2, "docs/clinical-logic*.md from a questionnaire"),
    "safety_case": (2, "the safety case from the hazard log"),
    "fhir.response": (2, "a FHIR QuestionnaireResponse read as answers"),
    "cli": (3, "the typer command line"),
    "fast": (3, "the scripted fast lane (no typer)"),
    "__main__": (3, "`python -m hamstring_cli`"),
    "interactive": (3, "the interactive intake: its entry and loop (review, change, finish)"),
    "intake": (3, "the intake's parts"),
    "intake.asks": (3, "each prompt described as plain data, the typed prompt table, menus"),
    "intake.plain": (3, "the --plain reader: numbered lines, one at a time"),
    "intake.screen": (3, "the screen (questionary, prompt_toolkit): prompts, boxes, pager"),
    "intake.signals": (3, "SIGTERM and SIGHUP during an intake"),
    "practice_session": (3, "practice in a terminal"),
    "render": (3, "the output formats' package, and the progress bar of `batch`"),
    "render.text": (3, "the text summary (rich)"),
    "render.markdown": (3, "the Markdown report"),
    "render.decision": (3, "the decision as one block of entries, drawn alike by every output"),
    "render.words": (3, "words for what a person reads: red flags, timeframes, studies"),
    "doc_examples": (3, "the examples in README.md and docs/fhir.md"),
}

#: The layer of each module.
LAYERS: dict[str, int] = {name: layer for name, (layer, _) in MODULES.items()}
#: The terminal and the command line: never imported by the pure layers, not even lazily.
TERMINAL = ("cli", "fast", "__main__", "interactive", "intake", "practice_session", "render")
#: The highest pure layer.
PURE = 1

BEGIN = "<!-- layers: generated from hamstring_cli/layers.py -->"
END = "<!-- end of layers -->"


def layer_list() -> str:
    """The layer list of ``docs/design.md``: a table, the highest layer first."""
    lines = ["| Layer | Module | What it holds |", "|---|---|---|"]
    for layer in sorted(LAYER_NAMES, reverse=True):
        names = sorted((n for n, (at, _) in MODULES.items() if at == layer), key=module_file)
        for index, name in enumerate(names):
            heading = f"{layer} {LAYER_NAMES[layer]}" if index == 0 else ""
            lines.append(f"| {heading} | `{module_file(name)}` | {MODULES[name][1]} |")
    render = MODULES["render"][0]
    lines += [
        "",
        "A module inside a package (`render/`, `fhir/`) that the list does not name takes its",
        f"package's layer: a new output format's module is layer {render}, and needs no line here.",
    ]
    return "\n".join(lines) + "\n"


def module_file(name: str) -> str:
    """The file of a module, under ``hamstring_cli/`` (``render/formats.py``)."""
    if name == "hamstring_cli":
        return "__init__.py"
    if name in ("fhir", "render"):
        return f"{name}/__init__.py"
    return name.replace(".", "/") + ".py"


def rewrite(text: str) -> str:
    """``text`` (docs/design.md) with the list between its markers made from :data:`MODULES`.

    Raises:
        ValueError: the markers are missing.
    """
    start = text.index(BEGIN) + len(BEGIN)
    end = text.index(END, start)
    return text[:start] + "\n" + layer_list() + text[end:]


def main(argv: list[str] | None = None) -> int:
    """``--write FILE`` rewrites the list in FILE; no argument prints it."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        sys.stdout.write(layer_list())
        return 0
    if len(args) != 2 or args[0] != "--write":
        sys.stderr.write("usage: python -m hamstring_cli.layers [--write docs/design.md]\n")
        return 2
    path = Path(args[1])
    path.write_text(rewrite(path.read_text("utf-8")), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
