"""The everyday loop, ``pytest -m "not slow"``, leaves out only tests that are marked slow.

Under that mark expression conftest.py does not even import the modules listed in
``SLOW_MODULES``: each of them must therefore be slow as a whole (a module-level mark), or a
fast test would silently drop out of the quick loop.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import SLOW_MODULES, SLOW_WITH

HERE = Path(__file__).resolve().parent


def module_marks(path: Path) -> set[str]:
    """The names of the marks a module's ``pytestmark`` applies to all its tests."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            return {
                n.attr
                for n in ast.walk(node.value)
                if isinstance(n, ast.Attribute)
                and isinstance(n.value, ast.Attribute)
                and n.value.attr == "mark"
            }
    return set()


@pytest.mark.parametrize("name", sorted(SLOW_MODULES))
def test_a_module_left_out_of_the_quick_loop_is_slow_as_a_whole(name: str) -> None:
    path = HERE / name
    assert path.exists(), f"{name} is listed in SLOW_MODULES but does not exist"
    assert module_marks(path) & {"slow", *SLOW_WITH}, f"{name} has no module-level slow mark"


def test_slow_is_a_registered_marker(pytestconfig: pytest.Config) -> None:
    assert any(line.startswith("slow:") for line in pytestconfig.getini("markers"))
