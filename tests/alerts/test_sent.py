"""The alerts published in a period and their reach (``alerts.sent``, the weekly summary's
port), on real rows: alerts published through the lifecycle, outbox rows given statuses."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from alerts import lifecycle
from alerts.models import Alert, OutboxItem
from alerts.sent import sent_between
from core.clock import utcnow
from core.database import Database
from tests.alerts.conftest import OFFICER_A, OFFICER_B, add_subscribers, published_alert


def _set_status(db: Database, alert_id: int, channel: str, status: str, n: int) -> None:
    with db.session() as s:
        ids = s.scalars(
            select(OutboxItem.id)
            .where(
                OutboxItem.alert_id == alert_id,
                OutboxItem.channel == channel,
                OutboxItem.status == "pending",
            )
            .limit(n)
        ).all()
        s.execute(update(OutboxItem).where(OutboxItem.id.in_(ids)).values(status=status))


def test_reach_per_channel_and_status_of_alerts_published_in_the_period(
    database: Database,
) -> None:
    add_subscribers(database, 5, "web")
    add_subscribers(database, 3, "wechat")
    first = published_alert(database, title="冒充公检法")
    _set_status(database, first, "web", "delivered", 4)
    _set_status(database, first, "wechat", "delivered", 1)
    _set_status(database, first, "wechat", "undeliverable", 2)
    second = published_alert(database, title="保健品骗局", scam_type="health_products")
    with database.session() as s:
        lifecycle.retract(s, OFFICER_A, second, "发错了")  # its corrections are not reach
    now = utcnow()

    sent = sent_between(database, now - timedelta(days=1), now + timedelta(minutes=1))

    assert [(a.title, a.status) for a in sent] == [
        ("冒充公检法", "published"),
        ("保健品骗局", "retracted"),
    ]
    assert sent[0].reach == {
        "web": {"delivered": 4, "pending": 1},
        "wechat": {"delivered": 1, "undeliverable": 2},
    }
    assert sum(sum(by.values()) for by in sent[1].reach.values()) == 8
    assert sent[0].published_at is not None and sent[0].published_at.tzinfo is not None


def test_alerts_outside_the_period_and_drafts_are_left_out(database: Database) -> None:
    add_subscribers(database, 2, "web")
    old = published_alert(database, title="去年的提醒")
    with database.session() as s:
        s.execute(
            update(Alert).where(Alert.id == old).values(published_at=utcnow() - timedelta(days=9))
        )
        draft = lifecycle.draft(
            s,
            OFFICER_B,
            title="草稿",
            body="还没发。",
            scam_type="impersonate_police",
            districts=[],
            expires_at=utcnow() + timedelta(days=3),
        )
        assert draft.published_at is None
    now = utcnow()
    assert sent_between(database, now - timedelta(days=7), now + timedelta(minutes=1)) == []
    older = sent_between(database, now - timedelta(days=10), now - timedelta(days=8))
    assert [a.title for a in older] == ["去年的提醒"]
