"""Sliding-window limit on failed logins, per username and per client address.

Kept in process memory: with several app replicas each allows its own share, which still
bounds guessing; a shared store (the database or Redis) is the next step if needed.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable


class LoginLimiter:
    """Refuses a login after too many recent failures.

    Args:
        per_user: failures allowed per username within ``window_s``.
        per_ip: failures allowed per client address within ``window_s``.
        window_s: length of the window.
        clock: monotonic seconds (tests move it).
    """

    def __init__(
        self,
        per_user: int = 5,
        per_ip: int = 20,
        window_s: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_user = per_user
        self.per_ip = per_ip
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[float]:
        now = self.clock()
        q = self._failures[key]
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def retry_after(self, username: str, ip: str) -> float:
        """Seconds to wait before trying again; 0 when a try is allowed now."""
        waits = []
        for key, limit in ((f"u:{username}", self.per_user), (f"ip:{ip}", self.per_ip)):
            q = self._recent(key)
            if len(q) >= limit:
                waits.append(self.window_s - (self.clock() - q[0]))
        return max(waits, default=0.0)

    def failed(self, username: str, ip: str) -> None:
        now = self.clock()
        self._recent(f"u:{username}").append(now)
        self._recent(f"ip:{ip}").append(now)
        if len(self._failures) > 10_000:  # forget idle keys
            for key in [k for k, q in self._failures.items() if not q]:
                del self._failures[key]

    def succeeded(self, username: str) -> None:
        self._failures.pop(f"u:{username}", None)
