"""``GET /api/events``: live fraud alerts for one web chat user (Server-Sent Events).

Each delivered alert or correction is one event, followed by the page banner as it is now::

    id: <receipt id>
    event: alert            (or: correction)
    data: {"kind": "alert", "alert_code": "YQ7KM3", "messages": [<BotMessage>, ...]}

    event: banner
    data: {"banner": {"public_code", "title", "body", "expires_at"} or null}

A stream starts after the newest event the user already has (or after ``after``, or the
browser's ``Last-Event-ID`` on reconnect), so nothing is missed or shown twice. Comment
lines (``: ping``) keep idle connections open.

Streams do not poll. An open stream sleeps until the :class:`~alerts.notify.Notifier` wakes
it: the inline delivery worker notifies right after a web delivery, and one
:class:`ReceiptWatcher` per process (running only while streams are open) notices
deliveries made by other processes with one query per ``poll_s`` for all streams together.

Streams are capped per client address and in all (:class:`StreamGate`): beyond the caps the
answer is 429 (this address) or 503 (the whole app) with ``Retry-After``; the page then keeps
its banner poll.

The framing is written here rather than with ``fastapi.sse`` (``EventSourceResponse`` /
``ServerSentEvent``): FastAPI writes the fields of an event as ``event:``, ``data:``, ``id:``
(this stream, and its tests, put ``id:`` first), its ``data=`` JSON is ASCII-escaped with
spaces (``raw_data`` avoids that, the field order cannot be changed), and its SSE mode
needs a generator endpoint, which cannot return the 429/503 refusals itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy import func, select
from starlette.types import Receive, Scope, Send

from alerts.models import Receipt
from alerts.notify import Notifier
from core.database import Database
from core.senders import sender_id, web_user

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api", tags=["web chat"])

KEEPALIVE_S = 15.0
BATCH = 20
RETRY_AFTER_ADDRESS_S = 60
RETRY_AFTER_FULL_S = 30


class StreamGate:
    """Counts open streams per client address and in all.

    Args:
        per_address: streams one address may hold open (a community centre behind one
            address opens one per senior's page).
        total: streams this process holds open at most.
    """

    def __init__(self, per_address: int, total: int) -> None:
        if per_address < 1 or total < 1:
            raise ValueError("stream caps must be at least 1")
        self.per_address = per_address
        self.total = total
        self._open: dict[str, int] = {}
        self._count = 0

    @property
    def open_streams(self) -> int:
        return self._count

    def acquire(self, address: str) -> JSONResponse | None:
        """Take a place for ``address``; the refusal to send when there is none."""
        if self._open.get(address, 0) >= self.per_address:
            return _refusal(429, RETRY_AFTER_ADDRESS_S, "too many live streams from this address")
        if self._count >= self.total:
            return _refusal(503, RETRY_AFTER_FULL_S, "too many live streams; try later")
        self._open[address] = self._open.get(address, 0) + 1
        self._count += 1
        return None

    def release(self, address: str) -> None:
        left = self._open.get(address, 0) - 1
        if left > 0:
            self._open[address] = left
        else:
            self._open.pop(address, None)
        self._count = max(0, self._count - 1)


def _refusal(status: int, retry_after: int, detail: str) -> JSONResponse:
    return JSONResponse(
        {"detail": detail}, status_code=status, headers={"Retry-After": str(retry_after)}
    )


class _GatedStream(StreamingResponse):
    """A stream that gives its place back however it ends (done, disconnect, error)."""

    def __init__(self, *args: object, release: Callable[[], None], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


def _latest_any(database: Database) -> int:
    with database.session() as s:
        return int(s.scalar(select(func.max(Receipt.id)).where(Receipt.channel == "web")) or 0)


def _new_receipts(database: Database, after: int) -> list[tuple[int, str]]:
    with database.session() as s:
        rows = s.execute(
            select(Receipt.id, Receipt.user_id)
            .where(Receipt.channel == "web", Receipt.id > after)
            .order_by(Receipt.id)
            .limit(1000)
        ).all()
        return [(int(i), str(u)) for i, u in rows]


class ReceiptWatcher:
    """Wakes this process's streams for web deliveries made by any process.

    One task, started by the first open stream and ending after the last one closes, reads
    the new web receipts every ``poll_s`` and notifies their users' streams.
    """

    def __init__(self, database: Database, notifier: Notifier, poll_s: float) -> None:
        self.database = database
        self.notifier = notifier
        self.poll_s = poll_s
        self.streams = 0
        self.queries = 0
        self._task: asyncio.Task[None] | None = None

    def opened(self) -> None:
        self.streams += 1
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    def closed(self) -> None:
        self.streams = max(0, self.streams - 1)

    async def _run(self) -> None:
        after = await asyncio.to_thread(_latest_any, self.database)
        while self.streams > 0:
            await asyncio.sleep(self.poll_s)
            try:
                rows = await asyncio.to_thread(_new_receipts, self.database, after)
            except Exception:  # the database is back on the next round
                log.warning("live streams: reading new receipts failed", exc_info=True)
                continue
            self.queries += 1
            for receipt_id, user_id in rows:
                after = max(after, receipt_id)
                self.notifier.notify(sender_id("web", user_id))


def _watcher(request: Request, database: Database) -> ReceiptWatcher | None:
    state = request.app.state
    notifier = getattr(state, "alert_notifier", None)
    if notifier is None:
        return None
    watcher: ReceiptWatcher | None = getattr(state, "receipt_watcher", None)
    if watcher is None or watcher.notifier is not notifier:
        watcher = ReceiptWatcher(database, notifier, state.settings.alerts.poll_s)
        state.receipt_watcher = watcher
    return watcher


def _latest(database: Database, user_id: str) -> int:
    with database.session() as s:
        return int(
            s.scalar(
                select(func.max(Receipt.id)).where(
                    Receipt.channel == "web", Receipt.user_id == user_id
                )
            )
            or 0
        )


def _since(database: Database, user_id: str, after: int) -> list[tuple[int, str, dict]]:
    with database.session() as s:
        rows = s.execute(
            select(Receipt.id, Receipt.kind, Receipt.payload)
            .where(Receipt.channel == "web", Receipt.user_id == user_id, Receipt.id > after)
            .order_by(Receipt.id)
            .limit(BATCH)
        ).all()
        return [(int(i), str(k), dict(p or {})) for i, k, p in rows]


def _banner(database: Database) -> dict | None:
    from alerts.banner import current_banner

    return current_banner(database)


def format_event(event_id: int | None, kind: str, payload: dict) -> str:
    """One SSE event; without an id the browser's ``Last-Event-ID`` stays where it was."""
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {data}\n\n"


async def _events(
    request: Request,
    database: Database,
    notifier: Notifier | None,
    user_id: str,
    after: int,
    watcher: ReceiptWatcher | None = None,
) -> AsyncIterator[str]:
    """The stream: reads the database once at the start and then only when woken.

    Without a notifier (an app without the alerts lifespan) it falls back to reading every
    ``poll_s``.
    """
    key = sender_id("web", user_id)
    wake = notifier.register(key) if notifier else asyncio.Event()
    wait_s = KEEPALIVE_S if notifier else request.app.state.settings.alerts.poll_s
    if watcher is not None:
        watcher.opened()
    last_sent = time.monotonic()
    try:
        yield "retry: 3000\n\n"
        while not await request.is_disconnected():
            wake.clear()  # before reading: a delivery during the read wakes the next wait
            rows = await asyncio.to_thread(_since, database, user_id, after)
            for event_id, kind, payload in rows:
                after = event_id
                yield format_event(event_id, kind, payload)
                last_sent = time.monotonic()
            if rows:
                banner = await asyncio.to_thread(_banner, database)
                yield format_event(None, "banner", {"banner": banner})
            if len(rows) == BATCH:
                continue
            while not wake.is_set():
                if time.monotonic() - last_sent >= KEEPALIVE_S:
                    yield ": ping\n\n"
                    last_sent = time.monotonic()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=wait_s)
                if not notifier:
                    break
    finally:
        if notifier:
            notifier.unregister(key, wake)
        if watcher is not None:
            watcher.closed()


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "event stream"},
        429: {"description": "too many streams from this address (Retry-After)"},
        503: {"description": "too many streams in all (Retry-After)"},
    },
)
async def events(
    request: Request,
    sender_id: Annotated[str, Query(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")],
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> Response:
    """Live fraud alerts for this web user (Server-Sent Events)."""
    state = request.app.state
    gate: StreamGate | None = getattr(state, "stream_gate", None)
    address = request.client.host if request.client else ""
    if gate is not None:
        refusal = gate.acquire(address)
        if refusal is not None:
            log.warning("live stream refused (%d) for %s", refusal.status_code, address)
            return refusal
    released = False

    def release() -> None:
        nonlocal released
        if gate is not None and not released:
            released = True
            gate.release(address)

    try:
        database: Database = state.database
        user_id = web_user(sender_id)
        start = after
        if last_event_id and last_event_id.isdigit():
            start = int(last_event_id)
        if start is None:
            start = await asyncio.to_thread(_latest, database, user_id)
        notifier = getattr(state, "alert_notifier", None)
        watcher = _watcher(request, database)
    except BaseException:
        release()
        raise
    return _GatedStream(
        _events(request, database, notifier, user_id, start, watcher),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        release=release,
    )
