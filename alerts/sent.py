"""The fraud alerts published in a period and whom they reached, for the weekly summary
(``core.ports.AlertsSent``; the composition root hands :func:`sent_between` to the insights).

Reach is counted from the outbox, as the delivery dashboard counts it (``alerts.report``):
one alert row per subscriber it was owed to, by channel and status. Corrections are not
counted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from alerts.models import Alert, AlertStatus, OutboxItem
from core.clock import as_utc
from core.database import Database
from core.ports import SentAlert


def sent_between(database: Database, since: datetime, until: datetime) -> list[SentAlert]:
    """Alerts published in ``[since, until)`` (also those retracted since), oldest first,
    each with its outbox rows by channel and status."""
    with database.session() as s:
        alerts = (
            s.execute(
                select(Alert)
                .where(
                    Alert.published_at.is_not(None),
                    Alert.published_at >= since,
                    Alert.published_at < until,
                    Alert.status.in_([AlertStatus.PUBLISHED, AlertStatus.RETRACTED]),
                )
                .order_by(Alert.published_at, Alert.id)
            )
            .scalars()
            .all()
        )
        ids = [a.id for a in alerts]
        rows = s.execute(
            select(OutboxItem.alert_id, OutboxItem.channel, OutboxItem.status, func.count())
            .where(OutboxItem.alert_id.in_(ids), OutboxItem.kind == "alert")
            .group_by(OutboxItem.alert_id, OutboxItem.channel, OutboxItem.status)
        ).all()
        reach: dict[int, dict[str, dict[str, int]]] = {}
        for alert_id, channel, status, n in rows:
            reach.setdefault(alert_id, {}).setdefault(channel, {})[status] = int(n)
        return [
            SentAlert(
                public_code=a.public_code,
                title=a.title,
                published_at=as_utc(a.published_at),
                status=a.status,
                reach=reach.get(a.id, {}),
            )
            for a in alerts
        ]
