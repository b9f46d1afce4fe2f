"""Keep every test away from the user's own cache and saved intakes; mark the slow tests; and
spread the whole suite and the quick loop over the cores when pytest-xdist is installed (the
test extra has it)."""

from __future__ import annotations

import os
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

    Where ``PYTHONDONTWRITEBYTECODE`` is set, the commands the tests start keep their bytecode
    in the run's temporary folder instead (``PYTHONPYCACHEPREFIX``): an editable checkout would
    otherwise be compiled from source by every ``hamstring`` a test starts (an installed one has
    its bytecode), and nothing is written beside the sources all the same.
    """
    base: Path = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "xdg-cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "xdg-state"))
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", str(base / "xdg-documents"))
    if os.environ.get("PYTHONDONTWRITEBYTECODE") and not os.environ.get("PYTHONPYCACHEPREFIX"):
        monkeypatch.delenv("PYTHONDONTWRITEBYTECODE")
        monkeypatch.setenv("PYTHONPYCACHEPREFIX", str(base / "bytecode"))


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
    """Spread plain ``pytest`` and the quick loop over the cores when pytest-xdist is installed.

    - The quick loop (``pytest -m "not slow"``): one worker a core (``-n auto``) with
      ``--dist worksteal``; two workers each collecting the suite still finish well before one
      process does (measured on 2 cores, see the README).
    - The whole suite (plain ``pytest``, with ``-x`` or ``-m slow`` say): one worker more than
      there are cores, and ``--dist loadgroup``. The pseudo-terminal tests are one group
      (:data:`PTY_GROUP`), so they run one at a time on one worker, as on a quiet machine, and
      that worker is given them first; the extra worker takes up the time they spend waiting
      for the command's output.
    - ``-k``, a file or test named on the command line, ``-s``, ``--pdb`` and
      ``--collect-only`` run in one process: a small selection is over before workers start.

    ``-n N`` chooses for itself (``-n 0``: one process), as does ``--dist``; without
    pytest-xdist (or with ``-p no:xdist``) everything runs in one process. ``CI=true`` changes
    nothing here. (First, so that pytest-xdist reads the options as if they had been typed.)
    """
    option = config.option
    if not (
        config.pluginmanager.hasplugin("xdist")
        and not hasattr(config, "workerinput")
        and config.args_source is pytest.Config.ArgsSource.TESTPATHS
        and option.numprocesses is None
        and not (option.tx or option.usepdb or option.collectonly or option.capture == "no")
        and not option.keyword
    ):
        return
    cores = int(config.hook.pytest_xdist_auto_num_workers(config=config))
    if quick_loop(config):
        option.numprocesses = cores
        chosen = "worksteal"
    else:
        option.numprocesses = cores + 1
        chosen = "loadgroup"
    if option.dist == "no" and not option.distload:
        option.dist = chosen


def quick_loop(config: pytest.Config) -> bool:
    """Whether this run is the everyday loop, ``pytest -m "not slow"``."""
    return bool(config.getoption("markexpr", "").replace("'", '"') == "not slow")


#: Markers whose tests are slow too: a pseudo-terminal or a browser is started for each.
SLOW_WITH = ("pty", "browser")

#: The ``xdist_group`` of the pseudo-terminal tests: under ``--dist loadgroup`` one worker runs
#: them one after another (each mostly waits for a screen; several at once on a loaded machine
#: would each wait longer).
PTY_GROUP = "pty"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the pseudo-terminal and browser tests ``slow``, so ``-m "not slow"`` leaves them,
    and put the pseudo-terminal tests in :data:`PTY_GROUP`.

    The everyday loop is ``pytest -m "not slow"``; plain ``pytest`` (and CI) runs everything.
    On a pytest-xdist worker the slow tests come first (the order is the same on every worker),
    so the quick ones are left to even out the end of the run instead of a long test starting
    last.
    """
    grouped = config.pluginmanager.hasplugin("xdist")  # which registers the mark
    for item in items:
        if any(item.get_closest_marker(name) for name in SLOW_WITH):
            item.add_marker(pytest.mark.slow)
        if grouped and item.get_closest_marker("pty"):
            item.add_marker(pytest.mark.xdist_group(PTY_GROUP))
    if hasattr(config, "workerinput"):
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)


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
