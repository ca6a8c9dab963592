"""Alert lifecycle: draft -> approve (a second officer) -> publish -> retract.

Publishing fans the alert out into the outbox (one row per matching subscriber); retracting
cancels what has not gone out yet and queues a correction for everyone who got it.
Callers write the audit log; these functions only enforce the rules.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from alerts.catalog import load_catalog
from alerts.models import (
    Alert,
    AlertStatus,
    OutboxItem,
    OutboxStatus,
    Receipt,
    Subscription,
)
from core.clock import as_utc, utcnow

CODE_PREFIX = "YQ"
CODE_ALPHABET = "ACDEFHJKMNPRTUVWXY34679"  # no look-alikes (0/O, 1/I/L, 2/Z, 5/S, 8/B)
CODE_RE = re.compile(r"YQ[-\s]?([A-Z0-9]{4})", re.IGNORECASE)
MAX_BODY_CHARS = 200
MAX_TITLE_CHARS = 40


class LifecycleError(Exception):
    """A lifecycle rule was broken.

    Attributes:
        code: machine-readable reason (``not_found``, ``same_officer``, ``bad_state``,
            ``expired``, ``invalid``).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Actor:
    """Who performs a lifecycle step."""

    username: str
    role: str


def new_code(session: Session) -> str:
    """A fresh public code such as ``YQ7KM3`` (never four digits in a row: those are masked
    as personal numbers by the redactor)."""
    for _ in range(100):
        tail = "".join(secrets.choice(CODE_ALPHABET) for _ in range(4))
        if tail.isdigit():
            continue
        code = CODE_PREFIX + tail
        if session.scalar(select(Alert.id).where(Alert.public_code == code)) is None:
            return code
    raise RuntimeError("could not find a free public code")


def normalize_code(text: str) -> str | None:
    """The public code found in ``text`` (``yq-7km3`` -> ``YQ7KM3``), or ``None``."""
    match = CODE_RE.search(text or "")
    return CODE_PREFIX + match.group(1).upper() if match else None


def _require_officer(actor: Actor) -> None:
    if actor.role != "alert_officer":
        raise LifecycleError("forbidden", "only alert officers handle alerts")


