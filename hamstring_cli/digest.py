"""SHA-256 without OpenSSL's start-up cost.

``hashlib`` loads OpenSSL's ``_hashlib`` first (about 2.5 ms of every scripted run) even for a
digest that CPython builds in. The built-in module is the same SHA-256; ``hashlib`` is the
fallback where a build leaves it out. :func:`hmac_sha256` is HMAC (RFC 2104) on top of it,
for the same reason: the ``hmac`` module imports ``_hashlib`` too. Standard library only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

__all__ = ["hmac_sha256", "same_digest", "sha256"]


class Hash(Protocol):
    """The part of a hash object this package uses."""

    def update(self, data: bytes, /) -> None:
        """Feed more bytes."""

    def digest(self) -> bytes:
        """The digest so far."""

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


#: SHA-256 works on 64-byte blocks: an HMAC key is padded (or first hashed) to one block.
_BLOCK = 64
_INNER = bytes(byte ^ 0x36 for byte in range(256))
_OUTER = bytes(byte ^ 0x5C for byte in range(256))


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 of ``message`` under ``key`` (RFC 2104): the 32-byte tag, as ``hmac`` gives."""
    if len(key) > _BLOCK:
        key = sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = sha256(key.translate(_INNER))
    inner.update(message)
    outer = sha256(key.translate(_OUTER))
    outer.update(inner.digest())
    return outer.digest()


def same_digest(a: bytes, b: bytes) -> bool:
    """Whether two digests are equal, compared in a time that does not depend on where they
    differ (``hmac.compare_digest``, from ``_operator``, which is loaded anyway)."""
    from _operator import _compare_digest

    return bool(_compare_digest(a, b))
