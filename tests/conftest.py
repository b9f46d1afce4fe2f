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
