"""``/api/events``: capped per address and in all; streams sleep until notified."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from fastapi import FastAPI

from alerts.models import Receipt
from alerts.notify import Notifier
from tests.alerts.conftest import published_alert


class FakeRequest:
    async def is_disconnected(self) -> bool:
        return False


def test_gate_counts_per_address_and_in_all() -> None:
    from alerts.stream import StreamGate

    gate = StreamGate(per_address=2, total=3)
    assert gate.acquire("a") is None and gate.acquire("a") is None
    refused = gate.acquire("a")
    assert refused is not None and refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert gate.acquire("b") is None
    full = gate.acquire("c")
    assert full is not None and full.status_code == 503 and int(full.headers["retry-after"]) > 0
    gate.release("a")
    assert gate.acquire("c") is None and gate.open_streams == 3


async def test_refusals_over_http(app: FastAPI) -> None:
    from tests.security.conftest import client_for

    gate = app.state.stream_gate
    for _ in range(gate.per_address):
        assert gate.acquire("203.0.113.1") is None
    async with client_for(app, "203.0.113.1") as c:
        r = await c.get("/api/events", params={"sender_id": "u1"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    others = gate.total - gate.open_streams
    for i in range(others):
        assert gate.acquire(f"198.51.{i // 200}.{i % 200}") is None
    async with client_for(app, "192.0.2.50") as c:
        r = await c.get("/api/events", params={"sender_id": "u2"})
    assert r.status_code == 503 and int(r.headers["retry-after"]) > 0


def _receipt(database, alert_id: int, user: str, key: str) -> None:  # type: ignore[no-untyped-def]
    with database.session() as s:
        s.add(
            Receipt(
                idempotency_key=key,
                alert_id=alert_id,
                kind="alert",
                channel="web",
                user_id=user,
                payload={"kind": "alert", "key": key},
            )
        )


async def test_open_streams_do_not_poll_the_database(
    database, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """30 idle streams for 1 s with poll_s 0.05: one read each at the start, then none."""
    from alerts import stream

    reads: list[str] = []
    real_since = stream._since

    def counting_since(db, user_id, after):  # type: ignore[no-untyped-def]
        reads.append(user_id)
        return real_since(db, user_id, after)

    monkeypatch.setattr(stream, "_since", counting_since)
    alert_id = published_alert(database)
    notifier = Notifier()
    watcher = stream.ReceiptWatcher(database, notifier, poll_s=0.05)
    gens = [
        stream._events(FakeRequest(), database, notifier, f"u{i}", 0, watcher)  # type: ignore[arg-type]
        for i in range(30)
    ]
    try:
        for g in gens:
            assert await g.__anext__() == "retry: 3000\n\n"
        pending = [asyncio.ensure_future(g.__anext__()) for g in gens]
        await asyncio.sleep(1.0)
        assert len(reads) == 30  # the first read of each stream, nothing since
        assert not any(p.done() for p in pending)
        assert watcher.queries <= 25  # one query per poll for all streams together

        # The inline worker notifies after a delivery: only that stream reads.
        _receipt(database, alert_id, "u7", "k-inline")
        notifier.notify("web:u7")
        chunk = await asyncio.wait_for(pending[7], timeout=2)
        assert '"key":"k-inline"' in chunk
        # Another process delivers: the watcher notices and wakes that stream.
        _receipt(database, alert_id, "u3", "k-other-process")
        chunk = await asyncio.wait_for(pending[3], timeout=2)
        assert '"key":"k-other-process"' in chunk
        assert sorted(set(reads[30:])) == ["u3", "u7"]
    finally:
        for p in pending:
            p.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for g in gens:
            await g.aclose()
    assert notifier.listeners == 0 and watcher.streams == 0


@pytest.mark.e2e
async def test_a_stream_flood_from_one_address_is_refused_and_health_stays_fast(stack) -> None:  # type: ignore[no-untyped-def]
    """300 stream attempts from one address: the cap is held open, the rest get 429 with
    Retry-After, and ``/healthz`` still answers in well under a second."""
    url = stack.app_url + "/api/events"
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        opened: list[httpx.Response] = []
        refused: list[httpx.Response] = []

        async def attempt(i: int) -> None:
            request = client.build_request("GET", url, params={"sender_id": f"flood{i}"})
            response = await client.send(request, stream=True)
            if response.status_code == 200:
                opened.append(response)
            else:
                await response.aread()
                await response.aclose()
                refused.append(response)

        await asyncio.gather(*(attempt(i) for i in range(300)))
        try:
            timings = []
            for _ in range(10):
                start = time.perf_counter()
                assert (await client.get(stack.app_url + "/healthz")).status_code == 200
                timings.append(time.perf_counter() - start)
            first = await asyncio.wait_for(opened[0].aiter_text().__anext__(), timeout=5)
        finally:
            for response in opened:
                await response.aclose()
    assert len(opened) == 40  # YINFA_EVENTS_MAX_PER_ADDRESS (default)
    assert len(refused) == 260
    assert {r.status_code for r in refused} == {429}
    assert all(int(r.headers["retry-after"]) > 0 for r in refused)
    assert first.startswith("retry:")
    assert sorted(timings)[len(timings) // 2] < 1.0
    # The places come back when the streams close.
    deadline = time.monotonic() + 10
    while True:
        async with (
            httpx.AsyncClient(timeout=10) as client,
            client.stream("GET", url, params={"sender_id": "after"}) as r,
        ):
            status = r.status_code
        if status == 200 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert status == 200
