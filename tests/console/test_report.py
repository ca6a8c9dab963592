"""The delivery report and the reach before publishing (``alerts.report``), on real rows:
alerts published through the lifecycle, outbox rows settled by the outbox's own functions
or given known times, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from alerts import lifecycle, outbox, report, subscriptions
from alerts.models import Alert, OutboxItem, OutboxStatus, Subscription
from core.clock import utcnow
from core.database import Database
from tests.alerts.conftest import OFFICER_A, OFFICER_B, published_alert
from tests.support.db import open_database

WINDOW_H = 48.0


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    from tests.support.postgres import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request, database: Database) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    """The SQLite test database, or a fresh schema on the module's PostgreSQL server."""
    if request.param == "sqlite":
        yield database
        return
    db = open_database(request.getfixturevalue("postgres_url"))
    try:
        yield db
    finally:
        from app.tables import metadata

        metadata.drop_all(db.engine)
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.dispose()


def _subscribe(
    db: Database,
    channel: str,
    user: str,
    district: str | None = None,
    wrote_h_ago: float | None = 0.0,
    active: bool = True,
) -> None:
    subscriptions.subscribe(db, channel, user, district)
    with db.session() as s:
        last = None if wrote_h_ago is None else utcnow() - timedelta(hours=wrote_h_ago)
        s.execute(
            update(Subscription)
            .where(Subscription.channel == channel, Subscription.user_id == user)
            .values(last_inbound_at=last, active=active)
        )


def _approved(db: Database, districts: list[str]) -> Alert:
    with db.session() as s:
        alert = lifecycle.draft(
            s,
            OFFICER_A,
            title="冒充公检法电话",
            body="有人冒充公安打电话，让转钱到“安全账户”。别信，别转。",
            scam_type="impersonate_police",
            districts=districts,
            expires_at=utcnow() + timedelta(days=1),
        )
        lifecycle.approve(s, OFFICER_B, alert.id)
        s.flush()
        s.expunge(alert)
        return alert


def _reach(db: Database, alert: Alert, quota: int | None) -> report.Reach:
    with db.session() as s:
        return report.reach(s, alert, window_h=WINDOW_H, template_quota=quota)


def test_reach_counts_each_channel_by_the_window_and_the_districts(any_db: Database) -> None:
    db = any_db
    _subscribe(db, "web", "w-city", "城区")
    _subscribe(db, "web", "w-any")  # no district: gets every alert
    _subscribe(db, "web", "w-mine", "矿区")  # another district
    _subscribe(db, "web", "w-gone", "城区", active=False)
    _subscribe(db, "wechat", "o-fresh", "城区", wrote_h_ago=1)
    _subscribe(db, "wechat", "o-edge", "城区", wrote_h_ago=WINDOW_H - 0.1)
    _subscribe(db, "wechat", "o-old", "城区", wrote_h_ago=WINDOW_H + 0.1)
    _subscribe(db, "wechat", "o-never", None, wrote_h_ago=None)
    alert = _approved(db, ["城区"])

    r = _reach(db, alert, None)
    assert (r.web, r.wechat_in_window, r.wechat_outside_window) == (2, 2, 2)
    assert r.total == 6 and r.window_h == WINDOW_H
    assert r.template_quota is None and r.short_today is None and r.warn  # unknown quota

    enough, short = _reach(db, alert, 2), _reach(db, alert, 1)
    assert (enough.short_today, enough.warn) == (0, False)
    assert (short.short_today, short.warn) == (1, True)

    everywhere = _approved(db, [])
    assert _reach(db, everywhere, None).web == 3

    # The reach is exactly who publishing queues.
    with db.session() as s:
        _, queued = lifecycle.publish(s, OFFICER_B, alert.id)
    assert queued == r.total


def test_no_warning_when_every_wechat_subscriber_is_in_the_window(database: Database) -> None:
    _subscribe(database, "wechat", "o-fresh", wrote_h_ago=2)
    _subscribe(database, "web", "w-1")
    r = _reach(database, _approved(database, []), None)
    assert (r.wechat_outside_window, r.warn) == (0, False)


