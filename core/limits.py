"""Rate limits, built on the ``limits`` library (moving windows).

Storage comes from a URL: ``memory://`` (default, this process only) or ``redis://host:6379``
when several app processes must share their counts (needs the ``redis`` package).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter


def limiter_for(storage: str | Storage) -> MovingWindowRateLimiter:
    """A moving-window limiter on ``storage`` (a URL such as ``memory://``, or a storage)."""
    store = storage_from_string(storage) if isinstance(storage, str) else storage
    return MovingWindowRateLimiter(store)


@dataclass(frozen=True)
class Rule:
    """One limit on one kind of key (``sender``, ``address``)."""

    kind: str
    item: RateLimitItem


def retry_after(limiter: MovingWindowRateLimiter, item: RateLimitItem, *key: str) -> float:
    """Seconds until ``key`` may be hit again under ``item`` (at least 1)."""
    reset = limiter.get_window_stats(item, *key).reset_time
    return max(1.0, reset - time.time())


class ChatLimiter:
    """Message limits of the chat channels: per sender, and per client address.

    The sender limit is a moving window that lets ``burst`` messages through at once and
    ``rate_per_min`` on average (``burst`` per ``60 * burst / rate_per_min`` seconds). The
    address limit counts every message from one client address, whatever sender id it uses,
    so rotating sender ids does not get round the sender limit.

    Args:
        rate_per_min: messages per minute per sender, on average.
        burst: messages a sender may send at once.
        per_address_per_min: messages per minute per client address (all its senders).
        storage: ``limits`` storage URL (``memory://``, ``redis://…``) or storage object.
    """

    def __init__(
        self,
        rate_per_min: int,
        burst: int,
        per_address_per_min: int | None = None,
        storage: str | Storage = "memory://",
    ) -> None:
        if min(rate_per_min, burst, per_address_per_min or 1) < 1:
            raise ValueError("limits must be at least 1")
        window_s = max(1, math.ceil(60 * burst / rate_per_min))
        self.sender = Rule("sender", RateLimitItemPerSecond(burst, window_s))
        self.address = (
            Rule("address", RateLimitItemPerMinute(per_address_per_min))
            if per_address_per_min
            else None
        )
        self.limiter = limiter_for(storage)

    def check(self, sender: str, address: str = "") -> float:
        """Count one message; 0 when it may go through, else seconds to wait.

        A refused message still counts against the address (a flood stays refused), but not
        against the sender.
        """
        rule = self.address if address else None
        if rule is not None and not self.limiter.hit(rule.item, "chat", "address", address):
            return retry_after(self.limiter, rule.item, "chat", "address", address)
        if not self.limiter.hit(self.sender.item, "chat", "sender", sender):
            return retry_after(self.limiter, self.sender.item, "chat", "sender", sender)
        return 0.0

    def allow(self, key: str) -> bool:
        """Per-sender check only (WeChat: every request comes from WeChat's servers)."""
        return self.limiter.hit(self.sender.item, "chat", "sender", key)


def refusals(too_many: str, unavailable: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route that can refuse: 429 (this client sends too
    much; ``Retry-After``) and 503 (the service cannot take it now)."""
    return {429: {"description": too_many}, 503: {"description": unavailable}}
