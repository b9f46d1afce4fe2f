"""``--format fhir``: the result as an R4 Bundle; in ``batch``, one Bundle a line (NDJSON).

The Bundle itself is built by :mod:`hamstring_cli.fhir.bundle`; this module plugs it into the
output-format registry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, TYPE_CHECKING

from hamstring_cli.errors import escape_json
from hamstring_cli.fhir.bundle import bundle_json, ndjson_line

if TYPE_CHECKING:
    from hamstring_cli.model import Questionnaire
    from hamstring_cli.render.formats import Record
    from hamstring_cli.scoring import Result

__all__ = ["record_writer", "render"]


def render(result: Result) -> str:
    """The result as one FHIR Bundle (JSON)."""
    return escape_json(
        bundle_json(result.questionnaire, result.to_dict(), status=result.response_status)
    )


def record_writer(stream: IO[str], questionnaire: Questionnaire) -> Callable[[Record], None]:
    """Write each batch record as one Bundle a line (an error record as an OperationOutcome)."""

    def write(record: Record) -> None:
        line = ndjson_line(
            questionnaire,
            record.source,
            record.result,
            record.errors,
            status=record.response_status,
        )
        stream.write(escape_json(line))

    return write