def _seed(db: Database, alert_id: int, published: datetime, rows: dict[str, dict]) -> None:
    """Give each subscriber's outbox row the values in ``rows`` (times in seconds)."""
    with db.session() as s:
        s.execute(update(Alert).where(Alert.id == alert_id).values(published_at=published))
        for user, values in rows.items():
            values = dict(values)
            if "at" in values:
                values["delivered_at"] = published + timedelta(seconds=values.pop("at"))
            s.execute(
                update(OutboxItem)
                .where(OutboxItem.alert_id == alert_id, OutboxItem.user_id == user)
                .values(**values)
            )


DELIVERED = OutboxStatus.DELIVERED


def test_report_of_seeded_deliveries(any_db: Database) -> None:
    db = any_db
    for user in ("w1", "w2", "w3", "w4"):
        _subscribe(db, "web", user)
    for user in ("o1", "o2", "o3"):
        _subscribe(db, "wechat", user)
    alert_id = published_alert(db)
    published = datetime(2026, 12, 1, 8, 0, 0, tzinfo=timezone.utc)
    window = "outside WeChat 48-hour window (no message from the user)"
    _seed(
        db,
        alert_id,
        published,
        {
            "w1": {"status": DELIVERED, "attempts": 1, "at": 10},
            "w2": {"status": DELIVERED, "attempts": 1, "at": 20},
            "w3": {"status": DELIVERED, "attempts": 2, "at": 30},
            "w4": {"status": OutboxStatus.PENDING, "attempts": 2, "last_error": "bot: down"},
            "o1": {"status": DELIVERED, "attempts": 1, "at": 5},
            "o2": {"status": OutboxStatus.UNDELIVERABLE, "attempts": 1, "last_error": window},
            "o3": {"status": OutboxStatus.FAILED, "attempts": 3, "last_error": "wechat: timeout"},
        },
    )
    with db.session() as s:
        r = report.delivery_report(s, s.get(Alert, alert_id), template_quota=7)

    assert r.total == 7 and r.template_quota == 7
    assert r.counts == {
        "web": {"delivered": 3, "pending": 1},
        "wechat": {"delivered": 1, "undeliverable": 1, "failed": 1},
    }
    assert r.corrections == {}
    assert [(x.status, x.code, x.count) for x in r.reasons] == [
        (OutboxStatus.FAILED, "other", 1),
        (OutboxStatus.UNDELIVERABLE, "window", 1),
    ]
    assert (r.retries.retried, r.retries.extra_attempts, r.retries.waiting) == (3, 4, 1)
    assert r.retries.next_retry_at is not None

    # 7 recipients: half is the 4th delivery (at 30 s); 90 % and 100 % are not reached.
    assert [(m.share, m.needed, m.seconds) for m in r.milestones] == [
        (50, 4, 30.0),
        (90, 7, None),
        (100, 7, None),
    ]
    t = r.timeline
    assert t.bucket_s == 1 and t.seconds[0] == 0 and t.seconds[-1] == 31
    web = next(x for x in t.series if x.channel == "web")
    wechat = next(x for x in t.series if x.channel == "wechat")
    at = {second: i for i, second in enumerate(t.seconds)}
    assert [web.counts[at[x]] for x in (0, 10, 11, 21, 31)] == [0, 0, 1, 2, 3]
    assert [wechat.counts[at[x]] for x in (5, 6, 31)] == [0, 1, 1]