def _get(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise LifecycleError("not_found", f"no alert {alert_id}")
    return alert


def _officers_alert_in(session: Session, actor: Actor, alert_id: int, status: AlertStatus) -> Alert:
    """The alert an officer acts on, which must be in ``status``."""
    _require_officer(actor)
    alert = _get(session, alert_id)
    if alert.status != status:
        raise LifecycleError("bad_state", f"alert is {alert.status}, not {status}")
    return alert


def _queue(
    session: Session,
    alert: Alert,
    kind: str,
    recipients: Iterable[Any],
    now: datetime,
) -> int:
    """One pending outbox row of ``kind`` per (subscription id, channel, user id)."""
    rows = [
        {
            "idempotency_key": outbox_key(alert.id, kind, sub_id),
            "alert_id": alert.id,
            "subscription_id": sub_id,
            "kind": kind,
            "channel": channel,
            "user_id": user_id,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for sub_id, channel, user_id in recipients
    ]
    if rows:
        session.execute(insert(OutboxItem), rows)
    return len(rows)


def draft(
    session: Session,
    actor: Actor,
    *,
    title: str,
    body: str,
    scam_type: str,
    districts: list[str],
    expires_at: datetime,
) -> Alert:
    """Create a draft alert.

    Raises:
        LifecycleError: the actor is not an officer, or a field is out of bounds.
    """
    _require_officer(actor)
    title, body = title.strip(), body.strip()
    catalog = load_catalog()
    if not title or len(title) > MAX_TITLE_CHARS:
        raise LifecycleError("invalid", f"title needs 1 to {MAX_TITLE_CHARS} characters")
    if not body or len(body) > MAX_BODY_CHARS:
        raise LifecycleError("invalid", f"body needs 1 to {MAX_BODY_CHARS} characters")
    if scam_type not in catalog.types:
        raise LifecycleError("invalid", f"unknown scam type {scam_type!r}")
    unknown = sorted(set(districts) - set(catalog.districts))
    if unknown:
        raise LifecycleError("invalid", f"unknown districts: {', '.join(unknown)}")
    expires = as_utc(expires_at)
    assert expires is not None
    if expires <= utcnow():
        raise LifecycleError("invalid", "expiry must be in the future")
    alert = Alert(
        public_code=new_code(session),
        title=title,
        body=body,
        scam_type=scam_type,
        districts=sorted(set(districts)),
        status=AlertStatus.DRAFT,
        expires_at=expires,
        created_by=actor.username,
        created_at=utcnow(),
    )
    session.add(alert)
    session.flush()
    return alert


def approve(session: Session, actor: Actor, alert_id: int) -> Alert:
    """Approve a draft. The officer who drafted it can never approve it.

    Raises:
        LifecycleError: ``same_officer``, ``bad_state`` or ``forbidden``.
    """
    alert = _officers_alert_in(session, actor, alert_id, AlertStatus.DRAFT)
    if alert.created_by == actor.username:
        raise LifecycleError("same_officer", "a second officer must approve this alert")
    alert.status = AlertStatus.APPROVED
    alert.approved_by = actor.username
    alert.approved_at = utcnow()
    return alert


def publish(session: Session, actor: Actor, alert_id: int) -> tuple[Alert, int]:
    """Publish an approved alert and queue one outbox row per matching subscriber.

    Returns:
        The alert and the number of outbox rows queued.

    Raises:
        LifecycleError: ``bad_state``, ``expired`` or ``forbidden``.
    """
    alert = _officers_alert_in(session, actor, alert_id, AlertStatus.APPROVED)
    now = utcnow()
    if (as_utc(alert.expires_at) or now) <= now:
        raise LifecycleError("expired", "alert has expired; draft a new one")
    alert.status = AlertStatus.PUBLISHED
    alert.published_by = actor.username
    alert.published_at = now
    query = select(Subscription.id, Subscription.channel, Subscription.user_id).where(
        Subscription.active.is_(True)
    )
    if alert.districts:
        query = query.where(
            or_(Subscription.district.is_(None), Subscription.district.in_(alert.districts))
        )
    return alert, _queue(session, alert, "alert", session.execute(query), now)


def retract(session: Session, actor: Actor, alert_id: int, note: str) -> tuple[Alert, int]:
    """Retract a published alert: undelivered copies are cancelled, and a correction is
    queued for every subscriber who received it (or is receiving it right now).

    Returns:
        The alert and the number of corrections queued.
    """
    alert = _officers_alert_in(session, actor, alert_id, AlertStatus.PUBLISHED)
    now = utcnow()
    alert.status = AlertStatus.RETRACTED
    alert.retracted_by = actor.username
    alert.retracted_at = now
    alert.retract_note = note.strip()[:MAX_BODY_CHARS] or None
    session.execute(
        update(OutboxItem)
        .where(
            OutboxItem.alert_id == alert.id,
            OutboxItem.kind == "alert",
            OutboxItem.status == OutboxStatus.PENDING,
        )
        .values(
            status=OutboxStatus.CANCELLED, last_error="retracted before delivery", settled_at=now
        )
    )
    reached = session.execute(
        select(OutboxItem.subscription_id, OutboxItem.channel, OutboxItem.user_id).where(
            OutboxItem.alert_id == alert.id,
            OutboxItem.kind == "alert",
            OutboxItem.status.in_((OutboxStatus.DELIVERED, OutboxStatus.IN_PROGRESS)),
        )
    ).all()
    return alert, _queue(session, alert, "correction", reached, now)


def outbox_key(alert_id: int, kind: str, subscription_id: int) -> str:
    """The idempotency key of one message to one subscriber."""
    return f"alert:{alert_id}:{kind}:sub:{subscription_id}"


def find_by_code(session: Session, code: str) -> Alert | None:
    """The alert with this public code (any status)."""
    return session.scalar(select(Alert).where(Alert.public_code == code.upper()))


def is_live(alert: Alert, now: datetime | None = None) -> bool:
    """Published and not yet expired."""
    expires = as_utc(alert.expires_at) or datetime.min.replace(tzinfo=timezone.utc)
    return alert.status == AlertStatus.PUBLISHED and expires > (now or utcnow())


def delivery_counts(session: Session, alert_id: int) -> dict[str, dict[str, int]]:
    """Outbox rows of an alert by kind and status, e.g. ``{"alert": {"delivered": 3}}``."""
    from sqlalchemy import func

    counts: dict[str, dict[str, int]] = {}
    for kind, status, n in session.execute(
        select(OutboxItem.kind, OutboxItem.status, func.count())
        .where(OutboxItem.alert_id == alert_id)
        .group_by(OutboxItem.kind, OutboxItem.status)
    ):
        counts.setdefault(kind, {})[status] = int(n)
    return counts


def receipt_exists(session: Session, key: str) -> bool:
    """Whether the message with this idempotency key has already been delivered."""
    return session.scalar(select(Receipt.id).where(Receipt.idempotency_key == key)) is not None
