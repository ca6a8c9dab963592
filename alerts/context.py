"""Attach fanned-out alerts to a subscriber's conversation before their next turn.

A fanned-out alert reaches the subscriber at once (its receipt), but its Rasa turn is
written into their conversation only when they write again: just before Rasa handles that
message, the turns of every alert they received since (``recorded_at IS NULL``) are
appended through Rasa's tracker events API, oldest first. Then "这个提醒是什么意思" and
"我该怎么办" are answered about the alert, as if it had been triggered in their
conversation.

Why not append at delivery time: one append costs Rasa a tracker-store write per
subscriber (measured by ``scripts/bench_alerts.py``, "recording alone"), which would cap
the broadcast far below its target; most subscribers never reply to an alert, and those
who do pay one indexed query and one append, once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import select, update

from alerts.fanout import TrackerEvents
from alerts.models import AlertRender, Receipt
from core.clock import utcnow
from core.database import Database
from core.senders import split_sender

log = logging.getLogger(__name__)


def pending_turns(database: Database, sender_id: str) -> tuple[list[int], list[dict[str, Any]]]:
    """The receipts of this conversation whose alert turn is not in it yet, and the events
    of those turns in delivery order."""
    try:
        channel, user_id = split_sender(sender_id)
    except ValueError:
        return [], []
    with database.session() as s:
        rows = s.execute(
            select(Receipt.id, AlertRender.events)
            .join(AlertRender, AlertRender.id == Receipt.render_id)
            .where(
                Receipt.channel == channel,
                Receipt.user_id == user_id,
                Receipt.recorded_at.is_(None),
            )
            .order_by(Receipt.id)
        ).all()
    events = [event for _, turn in rows for event in turn]
    return [receipt_id for receipt_id, _ in rows], events


def mark_recorded(database: Database, receipt_ids: list[int]) -> None:
    with database.session() as s:
        s.execute(
            update(Receipt)
            .where(Receipt.id.in_(receipt_ids), Receipt.recorded_at.is_(None))
            .values(recorded_at=utcnow())
        )


class AlertContext:
    """The hook ``core.conversation.Conversation`` runs before each user turn.

    Args:
        database: the app database (receipts and renders).
        tracker: Rasa's tracker events API.
    """

    def __init__(self, database: Database, tracker: TrackerEvents) -> None:
        self.database = database
        self.tracker = tracker

    async def before_turn(self, sender_id: str) -> None:
        """Append the turns of alerts this conversation received but does not hold yet.

        Never raises: when Rasa or the database fails, the user's message is still
        answered and the alert is attached before a later turn.
        """
        try:
            receipt_ids, events = await asyncio.to_thread(pending_turns, self.database, sender_id)
            if not receipt_ids:
                return
            await self.tracker.append_events(sender_id, events)
            await asyncio.to_thread(mark_recorded, self.database, receipt_ids)
            log.info("attached %d alert turn(s) to %s", len(receipt_ids), sender_id)
        except Exception:
            log.exception("could not attach alerts to %s; will try on the next turn", sender_id)
