"""Tables of fraud alerts, subscriptions, the delivery outbox and delivery receipts.

Times are stored in UTC. SQLite returns them naive; :func:`as_utc` makes them aware again.
The ``alerts`` table is also read by the web page's banner (``alerts/banner.py``):
``public_code``, ``title``, ``body``, ``status`` (``'published'``) and ``expires_at``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.orm import Base


class AlertStatus(StrEnum):
    """Where a fraud alert is in its lifecycle; stored and sent as the plain string."""

    DRAFT = "draft"
    APPROVED = "approved"
    PUBLISHED = "published"
    RETRACTED = "retracted"


class OutboxStatus(StrEnum):
    """Where one outbox row (one message to one subscriber) is; stored and sent as the string."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    FAILED = "failed"
    UNDELIVERABLE = "undeliverable"
    CANCELLED = "cancelled"


class Alert(Base):
    """One fraud alert, from draft to published (and maybe retracted)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_code: Mapped[str] = mapped_column(String(16), unique=True, index=True)
    title: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(String(200))
    scam_type: Mapped[str] = mapped_column(String(32))
    districts: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: all districts
    status: Mapped[str] = mapped_column(String(16), default=AlertStatus.DRAFT, index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    published_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    retracted_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    retracted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    retract_note: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Subscription(Base):
    """A user who wants fraud alerts on one channel (``web`` or ``wechat``)."""

    __tablename__ = "alert_subscriptions"
    __table_args__ = (UniqueConstraint("channel", "user_id", name="uq_subscription_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    district: Mapped[str | None] = mapped_column(String(16), nullable=True)  # None: any
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    subscribed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_inbound_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    @property
    def sender_id(self) -> str:
        """The Rasa conversation id of this subscriber (``web:<id>``, ``wechat:<openid>``)."""
        return f"{self.channel}:{self.user_id}"


class OutboxItem(Base):
    """One message (alert or correction) owed to one subscriber."""

    __tablename__ = "alert_outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(96), unique=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("alert_subscriptions.id"))
    kind: Mapped[str] = mapped_column(String(16), default="alert")  # alert | correction
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # When the row reached a final status (delivered, undeliverable, failed or cancelled).
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Receipt(Base):
    """Proof that one outbox item reached its channel; unique per idempotency key.

    For web subscribers the receipt is also the message store the live stream
    (``GET /api/events``) reads from: its ``id`` is the event id.
    """

    __tablename__ = "alert_receipts"
    __table_args__ = (Index("ix_receipt_user", "channel", "user_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(96), unique=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"))
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Fan-out (issue 15): the stored render this receipt delivered, and when its turn went
    # into the subscriber's Rasa conversation (NULL: not yet; done before their next turn).
    render_id: Mapped[int | None] = mapped_column(ForeignKey("alert_renders.id"), nullable=True)
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AlertRender(Base):
    """The bot's answer to one alert (or its correction) for one district, rendered once.

    ``messages`` are the bot messages every subscriber of that district receives;
    ``events`` are the events of that Rasa turn, appended to a subscriber's conversation
    before their next turn (alerts/context.py) so that follow-up questions about the alert
    work there. ``district`` is ``""`` for subscribers who gave none.
    """

    __tablename__ = "alert_renders"
    __table_args__ = (UniqueConstraint("alert_id", "kind", "district", name="uq_alert_render"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"))
    kind: Mapped[str] = mapped_column(String(16))  # alert | correction
    district: Mapped[str] = mapped_column(String(16), default="")
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
