"""A ``--session`` file that could never be saved is refused before the first question.

A missing folder, a "folder" that is a file, or a folder the user cannot write: the intake
says which and why, names the path, asks nothing and exits non-zero, as for a FIFO or a
folder given as the file. A missing folder is refused, never made, as ``--output`` refuses it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pty_helpers import COMMAND, NEEDS_COMMAND

from hamstring_cli import interactive, sessions
from hamstring_cli.cache import load_questionnaire
from hamstring_cli.sessions import SessionFile, SessionFileError

OTTAWA = "ottawa-ankle"


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` made unwritable for this user (root too: the immutable attribute)."""
    folder.chmod(0o555)
    immutable = False
    try:
        if os.geteuid() == 0:
            chattr = shutil.which("chattr")
            done = (
                subprocess.run([chattr, "+i", str(folder)], capture_output=True, check=False)
                if chattr
                else None
            )
            if done is None or done.returncode != 0:
                pytest.skip("root writes any folder, and chattr +i is not available here")
            immutable = True
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=False)
        folder.chmod(0o755)


@pytest.fixture(params=["missing folder", "parent is a file", "folder not writable"])
def unwritable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A session path that cannot be written, and the words that say why."""
    kind = request.param
    if kind == "missing folder":
        yield tmp_path / "nodir" / "x.yaml", "does not exist"
    elif kind == "parent is a file":
        (tmp_path / "answers.yaml").write_text("age: 30\n")
        yield tmp_path / "answers.yaml" / "x.yaml", "is a file, not a folder"
    else:
        folder = tmp_path / "locked"
        folder.mkdir()
        with read_only(folder):
            yield folder / "x.yaml", "not writable"


def plain_intake(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    args = ["triage", "-q", OTTAWA, "--plain", "--session", str(path)]
    return subprocess.run(
        [sys.executable, "-m", "hamstring_cli", *args],
        input="0\n30\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


def test_the_plain_intake_refuses_it_before_the_first_question(
    unwritable: tuple[Path, str], tmp_path: Path
) -> None:
    path, why = unwritable
    done = plain_intake(path, tmp_path)
    said = done.stdout + done.stderr
    assert done.returncode == 1
    assert "Traceback" not in said
    assert f"cannot save the session in {path}" in done.stderr
    assert why in done.stderr
    assert "Saved in" not in said  # never claimed
    assert "Safety screen" not in said  # nothing asked
    assert not path.parent.is_dir() or not path.exists()
    assert not (tmp_path / "nodir").exists()  # a missing folder is not made


def test_the_full_screen_intake_refuses_it_before_drawing(
    unwritable: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    path, why = unwritable
    questionnaire = load_questionnaire(OTTAWA)
    with pytest.raises(SessionFileError, match=why) as raised:
        interactive.intake(questionnaire, {}, plain=False, session_file=path)
    assert str(path) in str(raised.value)
    captured = capsys.readouterr()
    assert captured.out == captured.err == ""  # nothing drawn, nothing asked
    assert not sessions.lock_path(path).exists()


def test_a_file_in_a_writable_folder_is_still_taken(tmp_path: Path) -> None:
    questionnaire = load_questionnaire(OTTAWA)
    store = SessionFile.open(questionnaire, tmp_path / "x.yaml")
    try:
        assert store.save({"age": 30}, {})
        assert sessions.is_session_file(tmp_path / "x.yaml")
    finally:
        store.close()
    link = tmp_path / "link.yaml"
    link.symlink_to(tmp_path / "sub" / "target.yaml")  # the link's target's folder is asked
    with pytest.raises(SessionFileError, match="does not exist"):
        SessionFile.open(questionnaire, link)


@pytest.mark.pty
@NEEDS_COMMAND
def test_the_full_screen_intake_in_a_terminal_says_why_and_exits(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    path = tmp_path / "nodir" / "x.yaml"
    child = pexpect.spawn(
        COMMAND,
        ["triage", "-q", OTTAWA, "--session", str(path)],
        env={**os.environ, "NO_COLOR": "1", "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"},
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=60,
        dimensions=(24, 80),
    )
    try:
        child.expect("cannot save the session in")
        child.expect(pexpect.EOF)
        child.close()
        said = " ".join(child.before.split())
        assert child.exitstatus == 1
        assert "does not exist" in said
        assert not (tmp_path / "nodir").exists()
    finally:
        child.close(force=True)
