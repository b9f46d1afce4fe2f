"""Session files: an intake saved as it goes, so that an interrupted intake is never lost.

Standard library only: no terminal, no prompt library and no PyYAML (only the loader
reads YAML). A session file is an answer file (``docs/contract.md``): the answers on the path,
in the order asked, then any answers held off the path, written as a small subset of YAML in
which every string is a JSON string (JSON strings are valid YAML, and quoting keeps ``yes``
and ``no`` from turning into booleans). ``--resume FILE`` and ``--answers FILE`` read it back
through the answer-file reader, so a questionnaire changed since the file was written gives an
error with places, never a silently different intake.

Files hold patient answers: they are written atomically and private to the user (mode 0600,
by :func:`hamstring_cli.files.write_private`), in folders private to the user (mode 0700).
One intake owns its file for its whole life (an exclusive ``flock`` on ``.NAME.lock`` beside
it), and a new intake never starts over a file that holds a saved one.

How long a file stays (the README says the same): an intake is never lost by finishing it.

- The file is removed when a complete intake ends with a report that holds its answers (saved
  from the final menu, or written by ``--output``), or when the user chooses to discard it
  ("Finish without saving a report?" offers keep, the default, or discard).
- Otherwise it stays until the user discards it (deletes the file): an intake interrupted
  (Ctrl-C, SIGTERM, SIGHUP, the input ending), stopped for an emergency, finished with "keep",
  or whose report could not be written. Each of these says where the file is and the command
  that resumes it. Nothing removes it by age.
- Piped answers (standard input not a terminal) have nobody to ask: the printed result is the
  record, and the file is removed once it is written, as with ``--output``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import os
import re
import shlex
import stat
from collections.abc import Mapping
from pathlib import Path

from hamstring_cli.errors import HamstringError, InvalidAnswer, escape
from hamstring_cli.files import OutputError, make_private_dirs, write_private
from hamstring_cli.model import Answer, Questionnaire
from hamstring_cli.question_types import answer_json
from hamstring_cli.resources import DEFAULT_QUESTIONNAIRE, bundled_id, bundled_questionnaires

__all__ = [
    "MARK",
    "SHOWN",
    "IntakeStopped",
    "SessionFile",
    "SessionFileError",
    "default_report_path",
    "documents_dir",
    "dump_answers",
    "is_session_file",
    "lock_path",
    "new_session_path",
    "read_shown",
    "resume_command",
    "sessions_dir",
]

#: The first words of a session file: a file without them is never overwritten or removed.
MARK = "# hamstring intake session"
#: The comment line that keeps the red flags shown so far (JSON after it).
SHOWN = "# shown: "

_PLAIN_KEY = re.compile(r"[a-z_][a-z0-9_]*")


class SessionFileError(HamstringError):
    """A session file that cannot be used: it cannot be written, or it is some other file."""


#: How a signal that stops an intake is said ("terminated (SIGTERM)").
SIGNAL_WORDS = {1: "hung up (SIGHUP)", 15: "terminated (SIGTERM)"}


class IntakeStopped(HamstringError):
    """The intake stopped before its summary: interrupted (Ctrl-C), its input ended, or a
    signal (SIGTERM, SIGHUP) ended it.

    Carries where the answers were saved and the command that resumes them; the command line
    prints it and exits 130 (interrupted), 128 + the signal's number (a signal) or 1 (input
    ended).
    """

    def __init__(
        self,
        *,
        interrupted: bool,
        saved: Path | None,
        resume: str | None,
        answered: int,
        pending: str | None = None,
        failure: str | None = None,
        saved_count: int | None = None,
        unsaved: str = "",
        signal: int | None = None,
    ) -> None:
        self.interrupted = interrupted
        #: The number of the signal that stopped the intake (SIGTERM, SIGHUP), if one did.
        self.signal = signal
        self.saved = saved
        self.resume = resume
        self.answered = answered
        self.pending = pending
        #: Why the session file could not be written (a full disk, say), when it could not.
        self.failure = failure
        #: How many answers the session file holds, when that differs from ``answered``.
        self.saved_count = saved_count
        #: The answers the file does not hold, as lines of an answer file.
        self.unsaved = unsaved
        super().__init__(self._words())

    def _words(self) -> str:
        why = "interrupted" if self.interrupted else "the input ended"
        if self.signal is not None:
            why = SIGNAL_WORDS.get(self.signal, f"stopped by signal {self.signal}")
        where = f" at '{self.pending}'" if self.pending else ""
        if self.failure is not None:
            return self._failed_words(f"{why}{where}")
        if self.saved is None or self.resume is None:
            return f"{why}{where}; nothing was answered, so there is nothing to resume"
        count = "1 answer is" if self.answered == 1 else f"{self.answered} answers are"
        # The path and the commands each go on a line of their own, to copy whole.
        lines = [
            f"{why}{where}; {count} saved in",
            f"  {self.saved}",
            "resume with:",
            f"  {self.resume}",
        ]
        if not self.interrupted:
            # A closed input is usually a script: the session file is an answer file to complete.
            lines += [
                "or add the missing answers to that file and run:",
                f"  hamstring triage --answers {shlex.quote(str(self.saved))}",
            ]
        return "\n".join(lines)

    def _failed_words(self, stop: str) -> str:
        given = "1 answer was" if self.answered == 1 else f"{self.answered} answers were"
        lines = [f"{stop}; {given} given, but the session file could not be written"]
        lines[0] += f" ({self.failure})"
        if self.saved is not None and self.resume is not None and self.saved_count:
            held = "1 answer" if self.saved_count == 1 else f"{self.saved_count} answers"
            lines += [
                f"the last save holds the first {held}, in",
                f"  {self.saved}",
                "resume with:",
                f"  {self.resume}",
            ]
        else:
            lines[0] += "; nothing was saved"
        if self.unsaved:
            lines += ["the answers not saved, as lines of an answer file:", self.unsaved]
        return "\n".join(lines)


def sessions_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The folder of session files: ``$XDG_STATE_HOME/hamstring/sessions``.

    ``XDG_STATE_HOME`` defaults to ``~/.local/state``; the XDG spec says a relative value is
    invalid and is ignored.
    """
    env = os.environ if environ is None else environ
    base = env.get("XDG_STATE_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "state"
    return root / "hamstring" / "sessions"


def documents_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The user's documents folder: ``XDG_DOCUMENTS_DIR`` (from the environment, or from
    ``$XDG_CONFIG_HOME/user-dirs.dirs`` as xdg-user-dirs writes it), else ``~/Documents``.

    A relative value is ignored, as the XDG spec asks.
    """
    env = os.environ if environ is None else environ
    home = Path.home()
    found = env.get("XDG_DOCUMENTS_DIR", "")
    if not os.path.isabs(found):
        config = env.get("XDG_CONFIG_HOME", "")
        config_dir = Path(config) if os.path.isabs(config) else home / ".config"
        found = _user_dir(config_dir / "user-dirs.dirs", "XDG_DOCUMENTS_DIR", home)
    return Path(found) if os.path.isabs(found) else home / "Documents"


def _user_dir(listing: Path, key: str, home: Path) -> str:
    # Lines of the form XDG_DOCUMENTS_DIR="$HOME/Documents" (a shell fragment, never run).
    try:
        with listing.open(encoding="utf-8") as handle:
            lines = handle.read(64 * 1024).splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    for line in lines:
        name, eq, value = line.strip().partition("=")
        if eq and name == key:
            value = value.strip().strip('"')
            if value.startswith("$HOME"):
                value = str(home) + value[len("$HOME") :]
            return value
    return ""


def reports_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where a report saved from the intake goes by default: ``hamstring`` in the documents
    folder (:func:`documents_dir`), a folder private to the user (0700)."""
    return documents_dir(environ) / "hamstring"


