"""Where the bundled questionnaires live, and how a name on the command line finds one.

Standard library only. A wheel ships the top-level ``questionnaires/`` folder as
``hamstring_cli/questionnaires/`` (hatch ``force-include``); a source checkout or an editable
install reads ``<repo>/questionnaires/``. A bundled questionnaire's id is its file name with
``_`` read as ``-`` (``proximal_hamstring.yaml`` is ``proximal-hamstring``); a test keeps each
file's ``id:`` equal to that, so naming one never needs the file to be parsed.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from hamstring_cli.errors import Code, Place, QuestionnaireError, diagnostic, did_you_mean

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "DEFAULT_QUESTIONNAIRE",
    "bundled_dir",
    "bundled_id",
    "bundled_questionnaires",
    "questionnaire_file",
    "resolve_questionnaire",
]

#: The questionnaire a run uses when none is named.
DEFAULT_QUESTIONNAIRE = "proximal-hamstring"

_SUFFIXES = (".yaml", ".yml")

# The lookups a run makes work on plain strings (os.path): a scripted run never imports
# pathlib, which costs about 4 ms with the urllib.parse and ipaddress it brings. The functions
# that return Path objects import pathlib when they are called.


def _bundled_folder() -> str:
    package = os.path.dirname(os.path.realpath(__file__))
    inside = os.path.join(package, "questionnaires")
    if os.path.isdir(inside):
        return inside
    return os.path.join(os.path.dirname(package), "questionnaires")


def _bundled_files() -> list[str]:
    folder = _bundled_folder()
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    paths = (os.path.join(folder, name) for name in names)
    return [p for p in paths if os.path.splitext(p)[1] in _SUFFIXES and os.path.isfile(p)]


def _id_of(path: str | os.PathLike[str]) -> str:
    stem = os.path.splitext(os.path.basename(os.fspath(path)))[0]
    return stem.replace("_", "-")


def bundled_dir() -> Path:
    """The folder that holds the bundled questionnaires (inside the wheel, or the checkout's)."""
    from pathlib import Path

    return Path(_bundled_folder())


def bundled_id(path: str | os.PathLike[str]) -> str:
    """The id a bundled questionnaire file answers to: its stem, ``_`` read as ``-``."""
    return _id_of(path)


def bundled_questionnaires() -> list[Path]:
    """The bundled questionnaire files, sorted by name (empty when the folder is missing)."""
    from pathlib import Path

    return [Path(p) for p in _bundled_files()]


def resolve_questionnaire(name_or_path: str | os.PathLike[str] | None = None) -> Path:
    """Turn a path or the id of a bundled questionnaire into a file path.

    As :func:`questionnaire_file`, as a :class:`~pathlib.Path`.

    Raises:
        QuestionnaireError: as :func:`questionnaire_file`.
    """
    from pathlib import Path

    return Path(questionnaire_file(name_or_path))


def questionnaire_file(name_or_path: str | os.PathLike[str] | None = None) -> str:
    """Turn a path or the id of a bundled questionnaire into a file path.

    A name that is an existing file, or that looks like a path (it has a folder separator or
    a ``.yaml``/``.yml``/``.json`` suffix), is taken as a path as it is, so that a missing
    file is reported by the loader with its name. Anything else is looked up among the bundled
    ids (``proximal-hamstring``; ``proximal_hamstring`` is accepted too).

    Args:
        name_or_path: a path, a bundled id, or ``None`` for the default questionnaire.

    Returns:
        The path of the questionnaire file.

    Raises:
        QuestionnaireError: the name is neither a file nor a bundled id (``E017``, listing the
            bundled ids).
    """
    if name_or_path is None:
        name_or_path = DEFAULT_QUESTIONNAIRE
    if isinstance(name_or_path, os.PathLike):
        return os.fspath(name_or_path)
    name = name_or_path
    suffix = os.path.splitext(name)[1]
    looks_like_path = os.sep in name or "/" in name or suffix in (*_SUFFIXES, ".json")
    if looks_like_path or os.path.isfile(name):
        return name
    bundled = {_id_of(p): p for p in _bundled_files()}
    wanted = name.replace("_", "-")
    if wanted in bundled:
        return bundled[wanted]
    ids = sorted(bundled)
    raise QuestionnaireError(
        [
            diagnostic(
                Code.UNKNOWN_QUESTIONNAIRE,
                Place(name),
                allowed=ids,
                name=name,
                hint=did_you_mean(wanted, ids),
            )
        ]
    )
