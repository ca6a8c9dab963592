from __future__ import annotations

import pytest

from console.ratelimit import LoginLimiter
from core.limits import ChatLimiter


def test_burst_then_refused_per_sender() -> None:
    limiter = ChatLimiter(rate_per_min=60, burst=3)
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")  # other senders are not affected


def test_one_address_cannot_rotate_sender_ids_past_its_limit() -> None:
    limiter = ChatLimiter(rate_per_min=30, burst=15, per_address_per_min=5)
    waits = [limiter.check(f"web:s{i}", "203.0.113.9") for i in range(7)]
    assert waits[:5] == [0.0] * 5
    assert all(w >= 1 for w in waits[5:])
    assert limiter.check("web:s99", "198.51.100.1") == 0.0  # other addresses go on


def test_sender_limit_holds_across_addresses() -> None:
    limiter = ChatLimiter(rate_per_min=1, burst=2, per_address_per_min=100)
    assert [limiter.check("web:x", f"10.0.0.{i}") == 0 for i in range(3)] == [True, True, False]


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError):
        ChatLimiter(rate_per_min=0, burst=1)


def test_login_limiter_counts_failures_per_user_and_address() -> None:
    limiter = LoginLimiter(per_user=2, per_ip=3, window_s=600)
    assert limiter.retry_after("op1", "10.0.0.1") == 0
    limiter.failed("op1", "10.0.0.1")
    limiter.failed("op1", "10.0.0.1")
    assert 590 < limiter.retry_after("op1", "10.0.0.2") <= 600  # the username is locked
    limiter.failed("op2", "10.0.0.1")
    assert limiter.retry_after("op3", "10.0.0.1") > 0  # and now the address too
    limiter.succeeded("op1")
    assert limiter.retry_after("op1", "10.0.0.9") == 0
