"""FastAPI dependencies of the alert routes: the live-stream services the composition root
built (``app.bootstrap.Services``), and a place in the stream gate."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Query, Request

from alerts.stream import ReceiptWatcher, StreamGate, StreamStart, stream_start
from core.deps import DatabaseDep, service

log = logging.getLogger(__name__)


# The caps on open live streams (per client address and in all).
StreamGateDep = Annotated[StreamGate, Depends(service("stream_gate"))]
# The watcher that wakes streams for deliveries (its notifier wakes them for the inline
# worker's), or None in an app assembled without the alerts services: its streams then read
# the database every ``poll_s``.
ReceiptWatcherDep = Annotated[
    ReceiptWatcher | None, Depends(service("receipt_watcher", optional=True))
]


async def open_stream(
    request: Request,
    gate: StreamGateDep,
    database: DatabaseDep,
    sender_id: Annotated[str, Query(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")],
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> AsyncIterator[StreamStart]:
    """A place in the stream gate for this client address, and where the stream starts.

    Without a place this raises the gate's 429/503 (``Retry-After``) before anything is
    streamed. The place is given back when FastAPI closes this dependency, after the
    streaming response has ended however it ends (done, client gone, error).
    """
    address = request.client.host if request.client else ""
    refusal = gate.acquire(address)
    if refusal is not None:
        log.warning("live stream refused (%d) for %s", refusal.status_code, address)
        raise refusal
    try:
        yield await stream_start(database, sender_id, after, last_event_id)
    finally:
        gate.release(address)


StreamStartDep = Annotated[StreamStart, Depends(open_stream)]
