"""Whom an alert reaches on WeChat today, and the template quota in the database."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import update

from alerts import subscriptions
from alerts.models import Subscription
from alerts.wechat_reach import (
    next_reset,
    pause_templates,
    quota_day,
    record_template_sent,
    remaining_template_quota,
    wechat_reach,
)
from core.clock import utcnow
from core.database import Database
from core.settings import PLACEHOLDER, Settings, WeChatTemplateSettings
from tests.alerts.conftest import published_alert

UTC = dt.timezone.utc


def settings(**template: object) -> Settings:
    values: dict[str, object] = {"id": "tmpl-fraud-alert", **template}
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        wechat_app_secret="a-real-secret",
        wechat_template=WeChatTemplateSettings.model_validate(values),
    )


def test_a_quota_day_starts_at_the_reset_time_in_shanghai() -> None:
    midnight = dt.time(0, 0)
    assert quota_day(midnight, dt.datetime(2026, 12, 2, 15, 59, tzinfo=UTC)) == dt.date(2026, 12, 2)
    assert quota_day(midnight, dt.datetime(2026, 12, 2, 16, 0, tzinfo=UTC)) == dt.date(2026, 12, 3)
    assert next_reset(midnight, dt.datetime(2026, 12, 2, 3, 0, tzinfo=UTC)) == dt.datetime(
        2026, 12, 2, 16, 0, tzinfo=UTC
    )
    six = dt.time(6, 0)  # 06:00 Shanghai is 22:00 UTC the day before
    assert quota_day(six, dt.datetime(2026, 12, 2, 21, 0, tzinfo=UTC)) == dt.date(2026, 12, 2)
    assert next_reset(six, dt.datetime(2026, 12, 2, 21, 0, tzinfo=UTC)) == dt.datetime(
        2026, 12, 2, 22, 0, tzinfo=UTC
    )


def subscribe(
    database: Database, openid: str, hours_ago: float, district: str | None = None
) -> None:
    subscriptions.subscribe(database, "wechat", openid, district)
    subscriptions.touch(database, "wechat", openid, when=utcnow() - dt.timedelta(hours=hours_ago))


def test_reach_counts_the_window_the_templates_and_the_quota(database: Database) -> None:
    subscribe(database, "oIn1", 1)
    subscribe(database, "oIn2", 47, "矿区")
    subscribe(database, "oOut1", 49)
    subscribe(database, "oOut2", 200, "矿区")
    subscribe(database, "oOut3", 200, "盂县")  # another district
    subscriptions.subscribe(database, "wechat", "oNever")
    with database.session() as s:  # subscribed before the time of the last message was kept
        s.execute(
            update(Subscription)
            .where(Subscription.user_id == "oNever")
            .values(last_inbound_at=None)
        )
    subscribe(database, "oLeft", 1)
    subscriptions.unsubscribe(database, "wechat", "oLeft")
    subscriptions.subscribe(database, "web", "w1")  # another channel
    alert_id = published_alert(database, districts=["矿区"])

    on = wechat_reach(database, settings(daily_quota=1), alert_id)
    assert (on.in_window, on.outside_window, on.not_deliverable) == (2, 3, 0)
    assert on.beyond_quota_today == 2 and not on.reaches_everyone_today
    assert wechat_reach(database, settings(), alert_id).reaches_everyone_today

    for off in (settings(id=""), settings().model_copy(update={"wechat_app_secret": PLACEHOLDER})):
        reach = wechat_reach(database, off, alert_id)
        assert (reach.in_window, reach.outside_window, reach.not_deliverable) == (2, 0, 3)
        assert not reach.reaches_everyone_today
    with pytest.raises(LookupError):
        wechat_reach(database, settings(), 999)


def test_the_quota_counts_sends_and_pauses_until_the_next_reset(database: Database) -> None:
    config = settings(daily_quota=10)
    now = dt.datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    with ThreadPoolExecutor(4) as pool:  # several workers count the same day
        list(
            pool.map(
                lambda _: record_template_sent(database, config.wechat_template, now), range(8)
            )
        )
    quota = remaining_template_quota(database, config, now)
    assert (quota.used, quota.remaining, quota.paused) == (8, 2, False)

    resumes = pause_templates(database, config.wechat_template, now)
    assert resumes == dt.datetime(2026, 12, 2, 16, 0, tzinfo=UTC) == quota.resets_at
    quota = remaining_template_quota(database, config, now + dt.timedelta(hours=1))
    assert (quota.used, quota.remaining, quota.paused) == (8, 0, True)
    tomorrow = remaining_template_quota(database, config, resumes)
    assert (tomorrow.used, tomorrow.remaining, tomorrow.paused) == (0, 10, False)