def default_report_path(
    suffix: str, now: _dt.datetime | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """The file name a saved report is offered: a timestamped name in :func:`reports_dir`.

    The folder is made now, private to the user (0700), so that the report can be written
    there as offered. When it cannot be made, the name alone is offered (the working folder).
    """
    name = f"hamstring-report-{(now or _dt.datetime.now()):%Y%m%d-%H%M}{suffix}"
    directory = reports_dir(environ)
    try:
        make_private_dirs(directory)
    except OSError:
        return Path(name)
    if not directory.is_dir():
        return Path(name)
    return directory / name


def new_session_path(directory: Path, now: _dt.datetime | None = None) -> Path:
    """A new, timestamped file name in ``directory`` (``intake-20250314-093012.yaml``)."""
    stamp = (now or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    path = directory / f"intake-{stamp}.yaml"
    count = 2
    # A name another intake has locked (it may not have saved yet) is taken too.
    while path.exists() or lock_path(path).exists():
        path = directory / f"intake-{stamp}-{count}.yaml"
        count += 1
    return path


def resume_command(path: Path, questionnaire: Questionnaire) -> str:
    """The exact command that resumes a session file, shell-quoted.

    The questionnaire is named only when it is not the default one, by its bundled id, or by
    its path when it is not bundled.
    """
    command = ["hamstring", "triage"]
    source = Path(questionnaire.source)
    bundled = {p.resolve(): p for p in bundled_questionnaires()}
    if source.resolve() in bundled:
        name = bundled_id(source)
        if name != DEFAULT_QUESTIONNAIRE:
            command += ["--questionnaire", name]
    elif questionnaire.source != "<memory>":
        command += ["--questionnaire", str(source.resolve())]
    command += ["--resume", str(path)]
    return shlex.join(command)


def _key(question_id: str) -> str:
    return question_id if _PLAIN_KEY.fullmatch(question_id) else json.dumps(question_id)


def _value(answer: Answer) -> str:
    # JSON is YAML's flow style: the one answer-to-JSON conversion writes it, and ensure_ascii's
    # \u escapes are YAML escapes too, whatever the file's encoding.
    return json.dumps(answer_json(answer), allow_nan=False)


def dump_answers(
    questionnaire: Questionnaire,
    on_path: Mapping[str, Answer],
    held: Mapping[str, Answer],
    *,
    path: Path,
    now: _dt.datetime | None = None,
    alerted: Mapping[str, Mapping[str, Answer]] | None = None,
) -> str:
    """The text of a session file: a header saying how to resume, then the answers.

    Args:
        questionnaire: the questionnaire being answered (named in the header).
        on_path: the answers on the path, in the order asked.
        held: answers held off the path (kept in case an earlier answer is changed back).
        path: where the file goes (the header names it in the resume command).
        now: the time written in the header.
        alerted: the red flags shown so far, each with the answers it was shown on, kept in a
            comment (:data:`SHOWN`) so that a resumed intake's summary still says which the
            final answers withdrew; the file stays an answer file.

    Returns:
        YAML text (a mapping, ``{}`` when nothing is answered yet).
    """
    stamp = (now or _dt.datetime.now()).isoformat(timespec="seconds")
    lines = [
        f"{MARK}: {questionnaire.id} {questionnaire.version}, saved {stamp}",
        f"# Resume it:  {resume_command(path, questionnaire)}",
        f"# It is an answer file too: hamstring triage --answers {shlex.quote(str(path))}",
        "# It holds patient answers: it is private (mode 0600) and stays until you delete it",
        "# (or the intake ends with a saved report, or you choose to discard its answers).",
    ]
    if not on_path and not held:
        lines.append("{}")
    lines += [f"{_key(qid)}: {_value(answer)}" for qid, answer in on_path.items()]
    if held:
        lines.append(
            "# Answers off the current path, used again if an earlier answer changes back:"
        )
        lines += [f"{_key(qid)}: {_value(answer)}" for qid, answer in held.items()]
    if alerted:
        shown = {
            flag: {qid: answer_json(answer) for qid, answer in answers.items()}
            for flag, answers in alerted.items()
        }
        lines.append("# The red flags shown so far, with the answers each was shown on:")
        lines.append(SHOWN + json.dumps(shown, allow_nan=False, separators=(",", ":")))
    return "\n".join(lines) + "\n"


def read_shown(text: str, questionnaire: Questionnaire) -> dict[str, dict[str, Answer]]:
    """The red flags a session file says were shown (:func:`dump_answers`), each with its answers.

    Only what this questionnaire could have shown is kept: a flag it has, answers to its
    questions that its questions accept. Anything else (a hand-edited line, another
    questionnaire's flag) is left out, never an error: it only adds to what the summary says.
    """
    flags = {rule.id for rule in questionnaire.outcomes.red_flags}
    for line in text.splitlines():
        if not line.startswith(SHOWN):
            continue
        try:
            data = json.loads(line[len(SHOWN) :])
        except ValueError:
            return {}
        if not isinstance(data, dict):
            return {}
        kept: dict[str, dict[str, Answer]] = {}
        for flag, answers in data.items():
            if flag in flags and isinstance(answers, dict):
                valid = _valid_answers(questionnaire, answers)
                if valid is not None:
                    kept[flag] = valid
        return kept
    return {}


def _valid_answers(
    questionnaire: Questionnaire, raw: Mapping[object, object]
) -> dict[str, Answer] | None:
    answers: dict[str, Answer] = {}
    for qid, value in raw.items():
        question = questionnaire.by_id.get(qid) if isinstance(qid, str) else None
        if question is None:
            return None
        try:
            answers[question.id] = question.validate(value)
        except InvalidAnswer:
            return None
    return answers


def lock_path(path: Path) -> Path:
    """The lock file of a session file: ``.NAME.lock`` beside it.

    The session file itself is replaced at every save (written atomically), so a lock on it
    would be lost at the first save: the lock lives in a file of its own.
    """
    return path.with_name(f".{path.name}.lock")


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
    except OSError:
        text = ""
    return text if text.isdigit() else "unknown"


class SessionLock:
    """An exclusive ``flock`` on a session file's lock file, held for an intake's whole life.

    The lock file holds the holder's process id, so a second intake can name it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = lock_path(path)
        self.fd: int | None = None
        #: The process id of the intake that holds the lock, once acquire has failed.
        self.holder = "unknown"

    def acquire(self) -> bool:
        """Take the lock; False when another process holds it.

        A lock file that cannot be made (a read-only folder) is no lock and no error: the
        session file could not be written there either, and saving says so.
        """
        while True:
            try:
                fd = os.open(
                    self.file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600
                )
            except OSError:
                return True
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.holder = _holder(fd)
                os.close(fd)
                return False
            except OSError:
                os.close(fd)
                return True
            # The holder before may have removed the file between our open and our lock:
            # then this lock is on a file nobody else will see; take the new one.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.file))
            except OSError:
                same = False
            if same:
                try:
                    os.ftruncate(fd, 0)
                    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
                except OSError:
                    # A full disk: the lock holds all the same; another intake refused by it
                    # names the holder "unknown", and saving the session says what failed.
                    pass
                self.fd = fd
                return True
            os.close(fd)

    def release(self) -> None:
        """Let the lock go and remove its file (removed first, while it is still held)."""
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.file)
        os.close(self.fd)
        self.fd = None


def is_session_file(path: Path) -> bool:
    """Whether ``path`` is a regular file that starts with the mark of a session file (so it
    may be replaced).

    Opened without blocking and checked through its descriptor before a byte is read: a FIFO
    would wait for a writer for ever, and a device would never end.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        return os.read(fd, len(MARK)) == MARK.encode("ascii")
    except OSError:
        return False
    finally:
        os.close(fd)


def _not_regular(path: Path) -> str | None:
    """What ``path`` is when it exists and is not a regular file (a link is followed), else None.

    Asked with ``stat`` alone: nothing is opened, so a FIFO never blocks the check.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:  # not there yet (a link to nothing is written through): made when saved
        return None
    if stat.S_ISREG(mode):
        return None
    from hamstring_cli.files import kind_of

    return kind_of(mode)


def unwritable_folder(path: Path) -> str | None:
    """Why the folder ``path`` would be saved in cannot take it, else None.

    Asked before the first question: a session is written atomically (a temporary file beside
    it, then renamed), so its folder must exist, be a folder and be writable. A missing folder
    is refused rather than made, as ``--output`` refuses one: a typing slip must not leave
    patient answers in a folder nobody meant to make. A symbolic link is saved through, so the
    folder of the file it points at is the one asked about.
    """
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    folder = target.parent
    shown = escape(str(folder))
    try:
        mode = os.stat(folder).st_mode
    except FileNotFoundError:
        return f"its folder {shown} does not exist (make it first)"
    except NotADirectoryError:
        return f"part of its folder {shown} is a file, not a folder"
    except OSError as error:
        return f"its folder {shown} cannot be reached ({error.strerror or error})"
    if not stat.S_ISDIR(mode):
        return f"its folder {shown} is a file, not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"its folder {shown} is not writable by you"
    return None


class SessionFile:
    """Where one intake is saved as it goes.

    Use :meth:`open` to choose or check the file; :meth:`save` writes it whole each time.
    """

    def __init__(self, path: Path, questionnaire: Questionnaire) -> None:
        self.path = path
        self.questionnaire = questionnaire
        self._last: str | None = None
        self._lock = SessionLock(path)
        #: The answers the file holds since the last save that succeeded.
        self.saved: dict[str, Answer] = {}
        #: Why the last save failed (``No space left on device``), or None.
        self.failure: str | None = None

    @classmethod
    def open(
        cls,
        questionnaire: Questionnaire,
        path: Path | None = None,
        *,
        resuming: bool = False,
        environ: Mapping[str, str] | None = None,
        now: _dt.datetime | None = None,
    ) -> SessionFile:
        """Choose the session file: ``path``, or a new timestamped one in :func:`sessions_dir`,
        and lock it for the intake's whole life (:meth:`close` lets it go).

        Args:
            questionnaire: the questionnaire being answered.
            path: the session file given (``--session`` or ``--resume``).
            resuming: ``path`` is the session being resumed (it may hold a saved intake).
            environ: the environment (for the sessions folder).
            now: the time for a new file's name.

        Raises:
            SessionFileError: ``path`` exists and is not a session file (an answer file, say,
                which the intake must not overwrite or remove); it holds a saved intake and
                this is not ``--resume``; another intake has it (its process id is named); its
                folder is missing, not a folder or not writable; or the sessions folder cannot
                be made.
        """
        if path is None:
            directory = sessions_dir(environ)
            try:
                make_private_dirs(directory)
            except OSError as error:
                raise SessionFileError(
                    f"cannot make the session folder {directory}: {error.strerror or error}; "
                    "give a session file with --session FILE"
                ) from error
            while True:
                store = cls(new_session_path(directory, now), questionnaire)
                if store._lock.acquire():
                    return store
        path = path.expanduser()
        kind = _not_regular(path)
        if kind is not None:
            raise SessionFileError(
                f"{path} is {kind}, not a regular file; a session is saved to a regular file: "
                "give another --session FILE"
            )
        why = unwritable_folder(path)
        if why is not None:
            raise SessionFileError(
                f"cannot save the session in {escape(str(path))}: {why}; nothing was asked; "
                "give another --session FILE"
            )
        store = cls(path, questionnaire)
        if not store._lock.acquire():
            raise SessionFileError(
                f"{path} is in use by another intake (process {store._lock.holder}); "
                "finish that one first, or give another --session FILE"
            )
        try:
            if path.exists() and not is_session_file(path):
                raise SessionFileError(
                    f"{path} exists and is not a hamstring session file, so it is not "
                    "overwritten; give another --session FILE (an answer file is read with "
                    "--answers)"
                )
            if path.exists() and not resuming:
                raise SessionFileError(
                    f"{path} holds a saved intake, so a new one does not start over it; "
                    f"resume it with:\n  {resume_command(path, questionnaire)}\n"
                    "or give another --session FILE (or remove that one to start again)"
                )
        except SessionFileError:
            store.close()
            raise
        return store

    def shown(self) -> dict[str, dict[str, Answer]]:
        """The red flags the file says were shown before (:func:`read_shown`); none if unread."""
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return {}
        return read_shown(text, self.questionnaire)

    def close(self) -> None:
        """Let the session file's lock go (the intake has ended)."""
        self._lock.release()

    @property
    def resume(self) -> str:
        """The command that resumes this session."""
        return resume_command(self.path, self.questionnaire)

    def save(
        self,
        on_path: Mapping[str, Answer],
        held: Mapping[str, Answer],
        *,
        now: _dt.datetime | None = None,
        alerted: Mapping[str, Mapping[str, Answer]] | None = None,
    ) -> bool:
        """Write the answers (atomically, 0600) if they changed since the last save.

        Returns:
            Whether the file was written.

        Raises:
            SessionFileError: the file cannot be written.
        """
        body = dump_answers(
            self.questionnaire, on_path, held, path=self.path, now=now, alerted=alerted
        )
        # Compare without the header's time stamp: an unchanged intake is not rewritten.
        content = body.split("\n", 1)[1]
        if content == self._last:
            return False
        try:
            write_private(self.path, body.encode("utf-8"), force=True)
        except OutputError as error:
            self.failure = str(error).rpartition(": ")[2] or str(error)
            raise SessionFileError(f"cannot save the session: {error}") from error
        self._last = content
        self.saved = {**on_path, **held}
        self.failure = None
        return True

    def unsaved(self, answers: Mapping[str, Answer]) -> str:
        """The answers the file does not hold, as lines of an answer file ("" if none)."""
        return "\n".join(
            f"{_key(qid)}: {_value(answer)}"
            for qid, answer in answers.items()
            if self.saved.get(qid) != answer
        )

    def remove(self) -> None:
        """Remove the file once the intake is done (only if it is a session file).

        Raises:
            SessionFileError: it cannot be removed (its folder is read-only, say).
        """
        if is_session_file(self.path):
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
            except OSError as error:
                raise SessionFileError(
                    f"cannot remove the session file {escape(str(self.path))}: "
                    f"{error.strerror or error}; delete it yourself, it holds patient answers"
                ) from error