def test_milestones_and_buckets_of_a_long_broadcast(database: Database) -> None:
    users = [f"w{i}" for i in range(10)]
    for user in users:
        _subscribe(database, "web", user)
    alert_id = published_alert(database)
    published = datetime(2026, 12, 1, 8, 0, 0, tzinfo=timezone.utc)
    # One delivery a minute: the 5th after 5 min, the 9th after 9, the last after 10.
    _seed(
        database,
        alert_id,
        published,
        {u: {"status": DELIVERED, "at": 60 * (i + 1)} for i, u in enumerate(users)},
    )
    with database.session() as s:
        r = report.delivery_report(s, s.get(Alert, alert_id))
    assert [m.seconds for m in r.milestones] == [300.0, 540.0, 600.0]
    assert r.timeline.bucket_s == 10  # 600 s would be 121 buckets of 5: over 120
    assert len(r.timeline.seconds) == 600 // 10 + 2
    assert r.timeline.series[0].counts[-1] == 10
    assert r.template_quota is None


def test_report_follows_the_outbox_functions(database: Database) -> None:
    """Rows claimed and settled by ``alerts.outbox`` (as the worker does) show up as such."""
    for user in ("w1", "w2"):
        _subscribe(database, "web", user)
    _subscribe(database, "wechat", "o1", wrote_h_ago=100)
    alert_id = published_alert(database)
    ids = outbox.claim(database, 10, lease_s=30)
    assert len(ids) == 3
    with database.session() as s:
        items = {i.user_id: i for i in s.scalars(select(OutboxItem).where(OutboxItem.id.in_(ids)))}
        s.expunge_all()
    outbox.deliver(database, items["w1"], {"messages": []})
    outbox.retry_later(database, items["w2"], "bot: unavailable", max_attempts=3, base_s=0, max_s=0)
    outbox.settle(
        database,
        items["o1"].id,
        OutboxStatus.UNDELIVERABLE,
        "WeChat 43004: user unsubscribed or unknown",
    )
    with database.session() as s:
        r = report.delivery_report(s, s.get(Alert, alert_id))
    assert r.counts == {"web": {"delivered": 1, "pending": 1}, "wechat": {"undeliverable": 1}}
    assert [(x.code, x.count) for x in r.reasons] == [("user_gone", 1)]
    assert (r.retries.waiting, r.retries.retried) == (1, 0)
    assert r.milestones[0].needed == 2 and r.milestones[0].seconds is None
    # The delivered and the undeliverable row are both on the timeline, by their channel.
    assert _last_counts(r) == {("web", "delivered"): 1, ("wechat", "undeliverable"): 1}

    # Retracting queues a correction for the one who got it; it is counted on its own.
    with database.session() as s:
        lifecycle.retract(s, OFFICER_B, alert_id, "有误")
    with database.session() as s:
        r = report.delivery_report(s, s.get(Alert, alert_id))
    assert r.corrections == {"pending": 1}
    assert r.counts["web"] == {"delivered": 1, "cancelled": 1}
    assert _last_counts(r) == {
        ("web", "delivered"): 1,
        ("web", "cancelled"): 1,
        ("wechat", "undeliverable"): 1,
    }


def _last_counts(r: report.DeliveryReport) -> dict[tuple[str, str], int]:
    """The final cumulative count of each timeline series, by (channel, status)."""
    return {(x.channel, x.status.value): x.counts[-1] for x in r.timeline.series}


