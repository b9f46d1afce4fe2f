"""Where the bundled questionnaires live, and how a name on the command line finds one.

Standard library only. A wheel ships the top-level ``questionnaires/`` folder as
``hamstring_cli/questionnaires/`` (hatch ``force-include``); a source checkout or an editable
install reads ``<repo>/questionnaires/``. A bundled questionnaire's id is its file name with
``_`` read as ``-`` (``proximal_hamstring.yaml`` is ``proximal-hamstring``); a test keeps each
file's ``id:`` equal to that, so naming one never needs the file to be parsed.
"""

from __future__ import annotations

import os
from pathlib import Path

from hamstring_cli.errors import Code, Place, QuestionnaireError, diagnostic, did_you_mean

#: The questionnaire a run uses when none is named.
DEFAULT_QUESTIONNAIRE = "proximal-hamstring"

_SUFFIXES = (".yaml", ".yml")


def bundled_dir() -> Path:
    """The folder that holds the bundled questionnaires (inside the wheel, or the checkout's)."""
    package = Path(__file__).resolve().parent
    inside = package / "questionnaires"
    if inside.is_dir():
        return inside
    return package.parent / "questionnaires"


def bundled_id(path: Path) -> str:
    """The id a bundled questionnaire file answers to: its stem, ``_`` read as ``-``."""
    return path.stem.replace("_", "-")


def bundled_questionnaires() -> list[Path]:
    """The bundled questionnaire files, sorted by name (empty when the folder is missing)."""
    folder = bundled_dir()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in _SUFFIXES and p.is_file())


def resolve_questionnaire(name_or_path: str | os.PathLike[str] | None = None) -> Path:
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
        return Path(name_or_path)
    name = name_or_path
    as_path = Path(name)
    looks_like_path = os.sep in name or "/" in name or as_path.suffix in (*_SUFFIXES, ".json")
    if looks_like_path or as_path.is_file():
        return as_path
    bundled = {bundled_id(p): p for p in bundled_questionnaires()}
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
