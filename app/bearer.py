"""``Authorization: Bearer <token>`` checks of the app's machine-to-machine routes."""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from starlette.requests import Request


def bearer_matches(request: Request, tokens: Iterable[str]) -> bool:
    """Whether the request carries ``Bearer <token>`` for one of ``tokens`` (each compared
    in constant time, all of them compared)."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return False
    given_bytes = given.strip().encode("utf-8")
    matches = [hmac.compare_digest(given_bytes, token.encode("utf-8")) for token in tokens]
    return any(matches)
