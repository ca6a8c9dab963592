"""Live fraud alerts for one web chat user (Server-Sent Events), read by ``GET /api/events``.

The route (``alerts.routes``) is a ``fastapi.sse`` generator endpoint: :func:`live_events`
yields ``ServerSentEvent`` objects and FastAPI writes them (``Cache-Control: no-cache``,
``X-Accel-Buffering: no``, and a ``: ping`` comment after 15 s without an event, which keeps
idle connections open). Each delivered alert or correction is one event, followed by the
page banner as it is now (FastAPI writes the fields in the order ``event``, ``data``, ``id``)::

    event: alert            (or: correction)
    data: {"kind": "alert", "alert_code": "YQ7KM3", "messages": [<BotMessage>, ...]}
    id: <receipt id>

    event: banner
    data: {"banner": {"public_code", "title", "body", "expires_at"} or null}

``data`` is compact JSON with the Chinese text as it is (``raw_data``, not FastAPI's
ASCII-escaped ``data=``). A stream starts after the newest event the user already has (or
after ``after``, or the browser's ``Last-Event-ID`` on reconnect: :func:`stream_start`), so
nothing is missed or shown twice.

Streams do not poll. An open stream sleeps until the :class:`~alerts.notify.Notifier` wakes
it: the inline delivery worker notifies right after a web delivery, and one
:class:`ReceiptWatcher` per process (built by the composition root; running only while
streams are open) notices deliveries made by other processes with one query per ``poll_s``
for all streams together. Without a watcher (an app assembled without the alerts services) a
stream reads every ``poll_s`` instead.

Streams are capped per client address and in all (:class:`StreamGate`): beyond the caps the
answer is 429 (this address) or 503 (the whole app) with ``Retry-After``, before anything is
streamed; the page then keeps its banner poll.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from fastapi import HTTPException, Request
from fastapi.sse import ServerSentEvent
from sqlalchemy import func, select
from starlette.datastructures import Headers

from alerts.models import Receipt
from alerts.notify import Notifier
from core.database import Database
from core.senders import sender_id, web_user

__all__ = [
    "ReceiptWatcher",
    "StreamGate",
    "StreamStart",
    "alert_event",
    "live_events",
    "stream_start",
    "web_user",
]

log = logging.getLogger(__name__)

RETRY_MS = 3000  # how long the browser waits before it reconnects
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

    def acquire(self, address: str) -> HTTPException | None:
        """Take a place for ``address``; the refusal to raise when there is none."""
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


def _refusal(status: int, retry_after: int, detail: str) -> HTTPException:
    """Rendered by FastAPI as ``{"detail": ...}`` with the status and ``Retry-After``."""
    return HTTPException(status, detail, headers=Headers({"Retry-After": str(retry_after)}))


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


@dataclass(frozen=True)
class StreamStart:
    """Whose stream, and the receipt id it starts after."""

    user_id: str
    after: int


async def stream_start(
    database: Database, sender: str, after: int | None, last_event_id: str | None
) -> StreamStart:
    """Where the stream of web sender ``sender`` starts: after the browser's
    ``Last-Event-ID`` on reconnect, else after ``after``, else after the newest event the
    user already has."""
    user_id = web_user(sender)
    if last_event_id and last_event_id.isdigit():
        return StreamStart(user_id, int(last_event_id))
    if after is not None:
        return StreamStart(user_id, after)
    return StreamStart(user_id, await asyncio.to_thread(_latest, database, user_id))


def alert_event(event_id: int | None, kind: str, payload: dict) -> ServerSentEvent:
    """One SSE event; without an id the browser's ``Last-Event-ID`` stays where it was."""
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return ServerSentEvent(
        raw_data=data, event=kind, id=str(event_id) if event_id is not None else None
    )


async def live_events(
    request: Request,
    database: Database,
    notifier: Notifier | None,
    user_id: str,
    after: int,
    watcher: ReceiptWatcher | None = None,
    *,
    poll_s: float = 1.0,
) -> AsyncGenerator[ServerSentEvent, None]:
    """The stream: reads the database once at the start and then only when woken.

    Without a notifier (an app without the alerts services) it reads every ``poll_s``.
    Keep-alive pings are FastAPI's. When the client goes away FastAPI cancels the stream while
    it waits (``finally`` gives the notifier and the watcher back); the disconnect check
    covers a wake-up that comes first.
    """
    key = sender_id("web", user_id)
    wake = notifier.register(key) if notifier else asyncio.Event()
    if watcher is not None:
        watcher.opened()
    try:
        yield ServerSentEvent(retry=RETRY_MS)
        while not await request.is_disconnected():
            wake.clear()  # before reading: a delivery during the read wakes the next wait
            rows = await asyncio.to_thread(_since, database, user_id, after)
            for event_id, kind, payload in rows:
                after = event_id
                yield alert_event(event_id, kind, payload)
            if rows:
                banner = await asyncio.to_thread(_banner, database)
                yield alert_event(None, "banner", {"banner": banner})
            if len(rows) == BATCH:
                continue
            if notifier:
                await wake.wait()
            else:
                await asyncio.sleep(poll_s)
    finally:
        if notifier:
            notifier.unregister(key, wake)
        if watcher is not None:
            watcher.closed()
