"""Keep every test away from the user's own cache and saved intakes; mark the slow tests; and
spread the whole suite over every core when pytest-xdist is installed (the test extra has it)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from hamstring_cli.model import Questionnaire


@pytest.fixture(autouse=True)
def private_folders(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point the XDG cache, state and documents folders into the test run's own temporary folder.

    Tests that need a folder of their own set these again; subprocesses inherit them.
    """
    base: Path = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "xdg-cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "xdg-state"))
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", str(base / "xdg-documents"))


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of the test's own (a module that wants one for every test names it in
    ``pytestmark = pytest.mark.usefixtures("private_cache")``)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Session files go to a folder of the test's own: the folder they are saved in."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state" / "hamstring" / "sessions"


@pytest.fixture
def mini_path(tmp_path: Path) -> Path:
    """The small intake questionnaire (``helpers.MINI_INTAKE``) in a file of the test's own."""
    from helpers import mini_intake_path

    return mini_intake_path(tmp_path)


@pytest.fixture
def mini(mini_path: Path) -> Questionnaire:
    """The small intake questionnaire, loaded (a module may define its own ``mini``)."""
    from hamstring_cli.cache import load_questionnaire

    return load_questionnaire(mini_path)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Run the whole suite on every core (``-n auto``) when pytest-xdist is installed.

    Only for a long run: the whole suite (plain ``pytest``, with ``-x`` or ``-m slow`` say). The
    quick loop (``-m "not slow"``), ``-k``, a file or test named on the command line, ``-s``,
    ``--pdb`` and ``--collect-only`` run in one process: for the quick loop, each worker's own
    start-up and collection cost more than the second core saves (measured on 2 cores, see the
    README). ``-n N`` chooses for itself (``-n 0``: one process), and without pytest-xdist (or
    with ``-p no:xdist``) everything runs in one process.
    (First, so that pytest-xdist reads the option as if it had been typed.)
    """
    option = config.option
    if (
        config.pluginmanager.hasplugin("xdist")
        and not hasattr(config, "workerinput")
        and config.args_source is pytest.Config.ArgsSource.TESTPATHS
        and option.numprocesses is None
        and not (option.tx or option.usepdb or option.collectonly or option.capture == "no")
        and not (option.keyword or quick_loop(config))
    ):
        option.numprocesses = "auto"


def quick_loop(config: pytest.Config) -> bool:
    """Whether this run is the everyday loop, ``pytest -m "not slow"``."""
    return bool(config.getoption("markexpr", "").replace("'", '"') == "not slow")


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
    if quick_loop(config):
        return collection_path.name in SLOW_MODULES or None
    return None
