"""Lifecycle rules: two officers, states, fan-out by district, retraction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from alerts import lifecycle, subscriptions
from alerts.models import Alert, OutboxItem
from core.clock import utcnow
from core.senders import split_sender
from tests.alerts.conftest import OFFICER_A, OFFICER_B, add_subscribers, published_alert


def _draft(database, actor=OFFICER_A, **kw):  # type: ignore[no-untyped-def]
    values = {
        "title": "保健品讲座",
        "body": "免费体检送鸡蛋，然后高价卖保健品。别去，别买。",
        "scam_type": "health_products",
        "districts": [],
        "expires_at": utcnow() + timedelta(days=1),
    }
    values.update(kw)
    with database.session() as s:
        return lifecycle.draft(s, actor, **values).id


def test_the_drafting_officer_can_never_approve(database) -> None:  # type: ignore[no-untyped-def]
    alert_id = _draft(database)
    with database.session() as s, pytest.raises(lifecycle.LifecycleError) as err:
        lifecycle.approve(s, OFFICER_A, alert_id)
    assert err.value.code == "same_officer"
    with database.session() as s:
        assert lifecycle.approve(s, OFFICER_B, alert_id).approved_by == "officer_b"


def test_only_alert_officers_draft(database) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(lifecycle.LifecycleError) as err:
        _draft(database, actor=lifecycle.Actor("op", "operator"))
    assert err.value.code == "forbidden"


def test_publish_needs_approval(database) -> None:  # type: ignore[no-untyped-def]
    alert_id = _draft(database)
    with database.session() as s, pytest.raises(lifecycle.LifecycleError) as err:
        lifecycle.publish(s, OFFICER_B, alert_id)
    assert err.value.code == "bad_state"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("body", "长" * 201),
        ("title", ""),
        ("scam_type", "nope"),
        ("districts", ["火星"]),
        ("expires_at", utcnow() - timedelta(minutes=1)),
    ],
)
def test_draft_fields_are_bounded(database, field, value) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(lifecycle.LifecycleError) as err:
        _draft(database, **{field: value})
    assert err.value.code == "invalid"


def test_body_of_exactly_200_characters_is_accepted(database) -> None:  # type: ignore[no-untyped-def]
    alert_id = _draft(database, body="骗" * 200)
    with database.session() as s:
        assert len(s.get(Alert, alert_id).body) == 200


def test_public_codes_are_unique_and_never_four_digits(database) -> None:  # type: ignore[no-untyped-def]
    codes = set()
    for _ in range(30):
        with database.session() as s:
            code = lifecycle.new_code(s)
        assert code.startswith("YQ") and len(code) == 6 and not code[2:].isdigit()
        codes.add(code)
    assert len(codes) == 30
    assert lifecycle.normalize_code("收到 yq-7km3 是真的吗") == "YQ7KM3"
    assert lifecycle.normalize_code("没有编号") is None


def test_publish_fans_out_to_matching_districts_only(database) -> None:  # type: ignore[no-untyped-def]
    add_subscribers(database, 3, district="矿区")
    subscriptions.subscribe(database, "web", "anywhere")  # no district: gets everything
    subscriptions.subscribe(database, "wechat", "openid-x", district="盂县")
    subscriptions.subscribe(database, "web", "gone")
    subscriptions.unsubscribe(database, "web", "gone")
    alert_id = published_alert(database, districts=["矿区"])
    with database.session() as s:
        users = set(s.scalars(select(OutboxItem.user_id).where(OutboxItem.alert_id == alert_id)))
    assert users == {"user0000", "user0001", "user0002", "anywhere"}


def test_retract_cancels_pending_and_corrects_delivered(database) -> None:  # type: ignore[no-untyped-def]
    add_subscribers(database, 4)
    alert_id = published_alert(database)
    with database.session() as s:
        rows = list(s.scalars(select(OutboxItem).order_by(OutboxItem.id)))
        rows[0].status = "delivered"
        rows[1].status = "in_progress"
    with database.session() as s:
        _, corrections = lifecycle.retract(s, OFFICER_A, alert_id, "情况已核实，这条提醒发错了。")
    assert corrections == 2
    with database.session() as s:
        by_status = dict(
            s.execute(
                select(OutboxItem.status, func.count())
                .where(OutboxItem.kind == "alert")
                .group_by(OutboxItem.status)
            ).all()
        )
        assert by_status == {"delivered": 1, "in_progress": 1, "cancelled": 2}
        assert s.get(Alert, alert_id).status == "retracted"


def test_touch_and_window(database) -> None:  # type: ignore[no-untyped-def]
    sub, new = subscriptions.subscribe(database, "wechat", "openid-1")
    assert new
    assert subscriptions.within_window(sub, 48)
    subscriptions.touch(database, "wechat", "openid-1", when=utcnow() - timedelta(hours=49))
    with database.session() as s:
        from alerts.models import Subscription

        row = s.scalar(select(Subscription).where(Subscription.user_id == "openid-1"))
        assert not subscriptions.within_window(row, 48)
    assert split_sender("wechat:o1") == ("wechat", "o1")
    assert split_sender("web:abc") == ("web", "abc")


async def test_wechat_follow_events_open_the_window_and_unfollow_ends_alerts(database) -> None:  # type: ignore[no-untyped-def]
    from alerts.hooks import wechat_follow_hook

    subscriptions.subscribe(database, "wechat", "o9")
    subscriptions.touch(database, "wechat", "o9", when=utcnow() - timedelta(days=5))
    hook = wechat_follow_hook(database)
    await hook("wechat:o9", True)
    with database.session() as s:
        from alerts.models import Subscription

        row = s.scalar(select(Subscription).where(Subscription.user_id == "o9"))
        assert subscriptions.within_window(row, 48)
    await hook("wechat:o9", False)
    assert not subscriptions.is_subscribed(database, "wechat", "o9")
