"""``batch --format jsonl``: one JSON record a line, the contract's result plus ``source``.

Standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

from hamstring_cli.errors import escape_json

if TYPE_CHECKING:
    from hamstring_cli.model import Questionnaire
    from hamstring_cli.render.formats import Record

__all__ = ["record_writer"]

#: One encoder for every record (``json.dumps`` with options builds a new one each call).
_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False)


def record_writer(stream: IO[str], questionnaire: Questionnaire) -> Callable[[Record], None]:
    """Write each record as one line of JSON (:meth:`~hamstring_cli.render.formats.Record.to_dict`).

    A source whose name is not UTF-8 holds surrogates; they, and whatever a terminal would act
    on (C1 controls, bidirectional overrides), are written as JSON escapes (``\\udcff``), which
    read back as the same name.
    """

    def write(record: Record) -> None:
        stream.write(escape_json(_JSON.encode(record.to_dict())) + "\n")

    return write
