"""Limit on failed logins, per username and per client address (``limits``, moving window).

Counts live in the storage named by ``YINFA_LIMITS_STORAGE_URL``: process memory by default
(each app replica then allows its own share, which still bounds guessing), Redis when the
replicas must share them.
"""

from __future__ import annotations

from limits import RateLimitItemPerSecond
from limits.storage import Storage

from core.limits import limiter_for, retry_after


class LoginLimiter:
    """Refuses a login after too many recent failures.

    Args:
        per_user: failures allowed per username within ``window_s``.
        per_ip: failures allowed per client address within ``window_s``.
        window_s: length of the window in seconds.
        storage: ``limits`` storage URL or storage object.
    """

    def __init__(
        self,
        per_user: int = 5,
        per_ip: int = 20,
        window_s: int = 600,
        storage: str | Storage = "memory://",
    ) -> None:
        self.per_user = RateLimitItemPerSecond(per_user, window_s)
        self.per_ip = RateLimitItemPerSecond(per_ip, window_s)
        self.limiter = limiter_for(storage)

    def _rules(self, username: str, ip: str) -> list[tuple[RateLimitItemPerSecond, str, str]]:
        return [(self.per_user, "user", username), (self.per_ip, "ip", ip)]

    def retry_after(self, username: str, ip: str) -> float:
        """Seconds to wait before trying again; 0 when a try is allowed now."""
        waits = [
            retry_after(self.limiter, item, "login", kind, key)
            for item, kind, key in self._rules(username, ip)
            if not self.limiter.test(item, "login", kind, key)
        ]
        return max(waits, default=0.0)

    def failed(self, username: str, ip: str) -> None:
        """Count one failed login against the username and the address."""
        for item, kind, key in self._rules(username, ip):
            self.limiter.hit(item, "login", kind, key)

    def succeeded(self, username: str) -> None:
        """A successful login forgets that username's failures (not the address's)."""
        self.limiter.clear(self.per_user, "login", "user", username)
