"""The live stream reads receipts after a position and is woken by the notifier."""

from __future__ import annotations

import asyncio
import json

from alerts.models import Receipt
from alerts.notify import Notifier
from alerts.stream import _latest, alert_event, live_events, web_user
from tests.alerts.conftest import published_alert
from tests.support.sse import fields, wire


class FakeRequest:
    def __init__(self) -> None:
        self.disconnected = False

    async def is_disconnected(self) -> bool:
        return self.disconnected


def _receipt(database, alert_id: int, user: str, n: int) -> None:  # type: ignore[no-untyped-def]
    with database.session() as s:
        s.add(
            Receipt(
                idempotency_key=f"k{n}",
                alert_id=alert_id,
                kind="alert",
                channel="web",
                user_id=user,
                payload={"kind": "alert", "n": n},
            )
        )


async def test_stream_sends_only_new_events_of_this_user_and_wakes_on_notify(database) -> None:  # type: ignore[no-untyped-def]
    alert_id = published_alert(database)
    _receipt(database, alert_id, "u1", 1)
    _receipt(database, alert_id, "other", 2)
    start = _latest(database, "u1")
    request, notifier = FakeRequest(), Notifier()
    gen = live_events(request, database, notifier, "u1", start)  # type: ignore[arg-type]
    assert wire(await gen.__anext__()) == "retry: 3000\n\n"
    pending = asyncio.ensure_future(gen.__anext__())
    await asyncio.sleep(0.05)
    assert notifier.listeners == 1 and not pending.done()
    _receipt(database, alert_id, "u1", 3)
    notifier.notify("web:u1")
    chunk = fields(wire(await asyncio.wait_for(pending, timeout=2)))
    assert chunk["event"] == "alert" and json.loads(chunk["data"]) == {"kind": "alert", "n": 3}
    request.disconnected = True
    await gen.aclose()
    assert notifier.listeners == 0


def test_event_format_and_sender_forms() -> None:
    assert wire(alert_event(7, "correction", {"a": "提醒"})) == (
        'event: correction\ndata: {"a":"提醒"}\nid: 7\n\n'
    )
    assert web_user("web:abc") == web_user("abc") == "abc"
