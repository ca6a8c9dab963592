"""Render an alert once, then fan it out to every subscriber.

The bot's answer to an alert depends on the alert (and the district), not on the
subscriber. So the worker runs the ``EXTERNAL_fraud_alert`` turn once per (alert, kind,
district) in a system conversation of its own, stores the bot messages and the events of
that turn (table ``alert_renders``), and then, per subscriber, delivers the stored messages
on the subscriber's channel; the receipt names the render. Before the subscriber's next
turn, the stored events are appended to their Rasa conversation through Rasa's tracker
events API (alerts/context.py): the conversation then holds the same turn a
per-subscriber trigger would have written, so "这个提醒是什么意思" and "我该怎么办" are
answered there.

A stored render outlives the worker: after a restart, or in a second worker, the alert is
not rendered again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from alerts.models import Alert, AlertRender
from core.database import Database
from core.messages import BotMessage

log = logging.getLogger(__name__)

EXTERNAL_INTENT = "EXTERNAL_fraud_alert"
RENDER_SENDER_PREFIX = "system:alert-render"


class Triggering(Protocol):
    """The part of ``core.conversation.Conversation`` the worker uses."""

    async def trigger(
        self, sender_id: str, intent: str, entities: dict[str, object] | None = None
    ) -> list[BotMessage]: ...


class TrackerEvents(Protocol):
    """Rasa's tracker events API (``core.rasa_client.RasaClient``)."""

    async def tracker_events(self, sender_id: str) -> list[dict[str, Any]]: ...

    async def append_events(self, sender_id: str, events: list[dict[str, Any]]) -> None: ...


class RenderRefused(Exception):
    """The bot did not show the alert (it is no longer published, or unknown to it)."""


@dataclass(frozen=True)
class Rendered:
    """One stored render: what subscribers read and what their conversations record."""

    id: int
    messages: tuple[BotMessage, ...]
    events: tuple[dict[str, Any], ...]


RenderKey = tuple[int, str, str]


def alert_entities(alert: Alert, kind: str) -> dict[str, object]:
    """The entities of the ``EXTERNAL_fraud_alert`` turn of an alert or its correction."""
    return {
        "alert_code": alert.public_code,
        "alert_title": alert.title,
        "alert_body": alert.body if kind == "alert" else (alert.retract_note or ""),
        "alert_kind": kind,
    }


def render_sender(key: RenderKey) -> str:
    """The system conversation an alert is rendered in (never a subscriber's)."""
    alert_id, kind, district = key
    return f"{RENDER_SENDER_PREFIX}:{alert_id}:{kind}:{district or 'all'}"


def turn_events(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events of the last ``EXTERNAL_fraud_alert`` turn, from its user event on.

    Timestamps are dropped, so that Rasa stamps each copy when it is appended (session
    expiry counts from the last user event). Session-start events are left out: Rasa starts
    a session itself when the subscriber's conversation has none.

    Raises:
        RenderRefused: the events hold no such turn.
    """
    start = None
    for index, event in enumerate(events):
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if event.get("event") == "user" and intent == EXTERNAL_INTENT:
            start = index
    if start is None:
        raise RenderRefused("the render conversation holds no alert turn")
    skipped = {"session_started", "restart"}
    return [
        {k: v for k, v in event.items() if k != "timestamp"}
        for event in events[start:]
        if event.get("event") not in skipped
    ]


def _shown(events: Sequence[dict[str, Any]], code: str) -> bool:
    """Whether the turn set the alert's code in the conversation (the action accepted it)."""
    return any(
        e.get("event") == "slot" and e.get("name") == "alert_code" and e.get("value") == code
        for e in events
    )


def _load_render(database: Database, key: RenderKey) -> Rendered | None:
    alert_id, kind, district = key
    with database.session() as s:
        row = s.scalar(
            select(AlertRender).where(
                AlertRender.alert_id == alert_id,
                AlertRender.kind == kind,
                AlertRender.district == district,
            )
        )
        if row is None:
            return None
        return Rendered(
            id=row.id,
            messages=tuple(BotMessage.model_validate(m) for m in row.messages),
            events=tuple(row.events),
        )


def _store_render(
    database: Database,
    key: RenderKey,
    messages: Sequence[BotMessage],
    events: Sequence[dict[str, Any]],
) -> Rendered:
    """Store a render; when another worker stored one first, that one wins."""
    alert_id, kind, district = key
    try:
        with database.session() as s:
            row = AlertRender(
                alert_id=alert_id,
                kind=kind,
                district=district,
                messages=[m.model_dump(exclude_none=True) for m in messages],
                events=list(events),
            )
            s.add(row)
            s.flush()
            render_id = row.id
        return Rendered(id=render_id, messages=tuple(messages), events=tuple(events))
    except IntegrityError:
        stored = _load_render(database, key)
        assert stored is not None
        return stored


class Renderer:
    """Renders each (alert, kind, district) once and remembers it.

    Args:
        database: where renders are stored.
        conversation: triggers the alert turn in the render conversation.
        tracker: reads the render conversation's events.
    """

    def __init__(
        self, database: Database, conversation: Triggering, tracker: TrackerEvents
    ) -> None:
        self.database = database
        self.conversation = conversation
        self.tracker = tracker
        self._cache: dict[RenderKey, Rendered] = {}
        self._locks: dict[RenderKey, asyncio.Lock] = {}
        self.rendered = 0  # renders made through the bot by this process

    async def get(self, alert: Alert, kind: str, district: str | None) -> Rendered:
        """The render for subscribers of ``district`` (``None``: no district given)."""
        key: RenderKey = (alert.id, kind, district or "")
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._cache.get(key)
            if cached is None:
                cached = await asyncio.to_thread(_load_render, self.database, key)
            if cached is None:
                messages, events = await self._render(alert, kind, key)
                cached = await asyncio.to_thread(
                    _store_render, self.database, key, messages, events
                )
            self._cache[key] = cached
        self._locks.pop(key, None)
        return cached

    async def _render(
        self, alert: Alert, kind: str, key: RenderKey
    ) -> tuple[list[BotMessage], list[dict[str, Any]]]:
        sender = render_sender(key)
        messages = await self.conversation.trigger(
            sender, EXTERNAL_INTENT, alert_entities(alert, kind)
        )
        events = turn_events(await self.tracker.tracker_events(sender))
        if not messages or not _shown(events, alert.public_code):
            raise RenderRefused(f"the bot did not show alert {alert.public_code} ({kind})")
        self.rendered += 1
        log.info("rendered alert %s (%s, %s) once for all its subscribers", *key)
        return messages, events
