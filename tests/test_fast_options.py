"""The fast lane's option tables are typer's parameters, spelled without typer.

``fast.py`` reads plain ``triage`` and ``batch`` spellings without importing typer. These tests
compare its :class:`~hamstring_cli.fast.Spec` tables with the parameters typer builds for the
same commands: every option name and short flag, which options are flags, which take paths,
the choices of each, the positional argument, and that each keyword the fast lane fills is one
the command function takes. A new option, a renamed flag or a new choice on either side fails
here, in-process and without timing anything.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
import typer.main

from hamstring_cli.batch import batch_command
from hamstring_cli.cli import app
from hamstring_cli.fast import BATCH, TRIAGE, Spec, parse
from hamstring_cli.resources import DEFAULT_QUESTIONNAIRE
from hamstring_cli.runner import run_triage

#: The typer parameter whose command keyword has another name (``format`` shadows a builtin).
KEYWORD = {"format": "fmt"}

COMMANDS: list[tuple[str, Spec, Callable[..., int]]] = [
    ("triage", TRIAGE, run_triage),
    ("batch", BATCH, batch_command),
]


def typer_params(command: str) -> list[Any]:
    """The click parameters typer builds for ``command``."""
    group: Any = typer.main.get_command(app)
    return list(group.commands[command].params)


def keyword(param: Any) -> str:
    """The keyword of the command function that ``param`` fills."""
    name = str(param.name)
    return KEYWORD.get(name, name)


@pytest.mark.parametrize(("command", "spec", "function"), COMMANDS, ids=["triage", "batch"])
def test_the_option_names_and_flags_are_typers(
    command: str, spec: Spec, function: Callable[..., int]
) -> None:
    valued: dict[str, str] = {}
    flags: dict[str, str] = {}
    for param in typer_params(command):
        if param.param_type_name != "option":
            continue
        table = flags if param.is_flag else valued
        for spelling in (*param.opts, *param.secondary_opts):
            table[spelling] = keyword(param)
    assert dict(spec.valued) == valued
    assert dict(spec.flags) == flags


@pytest.mark.parametrize(("command", "spec", "function"), COMMANDS, ids=["triage", "batch"])
def test_the_choices_paths_and_positional_are_typers(
    command: str, spec: Spec, function: Callable[..., int]
) -> None:
    choices: dict[str, tuple[str, ...]] = {}
    paths: set[str] = set()
    positional = None
    for param in typer_params(command):
        kind = param.type
        if hasattr(kind, "choices"):
            choices[keyword(param)] = tuple(kind.choices)
        if kind.name == "path" and param.param_type_name == "option":
            paths.add(keyword(param))
        if param.param_type_name == "argument":
            positional = keyword(param)
    assert dict(spec.choices) == choices
    assert set(spec.paths) == paths
    assert spec.positional == positional


@pytest.mark.parametrize(("command", "spec", "function"), COMMANDS, ids=["triage", "batch"])
def test_every_keyword_the_fast_lane_fills_is_one_the_command_takes(
    command: str, spec: Spec, function: Callable[..., int]
) -> None:
    filled = {*spec.valued.values(), *spec.flags.values(), "questionnaire"}
    if spec.positional:
        filled.add(spec.positional)
    assert filled <= set(inspect.signature(function).parameters)
    # The default the fast lane fills in is typer's default.
    defaults = {keyword(p): p.default for p in typer_params(command)}
    assert defaults["questionnaire"] == DEFAULT_QUESTIONNAIRE
    given = parse(spec, ["-"] if spec.positional else [])
    assert given is not None and given["questionnaire"] == defaults["questionnaire"]


@pytest.mark.parametrize(("command", "spec", "function"), COMMANDS, ids=["triage", "batch"])
def test_every_choice_is_taken_and_anything_else_left_to_typer(
    command: str, spec: Spec, function: Callable[..., int]
) -> None:
    base = ["-"] if spec.positional else []
    for key, allowed in spec.choices.items():
        option = next(s for s, k in spec.valued.items() if k == key and s.startswith("--"))
        for value in allowed:
            given = parse(spec, [*base, option, value])
            assert given is not None and given[key] == value
        assert parse(spec, [*base, option, "no-such-choice"]) is None


@pytest.mark.parametrize(("command", "spec", "function"), COMMANDS, ids=["triage", "batch"])
def test_the_whole_number_options_are_typers(
    command: str, spec: Spec, function: Callable[..., int]
) -> None:
    counts = {
        keyword(p)
        for p in typer_params(command)
        if p.param_type_name == "option" and p.type.name in ("integer", "int range")
    }
    assert set(spec.counts) == counts
    base = ["-"] if spec.positional else []
    for key in spec.counts:
        option = next(s for s, k in spec.valued.items() if k == key and s.startswith("--"))
        given = parse(spec, [*base, option, "3"])
        assert given is not None and given[key] == 3
        # What typer refuses (below its minimum of 1, not a whole number) is left to it.
        for value in ("0", "-2", "two", "1.5", "٣"):
            assert parse(spec, [*base, option, value]) is None
