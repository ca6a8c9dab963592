from __future__ import annotations

import pytest

from app.limits import RateLimiter


def test_burst_then_refill() -> None:
    limiter = RateLimiter(rate_per_min=60, burst=3)
    assert [limiter.allow("a", now=0.0) for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b", now=0.0)  # other senders are not affected
    assert limiter.allow("a", now=1.0)  # one token per second comes back
    assert not limiter.allow("a", now=1.0)


def test_remembers_a_bounded_number_of_senders() -> None:
    limiter = RateLimiter(rate_per_min=1, burst=1, max_keys=10)
    for i in range(100):
        limiter.allow(f"s{i}", now=0.0)
    assert len(limiter._buckets) == 10


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter(rate_per_min=0, burst=1)
