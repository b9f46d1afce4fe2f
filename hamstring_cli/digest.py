"""SHA-256 without OpenSSL's start-up cost.

``hashlib`` loads OpenSSL's ``_hashlib`` first (about 2.5 ms of every scripted run) even for a
digest that CPython builds in. The built-in module is the same SHA-256; ``hashlib`` is the
fallback where a build leaves it out. Standard library only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

__all__ = ["sha256"]


class Hash(Protocol):
    """The part of a hash object this package uses."""

    def update(self, data: bytes, /) -> None:
        """Feed more bytes."""

    def hexdigest(self) -> str:
        """The digest so far, in hex."""


def _builtin() -> Callable[..., Hash]:
    try:  # Python 3.12 and later
        from _sha2 import sha256 as found  # type: ignore[import-not-found]
    except ImportError:
        try:  # Python 3.10 and 3.11
            from _sha256 import sha256 as found  # type: ignore[import-not-found]
        except ImportError:
            from hashlib import sha256 as found
    return found  # type: ignore[no-any-return]


#: ``sha256(data=b"")``: a new SHA-256 hash object.
sha256: Callable[..., Hash] = _builtin()
