"""Request-size cap and per-sender rate limits."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from app.texts import text


class RateLimiter:
    """Token bucket per key, in process memory, bounded in the number of keys it remembers.

    Args:
        rate_per_min: tokens added per minute.
        burst: bucket size (messages allowed at once).
        max_keys: least recently seen keys beyond this are forgotten.
    """

    def __init__(self, rate_per_min: float, burst: int, max_keys: int = 100_000) -> None:
        if rate_per_min <= 0 or burst < 1:
            raise ValueError("rate_per_min must be positive and burst at least 1")
        self.rate = rate_per_min / 60.0
        self.burst = float(burst)
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Take one token for ``key``; False when the bucket is empty."""
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return allowed


def body_size_limit(
    max_bytes: int,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """HTTP middleware refusing bodies larger than ``max_bytes`` with 413, before reading them."""

    async def middleware(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        length = request.headers.get("content-length")
        if length is not None:
            try:
                too_big = int(length) > max_bytes
            except ValueError:
                return JSONResponse({"detail": text("too_large")}, status_code=400)
            if too_big:
                return JSONResponse({"detail": text("too_large")}, status_code=413)
        return await call_next(request)

    return middleware
