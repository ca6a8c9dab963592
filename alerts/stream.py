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
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select

from alerts.config import get_alert_settings
from alerts.models import Receipt
from alerts.notify import Notifier
from app.db import Database

router = APIRouter(prefix="/api", tags=["web chat"])

KEEPALIVE_S = 15.0
BATCH = 20


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
    from channels.web.banner import current_banner

    return current_banner(database)


def format_event(event_id: int | None, kind: str, payload: dict) -> str:
    """One SSE event; without an id the browser's ``Last-Event-ID`` stays where it was."""
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {data}\n\n"


def web_user(sender_id: str) -> str:
    """The web user id inside ``web:<id>`` (the page may send either form)."""
    return sender_id[4:] if sender_id.startswith("web:") else sender_id


async def _events(
    request: Request, database: Database, notifier: Notifier | None, user_id: str, after: int
) -> AsyncIterator[str]:
    poll_s = get_alert_settings().poll_s
    key = f"web:{user_id}"
    wake = notifier.register(key) if notifier else asyncio.Event()
    last_sent = time.monotonic()
    try:
        yield "retry: 3000\n\n"
        while not await request.is_disconnected():
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
            if time.monotonic() - last_sent >= KEEPALIVE_S:
                yield ": ping\n\n"
                last_sent = time.monotonic()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=poll_s)
            wake.clear()
    finally:
        if notifier:
            notifier.unregister(key, wake)


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "event stream"}},
)
async def events(
    request: Request,
    sender_id: Annotated[str, Query(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")],
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    """Live fraud alerts for this web user (Server-Sent Events)."""
    database: Database = request.app.state.database
    user_id = web_user(sender_id)
    start = after
    if last_event_id and last_event_id.isdigit():
        start = int(last_event_id)
    if start is None:
        start = await asyncio.to_thread(_latest, database, user_id)
    notifier = getattr(request.app.state, "alert_notifier", None)
    return StreamingResponse(
        _events(request, database, notifier, user_id, start),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
