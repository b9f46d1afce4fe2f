"""``--format json``: the result as the contract's JSON (docs/contract.md).

Standard library only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hamstring_cli.report import to_json

if TYPE_CHECKING:
    from hamstring_cli.scoring import Result

__all__ = ["render"]


def render(result: Result) -> str:
    """The contract's JSON of ``result``, indented by 2, with a final newline."""
    return to_json(result.to_dict())
