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
from tests.support.sse import wire


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


async def test_refusals_have_the_json_body_and_come_before_any_stream(app: FastAPI) -> None:
    from tests.security.conftest import client_for

    gate = app.state.stream_gate
    for _ in range(gate.per_address):
        assert gate.acquire("203.0.113.2") is None
    async with client_for(app, "203.0.113.2") as c:
        r = await c.get("/api/events", params={"sender_id": "u1"})
    assert r.status_code == 429 and r.headers["retry-after"] == "60"
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"detail": "too many live streams from this address"}
    assert gate.open_streams == gate.per_address  # the refused request took no place


class _Connection:
    """Drives one ASGI request and lets the client go away (``http.disconnect``)."""

    def __init__(self, app: FastAPI, query: bytes, address: str) -> None:
        self.gone = asyncio.Event()
        self.started: dict = {}
        self.body = asyncio.Queue[bytes]()
        self._requested = False
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/api/events",
            "raw_path": b"/api/events",
            "query_string": query,
            "root_path": "",
            "headers": [(b"host", b"testserver")],
            "client": (address, 40000),
            "server": ("testserver", 80),
        }
        self.task = asyncio.ensure_future(app(scope, self._receive, self._send))

    async def _receive(self) -> dict:
        if not self._requested:
            self._requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            self.started = message
        elif message.get("body"):
            await self.body.put(message["body"])

    async def read_until(self, text: str) -> str:
        seen = ""
        while text not in seen:
            seen += (await asyncio.wait_for(self.body.get(), timeout=5)).decode("utf-8")
        return seen


async def test_a_stream_over_http_is_fastapis_sse_and_gives_its_place_back(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real route: SSE headers, FastAPI's framing with the data as today, keep-alive
    pings while idle, and the gate place, the notifier and the watcher given back when the
    client goes away."""
    import fastapi.routing

    from alerts.stream import ReceiptWatcher
    from tests.support.sse import events

    monkeypatch.setattr(fastapi.routing, "_PING_INTERVAL", 0.2)
    database, gate = app.state.database, app.state.stream_gate
    notifier = Notifier()
    watcher = ReceiptWatcher(database, notifier, poll_s=0.05)
    app.state.alert_notifier, app.state.receipt_watcher = notifier, watcher
    alert_id = published_alert(database, title="冒充客服退款")
    _receipt(database, alert_id, "u1", "k-before")
    conn = _Connection(app, b"sender_id=u1&after=0", "203.0.113.30")
    first = await conn.read_until("event: banner")
    headers = dict(conn.started["headers"])
    assert conn.started["status"] == 200
    assert headers[b"content-type"].startswith(b"text/event-stream")
    assert headers[b"cache-control"] == b"no-cache" and headers[b"x-accel-buffering"] == b"no"
    assert first.startswith("retry: 3000\n\n")
    alert, banner = events(first)[1:]
    assert alert["event"] == "alert" and alert["id"].isdigit()
    assert alert["data"] == '{"kind":"alert","key":"k-before"}'
    assert banner["event"] == "banner" and "id" not in banner
    assert '"title":"冒充客服退款"' in banner["data"]  # compact JSON, Chinese as it is
    assert gate.open_streams == 1 and watcher.streams == 1 and notifier.listeners == 1
    assert ": ping\n\n" in await conn.read_until(": ping")  # FastAPI's, while idle
    _receipt(database, alert_id, "u1", "k-woken")
    notifier.notify("web:u1")
    woken = events(await conn.read_until("k-woken"))
    assert [e["data"] for e in woken if e.get("event") == "alert"] == [
        '{"kind":"alert","key":"k-woken"}'
    ]
    conn.gone.set()
    await asyncio.wait_for(conn.task, timeout=5)
    assert gate.open_streams == 0
    assert notifier.listeners == 0 and watcher.streams == 0


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
        stream.live_events(FakeRequest(), database, notifier, f"u{i}", 0, watcher)  # type: ignore[arg-type]
        for i in range(30)
    ]
    try:
        for g in gens:
            assert wire(await g.__anext__()) == "retry: 3000\n\n"
        pending = [asyncio.ensure_future(g.__anext__()) for g in gens]
        await asyncio.sleep(1.0)
        assert len(reads) == 30  # the first read of each stream, nothing since
        assert not any(p.done() for p in pending)
        assert watcher.queries <= 25  # one query per poll for all streams together

        # The inline worker notifies after a delivery: only that stream reads.
        _receipt(database, alert_id, "u7", "k-inline")
        notifier.notify("web:u7")
        chunk = wire(await asyncio.wait_for(pending[7], timeout=2))
        assert '"key":"k-inline"' in chunk
        # Another process delivers: the watcher notices and wakes that stream.
        _receipt(database, alert_id, "u3", "k-other-process")
        chunk = wire(await asyncio.wait_for(pending[3], timeout=2))
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
