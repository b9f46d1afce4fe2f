"""``batch --format csv``: a header, then one row a record (error rows leave the result empty).

Standard library only. A cell that a spreadsheet would read as a formula (it starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return: a file named ``=HYPERLINK(...).yaml``, say) is
written with a ``'`` before it, as spreadsheet-safe CSV writers do (OWASP, "CSV Injection"):
the spreadsheet shows it as text, and the quote says it was added.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

from hamstring_cli.errors import escape

if TYPE_CHECKING:
    from hamstring_cli.model import Questionnaire
    from hamstring_cli.render.formats import Record

__all__ = ["FORMULA_STARTS", "cell", "record_writer", "row"]

#: The columns, in order.
COLUMNS = (
    "source",
    "leading",
    "confidence",
    "level",
    "imaging_modality",
    "imaging_urgency",
    "red_flags",
    "error",
)


#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(text: str) -> str:
    """A cell as a spreadsheet shows it as text: a formula's first character is quoted."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def row(record: Record) -> list[str]:
    """The CSV row of a record, in :data:`COLUMNS` order, every cell safe for a spreadsheet."""
    return [cell(text) for text in _row(record)]


def _row(record: Record) -> list[str]:
    # A file name that is not UTF-8 holds surrogates: written as their escapes.
    source = escape(record.source)
    if record.result is None:
        first = record.errors[0]
        return [source, "", "", "", "", "", "", f"{first.code} {first.message}"]
    r = record.result
    triage, imaging = r["triage"], r["imaging"]
    flags = r["red_flags"]
    assert isinstance(triage, dict) and isinstance(imaging, dict) and isinstance(flags, list)
    return [
        source,
        str(r["leading"]),
        str(r["confidence"]),
        str(triage["level"]),
        imaging["modality"] or "",
        imaging["urgency"] or "",
        ";".join(str(f["id"]) for f in flags),
        "",
    ]


def record_writer(stream: IO[str], questionnaire: Questionnaire) -> Callable[[Record], None]:
    """Write the header row now; return a function that writes one record's row."""
    out = csv.writer(stream, lineterminator="\n")
    out.writerow(COLUMNS)

    def write(record: Record) -> None:
        out.writerow(row(record))

    return write
