"""Keep every test away from the user's own cache and saved intakes."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def private_folders(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point the XDG cache and state folders into the test run's own temporary folder.

    Tests that need a folder of their own set these again; subprocesses inherit them.
    """
    base: Path = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "xdg-cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "xdg-state"))


#: Markers whose tests are slow too: a pseudo-terminal or a browser is started for each.
SLOW_WITH = ("pty", "browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the pseudo-terminal and browser tests ``slow``, so ``-m "not slow"`` leaves them.

    The everyday loop is ``pytest -m "not slow"``; plain ``pytest`` (and CI) runs everything.
    """
    for item in items:
        if any(item.get_closest_marker(name) for name in SLOW_WITH):
            item.add_marker(pytest.mark.slow)


#: Modules whose every test is slow: the quick loop does not even import them.
SLOW_MODULES = frozenset(
    {
        "test_exhaustive.py",
        "test_fhir.py",
        "test_fhir_browser.py",
        "test_fhir_questionnaires.py",
        "test_fuzz.py",
        "test_hostile.py",
        "test_practice_pty.py",
        "test_properties.py",
        "test_pty.py",
        "test_pty_questionnaires.py",
    }
)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Under ``-m "not slow"``, skip importing the modules that hold only slow tests."""
    if config.getoption("markexpr", "").replace("'", '"') == "not slow":
        return collection_path.name in SLOW_MODULES or None
    return None
