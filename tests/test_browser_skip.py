"""The browser test on a machine without what it needs: it skips and names the command that
installs it, except in CI, where it fails, so CI can never skip it silently.

The README's test command must pass on a fresh machine, which has no Chromium, lforms or
playwright-core until ``bash .ci/browser-deps`` installs them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BROWSER = ROOT / "tests" / "test_fhir_browser.py"


def run_browser_test(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    # An empty folder of browser packages: lforms and playwright-core are missing whatever
    # this machine has installed.
    env["HAMSTRING_BROWSER_DEPS"] = str(tmp_path / "empty")
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rsE", str(BROWSER)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_outside_ci_it_skips_with_the_install_command(tmp_path: Path) -> None:
    done = run_browser_test(tmp_path, None)
    assert done.returncode == 0, done.stdout + done.stderr
    # One browser test a bundled questionnaire: every one skips, none passes or fails.
    assert "skipped" in done.stdout
    assert "passed" not in done.stdout and "failed" not in done.stdout
    lines = [x for x in done.stdout.splitlines() if x.startswith("SKIPPED")]
    assert lines
    for line in lines:
        assert "lforms" in line and "playwright-core" in line
        assert line.endswith("install with: bash .ci/browser-deps")


def test_in_ci_it_fails_and_says_what_is_missing(tmp_path: Path) -> None:
    done = run_browser_test(tmp_path, "true")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "skipped" not in done.stdout
    assert "install with: bash .ci/browser-deps" in done.stdout
