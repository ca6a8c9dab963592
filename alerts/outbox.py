"""The persistent outbox: claim due rows, then settle each one.

Claiming is one ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n)``:
on PostgreSQL concurrent workers skip each other's locked rows; on SQLite the statement
runs under the database's single write lock, so the claim is transactional there as well.
A claim is a lease: rows of a worker that died are claimed again once the lease ends.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alerts.models import OutboxItem, OutboxStatus, Receipt
from core.clock import utcnow
from core.database import Database

FINAL = (
    OutboxStatus.DELIVERED,
    OutboxStatus.FAILED,
    OutboxStatus.UNDELIVERABLE,
    OutboxStatus.CANCELLED,
)


def claim(database: Database, limit: int, lease_s: float, now: datetime | None = None) -> list[int]:
    """Claim up to ``limit`` due rows for this worker; returns their ids.

    Due rows are pending rows whose ``next_attempt_at`` has come, and in-progress rows whose
    lease has ended (their worker died). Each claim counts as one attempt.
    """
    now = now or utcnow()
    token = uuid.uuid4().hex
    due = (
        select(OutboxItem.id)
        .where(
            or_(
                and_(OutboxItem.status == OutboxStatus.PENDING, OutboxItem.next_attempt_at <= now),
                and_(OutboxItem.status == OutboxStatus.IN_PROGRESS, OutboxItem.lease_until < now),
            )
        )
        .order_by(OutboxItem.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    with database.session() as s:
        s.execute(
            update(OutboxItem)
            .where(OutboxItem.id.in_(due.scalar_subquery()))
            .values(
                status=OutboxStatus.IN_PROGRESS,
                claim_token=token,
                lease_until=now + timedelta(seconds=lease_s),
                attempts=OutboxItem.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
    with database.session() as s:
        return list(
            s.scalars(
                select(OutboxItem.id).where(OutboxItem.claim_token == token).order_by(OutboxItem.id)
            )
        )


def _update_row(s: Session, item_id: int, **values: Any) -> None:
    """Set ``values`` on the outbox row ``item_id``."""
    s.execute(update(OutboxItem).where(OutboxItem.id == item_id).values(**values))


def settle(
    database: Database, item_id: int, status: OutboxStatus, error: str | None = None
) -> None:
    """Give a claimed row a final status (``delivered`` rows should use :func:`deliver`)."""
    if status not in FINAL:
        raise ValueError(f"not a final status: {status}")
    now = utcnow()
    with database.session() as s:
        _update_row(
            s,
            item_id,
            status=status,
            last_error=(error or None) and error[:300],
            lease_until=None,
            delivered_at=now if status == OutboxStatus.DELIVERED else None,
            settled_at=now,
        )


@dataclass(frozen=True)
class Delivery:
    """One receipt to write: the row, what was pushed, and (fan-out) the render it came
    from, whose turn is not yet in the subscriber's conversation."""

    item: OutboxItem
    payload: dict[str, object]
    render_id: int | None = None


def _receipt(d: Delivery, now: datetime) -> dict[str, Any]:
    return {
        "idempotency_key": d.item.idempotency_key,
        "alert_id": d.item.alert_id,
        "kind": d.item.kind,
        "channel": d.item.channel,
        "user_id": d.item.user_id,
        "payload": d.payload,
        "created_at": now,
        "render_id": d.render_id,
        # Without a render the bot's own turn recorded the alert in the conversation.
        "recorded_at": None if d.render_id is not None else now,
    }


def deliver_many(database: Database, deliveries: list[Delivery]) -> int:
    """Write the receipts of many rows and mark them delivered, in one transaction (one
    commit for a whole batch instead of one per subscriber).

    When any receipt already exists (another attempt got there first), the batch is rolled
    back and written one row at a time with :func:`deliver`, which skips that one.

    Returns:
        The number of receipts written.
    """
    if not deliveries:
        return 0
    now = utcnow()
    try:
        with database.session() as s:
            s.execute(insert(Receipt), [_receipt(d, now) for d in deliveries])
            s.execute(
                update(OutboxItem)
                .where(OutboxItem.id.in_([d.item.id for d in deliveries]))
                .values(
                    status=OutboxStatus.DELIVERED,
                    delivered_at=now,
                    settled_at=now,
                    lease_until=None,
                    last_error=None,
                )
                .execution_options(synchronize_session=False)
            )
        return len(deliveries)
    except IntegrityError:
        return sum(deliver(database, d.item, d.payload, d.render_id) for d in deliveries)


def deliver(
    database: Database,
    item: OutboxItem,
    payload: dict[str, object],
    render_id: int | None = None,
) -> bool:
    """Write the receipt and mark the row delivered, in one transaction.

    Returns:
        ``False`` when a receipt with the same idempotency key already existed (another
        attempt got there first); the row is marked delivered either way.
    """
    now = utcnow()
    try:
        with database.session() as s:
            s.execute(insert(Receipt), [_receipt(Delivery(item, payload, render_id), now)])
            _update_row(
                s,
                item.id,
                status=OutboxStatus.DELIVERED,
                delivered_at=now,
                settled_at=now,
                lease_until=None,
                last_error=None,
            )
        return True
    except IntegrityError:
        settle(database, item.id, OutboxStatus.DELIVERED)
        return False


def retry_later(
    database: Database,
    item: OutboxItem,
    error: str,
    *,
    max_attempts: int,
    base_s: float,
    max_s: float,
    count_attempt: bool = True,
) -> OutboxStatus:
    """Schedule another attempt with exponential backoff and jitter, or give up.

    Returns:
        The new status: ``pending`` or ``failed``.
    """
    attempts = item.attempts if count_attempt else max(item.attempts - 1, 0)
    if attempts >= max_attempts:
        settle(database, item.id, OutboxStatus.FAILED, error)
        return OutboxStatus.FAILED
    delay = min(base_s * (2 ** max(attempts - 1, 0)), max_s)
    delay *= random.uniform(0.8, 1.2)
    with database.session() as s:
        _update_row(
            s,
            item.id,
            status=OutboxStatus.PENDING,
            attempts=attempts,
            next_attempt_at=utcnow() + timedelta(seconds=delay),
            lease_until=None,
            last_error=error[:300],
        )
    return OutboxStatus.PENDING


def rows_by_status(database: Database) -> dict[str, int]:
    """How many outbox rows are in each status (every status named, 0 when none): one
    ``GROUP BY`` over the ``(status, next_attempt_at)`` index, for ``/metrics``."""
    counts = {str(status): 0 for status in OutboxStatus}
    with database.session() as s:
        for status, count in s.execute(
            select(OutboxItem.status, func.count()).group_by(OutboxItem.status)
        ):
            counts[str(status)] = int(count)
    return counts
