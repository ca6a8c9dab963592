"""Subscribe, unsubscribe, and record when a subscriber last wrote to us."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from alerts.models import Subscription
from core.clock import as_utc, utcnow
from core.database import Database
from core.senders import CHANNELS


def subscribe(
    database: Database, channel: str, user_id: str, district: str | None = None
) -> tuple[Subscription, bool]:
    """Subscribe (or re-subscribe) a user; returns the row and whether it was new or revived.

    Subscribing is an inbound message, so it also opens WeChat's service window.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    now = utcnow()
    with database.session() as s:
        row = s.scalar(
            select(Subscription).where(
                Subscription.channel == channel, Subscription.user_id == user_id
            )
        )
        changed = row is None or not row.active
        if row is None:
            row = Subscription(channel=channel, user_id=user_id, district=district)
            s.add(row)
        row.active = True
        row.unsubscribed_at = None
        row.last_inbound_at = now
        if district:
            row.district = district
        if changed:
            row.subscribed_at = now
        return row, changed


def unsubscribe(database: Database, channel: str, user_id: str) -> bool:
    """Stop alerts for a user; returns whether an active subscription was ended."""
    with database.session() as s:
        result = s.execute(
            update(Subscription)
            .where(
                Subscription.channel == channel,
                Subscription.user_id == user_id,
                Subscription.active.is_(True),
            )
            .values(active=False, unsubscribed_at=utcnow(), last_inbound_at=utcnow())
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def touch(database: Database, channel: str, user_id: str, when: datetime | None = None) -> None:
    """Record that a user just wrote to us (WeChat's 48-hour window starts again).

    Channels call this on every inbound message or event; a user without a subscription
    is ignored (the time is recorded when they subscribe).
    """
    with database.session() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.channel == channel, Subscription.user_id == user_id)
            .values(last_inbound_at=when or utcnow())
        )


def is_subscribed(database: Database, channel: str, user_id: str) -> bool:
    """Whether the user currently receives alerts."""
    with database.session() as s:
        return bool(
            s.scalar(
                select(Subscription.id).where(
                    Subscription.channel == channel,
                    Subscription.user_id == user_id,
                    Subscription.active.is_(True),
                )
            )
        )


def within_window(sub: Subscription, window_h: float, now: datetime | None = None) -> bool:
    """Whether a WeChat customer-service message may be sent to this subscriber now."""
    last = as_utc(sub.last_inbound_at)
    if last is None:
        return False
    return (now or utcnow()) - last <= timedelta(hours=window_h)