def test_timeline_times_every_final_status_from_the_outbox(any_db: Database) -> None:
    """Rows settled through ``alerts.outbox`` at different times make one series per channel
    and final status, each counting up when its rows settled."""
    database = any_db
    for user in ("w1", "w2"):
        _subscribe(database, "web", user)
    for user in ("o1", "o2", "o3"):
        _subscribe(database, "wechat", user, wrote_h_ago=100)
    alert_id = published_alert(database)
    ids = outbox.claim(database, 10, lease_s=30)
    with database.session() as s:
        items = {i.user_id: i for i in s.scalars(select(OutboxItem).where(OutboxItem.id.in_(ids)))}
        s.expunge_all()
    window = "outside WeChat 48-hour window (no message from the user)"
    outbox.deliver_many(
        database, [outbox.Delivery(items[u], {"messages": []}) for u in ("w1", "w2")]
    )
    outbox.deliver(database, items["o1"], {"messages": []})
    outbox.settle(database, items["o2"].id, OutboxStatus.UNDELIVERABLE, window)
    outbox.settle(database, items["o3"].id, OutboxStatus.UNDELIVERABLE, window)
    with database.session() as s:
        settled = dict(s.execute(select(OutboxItem.user_id, OutboxItem.settled_at)).all())
    assert all(settled[u] is not None for u in settled)

    # Spread the settle times so the series count up at known seconds after publishing.
    published = datetime(2026, 12, 1, 8, 0, 0, tzinfo=timezone.utc)
    with database.session() as s:
        s.execute(update(Alert).where(Alert.id == alert_id).values(published_at=published))
        for user, second in {"w1": 2, "w2": 4, "o1": 3, "o2": 6, "o3": 9}.items():
            when = published + timedelta(seconds=second)
            times = {"settled_at": when} | (
                {"delivered_at": when} if user in ("w1", "w2", "o1") else {}
            )
            s.execute(
                update(OutboxItem)
                .where(OutboxItem.alert_id == alert_id, OutboxItem.user_id == user)
                .values(**times)
            )
    with database.session() as s:
        r = report.delivery_report(s, s.get(Alert, alert_id))
    t = r.timeline
    assert [(x.channel, x.status) for x in t.series] == [
        ("web", OutboxStatus.DELIVERED),
        ("wechat", OutboxStatus.DELIVERED),
        ("wechat", OutboxStatus.UNDELIVERABLE),
    ]
    assert t.seconds[-1] == 10
    at = {second: i for i, second in enumerate(t.seconds)}
    web, wechat, gone = t.series
    assert [web.counts[at[x]] for x in (2, 3, 5, 10)] == [0, 1, 2, 2]
    assert [wechat.counts[at[x]] for x in (3, 4, 10)] == [0, 1, 1]
    assert [gone.counts[at[x]] for x in (6, 7, 9, 10)] == [0, 1, 1, 2]
    # Milestones stay about deliveries: 3 of 5 delivered, so 100 % is never reached.
    assert [m.seconds for m in r.milestones] == [4.0, None, None]


def test_old_delivered_rows_without_settled_at_use_delivered_at(database: Database) -> None:
    _subscribe(database, "web", "w1")
    alert_id = published_alert(database)
    published = datetime(2026, 12, 1, 8, 0, 0, tzinfo=timezone.utc)
    _seed(database, alert_id, published, {"w1": {"status": DELIVERED, "at": 7}})
    with database.session() as s:
        r = report.delivery_report(s, s.get(Alert, alert_id))
    assert _last_counts(r) == {("web", "delivered"): 1}
    assert r.timeline.seconds[-1] == 8 and r.timeline.series[0].counts[-2] == 0


def test_an_alert_without_deliveries_has_an_empty_report(database: Database) -> None:
    alert = _approved(database, [])
    with database.session() as s:
        r = report.delivery_report(s, s.get(Alert, alert.id))
    assert r.total == 0 and r.published_at is None
    assert [m.seconds for m in r.milestones] == [None, None, None]
    assert r.timeline.seconds == [] and r.timeline.series == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("outside WeChat 48-hour window (no message from the user)", "window"),
        ("WeChat 45015: outside the 48-hour window", "window"),
        ("WeChat 40003: user unsubscribed or unknown", "user_gone"),
        ("WeChat 45047: sent 1 of 3 parts", "partial"),
        ("no WeChat sender configured", "no_sender"),
        ("bot: Rasa is unavailable", "bot"),
        ("wechat: read timeout", "other"),
        (None, "other"),
    ],
)
def test_reasons_are_classified(text: str | None, code: str) -> None:
    assert report.classify(text) == code


def test_bucket_size_keeps_the_chart_small() -> None:
    assert report.bucket_size(0) == 1
    assert report.bucket_size(119) == 1
    assert report.bucket_size(120) == 2
    assert report.bucket_size(12 * 60) == 10
    assert report.bucket_size(10**9) == report.BUCKETS[-1]
