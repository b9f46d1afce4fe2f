"""``batch --format jsonl``: one JSON record a line, the contract's result plus ``source``.

Standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

from hamstring_cli.errors import escape

if TYPE_CHECKING:
    from hamstring_cli.batch import Record
    from hamstring_cli.model import Questionnaire

#: One encoder for every record (``json.dumps`` with options builds a new one each call).
_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False)

#: The same, for a record whose source holds surrogates (a file name that is not UTF-8): the
#: surrogates are written as JSON escapes (``\udcff``), which read back as the same name.
_JSON_ASCII = json.JSONEncoder(ensure_ascii=True)


def record_writer(stream: IO[str], questionnaire: Questionnaire) -> Callable[[Record], None]:
    """Write each record as one line of JSON (:meth:`~hamstring_cli.batch.Record.to_dict`)."""

    def write(record: Record) -> None:
        encoder = _JSON if escape(record.source) == record.source else _JSON_ASCII
        stream.write(encoder.encode(record.to_dict()) + "\n")

    return write
