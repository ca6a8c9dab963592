"""Delivery worker against a real SQLite outbox, with the bot and WeChat scripted."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select, update

from alerts import lifecycle, subscriptions
from alerts.context import AlertContext
from alerts.models import OutboxItem, Receipt
from alerts.outbox import claim
from alerts.worker import DeliveryWorker
from app.bootstrap import wechat_renderer
from core.clock import utcnow
from tests.alerts.conftest import (
    OFFICER_A,
    ScriptedBot,
    add_subscribers,
    fast_settings,
    published_alert,
    worker,
)

RENDER = wechat_renderer("12345")


async def drain(worker: DeliveryWorker, rounds: int = 50) -> None:
    for _ in range(rounds):
        if not await worker.run_once():
            return


def statuses(database) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return dict(
            s.execute(select(OutboxItem.status, func.count()).group_by(OutboxItem.status)).all()
        )


def receipt_users(database) -> list[str]:  # type: ignore[no-untyped-def]
    with database.session() as s:
        return sorted(s.scalars(select(Receipt.user_id)))


def alert_code(database, alert_id: int) -> str:  # type: ignore[no-untyped-def]
    from alerts.models import Alert

    with database.session() as s:
        return str(s.get(Alert, alert_id).public_code)


async def test_one_render_reaches_every_web_subscriber_and_their_conversation(database) -> None:  # type: ignore[no-untyped-def]
    add_subscribers(database, 30)
    code = alert_code(database, published_alert(database))
    bot = ScriptedBot()
    await drain(worker(database, bot, fast_settings()))
    assert statuses(database) == {"delivered": 30}
    assert len(bot.calls) == 1  # rendered once, in a system conversation
    sender, intent, entities = bot.calls[0]
    assert sender.startswith("system:alert-render:") and intent == "EXTERNAL_fraud_alert"
    assert set(entities) == {"alert_code", "alert_title", "alert_body", "alert_kind"}
    assert bot.appends == []  # nothing per subscriber in Rasa at delivery time
    with database.session() as s:
        receipts = list(s.scalars(select(Receipt)))
    assert sorted(r.user_id for r in receipts) == [f"user{i:04d}" for i in range(30)]
    assert {r.payload["messages"][0]["text"] for r in receipts} == {"【防骗提醒】冒充公检法电话"}
    assert {r.render_id for r in receipts} == {1} and {r.recorded_at for r in receipts} == {None}

    # Before a subscriber's next turn the alert's turn enters their conversation, once.
    context = AlertContext(database, bot)
    await context.before_turn("web:user0007")
    await context.before_turn("web:user0007")
    assert bot.appends == ["web:user0007"]
    assert bot.slot("web:user0007", "alert_code") == code
    assert all("timestamp" not in e for e in bot.conversations["web:user0007"])
    assert bot.conversations["web:user0007"][0]["event"] == "user"
    with database.session() as s:
        recorded = s.scalars(select(Receipt.user_id).where(Receipt.recorded_at.is_not(None)))
        assert list(recorded) == ["user0007"]
    await context.before_turn("web:not-a-subscriber")
    assert bot.appends == ["web:user0007"]


async def test_the_old_path_triggers_one_turn_per_subscriber(database) -> None:  # type: ignore[no-untyped-def]
    add_subscribers(database, 12)
    code = alert_code(database, published_alert(database))
    bot = ScriptedBot()
    await drain(DeliveryWorker(database, bot, fast_settings(fanout=False)))
    assert statuses(database) == {"delivered": 12}
    assert sorted(c[0] for c in bot.calls) == [f"web:user{i:04d}" for i in range(12)]
    assert all(bot.slot(c[0], "alert_code") == code for c in bot.calls)
    with database.session() as s:  # the trigger recorded it: nothing left to attach
        assert s.scalar(select(func.count()).where(Receipt.recorded_at.is_(None))) == 0
    await AlertContext(database, bot).before_turn("web:user0003")
    assert bot.appends == []


def test_fanout_needs_the_tracker_events_api(database) -> None:  # type: ignore[no-untyped-def]
    import pytest

    with pytest.raises(ValueError, match="tracker events"):
        DeliveryWorker(database, ScriptedBot(), fast_settings())


async def test_two_workers_never_deliver_the_same_row(database) -> None:  # type: ignore[no-untyped-def]
    add_subscribers(database, 60)
    published_alert(database)
    bot = ScriptedBot()
    a = worker(database, bot, fast_settings(batch_size=7))
    b = worker(database, bot, fast_settings(batch_size=5))
    await asyncio.gather(drain(a, 100), drain(b, 100))
    assert statuses(database) == {"delivered": 60}
    assert receipt_users(database) == sorted(f"user{i:04d}" for i in range(60))  # once each
    assert 1 <= len(bot.calls) <= 2  # each worker renders at most once; one render is stored
    with database.session() as s:
        from alerts.models import AlertRender

        assert s.scalar(select(func.count()).select_from(AlertRender)) == 1
    assert a.delivered > 0 and b.delivered > 0


async def test_bot_failures_are_retried_then_given_up(database) -> None:  # type: ignore[no-untyped-def]
    add_subscribers(database, 1)
    published_alert(database)
    bot = ScriptedBot(failures=2)
    await drain(worker(database, bot, fast_settings(max_attempts=3)))
    assert statuses(database) == {"delivered": 1}
    assert len(bot.calls) == 3

    published_alert(database)
    bot = ScriptedBot(failures=10)
    await drain(worker(database, bot, fast_settings(max_attempts=3)))
    assert statuses(database) == {"delivered": 1, "failed": 1}
    assert len(bot.calls) == 3


async def test_backoff_delays_the_next_attempt(database) -> None:  # type: ignore[no-untyped-def]
    add_subscribers(database, 1)
    published_alert(database)
    w = worker(
        database, ScriptedBot(failures=1), fast_settings(backoff_base_s=60, backoff_max_s=300)
    )
    await w.run_once()
    with database.session() as s:
        item = s.scalars(select(OutboxItem)).one()
        assert item.status == "pending" and item.attempts == 1
        assert "scripted failure" in (item.last_error or "")
        from core.clock import as_utc

        assert as_utc(item.next_attempt_at) > utcnow() + timedelta(seconds=40)
    assert await w.run_once() == 0  # not due yet


async def test_a_dead_workers_rows_are_reclaimed_without_a_second_push(database) -> None:  # type: ignore[no-untyped-def]
    add_subscribers(database, 3)
    published_alert(database)
    # A worker claims everything and dies after pushing the first row but before settling it.
    claimed = claim(database, 10, lease_s=30)
    assert len(claimed) == 3
    with database.session() as s:
        first = s.get(OutboxItem, claimed[0])
        s.add(
            Receipt(
                idempotency_key=first.idempotency_key,
                alert_id=first.alert_id,
                kind="alert",
                channel="web",
                user_id=first.user_id,
                payload={},
            )
        )
    bot = ScriptedBot()
    w = worker(database, bot, fast_settings())
    assert await w.run_once() == 0  # leases still running
    with database.session() as s:
        s.execute(update(OutboxItem).values(lease_until=utcnow() - timedelta(seconds=1)))
    await drain(w)
    assert statuses(database) == {"delivered": 3}
    with database.session() as s:  # the already-received row is not pushed again
        assert s.scalar(select(func.count()).where(Receipt.render_id.is_not(None))) == 2
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(Receipt)) == 3


class FakeWeChat:
    def __init__(self, errcode: int = 0) -> None:
        self.sent: list[tuple[str, str]] = []
        self.errcode = errcode

    async def send_text(self, openid: str, text: str) -> None:
        if self.errcode:
            exc = RuntimeError("wechat error")
            exc.errcode = self.errcode  # type: ignore[attr-defined]
            raise exc
        self.sent.append((openid, text))


async def test_wechat_respects_the_48_hour_window(database) -> None:  # type: ignore[no-untyped-def]
    subscriptions.subscribe(database, "wechat", "fresh")
    subscriptions.subscribe(database, "wechat", "stale")
    subscriptions.touch(database, "wechat", "stale", when=utcnow() - timedelta(hours=50))
    published_alert(database)
    wechat = FakeWeChat()
    bot = ScriptedBot()
    await drain(worker(database, bot, fast_settings(), wechat=wechat, wechat_renderer=RENDER))
    assert [openid for openid, _ in wechat.sent] == ["fresh"]
    assert receipt_users(database) == ["fresh"]
    with database.session() as s:
        stale = s.scalars(select(OutboxItem).where(OutboxItem.user_id == "stale")).one()
        assert stale.status == "undeliverable" and "48-hour" in (stale.last_error or "")


async def test_wechat_45015_is_recorded_as_not_deliverable(database) -> None:  # type: ignore[no-untyped-def]
    subscriptions.subscribe(database, "wechat", "o1")
    published_alert(database)
    await drain(
        worker(
            database,
            ScriptedBot(),
            fast_settings(),
            wechat=FakeWeChat(45015),
            wechat_renderer=RENDER,
        )
    )
    with database.session() as s:
        item = s.scalars(select(OutboxItem)).one()
        assert item.status == "undeliverable" and "45015" in (item.last_error or "")


async def test_retraction_sends_corrections_only_to_receivers(database) -> None:  # type: ignore[no-untyped-def]
    add_subscribers(database, 4)
    alert_id = published_alert(database)
    bot = ScriptedBot()
    w = worker(database, bot, fast_settings(batch_size=2))
    await w.run_once()  # two of four received it
    with database.session() as s:
        lifecycle.retract(s, OFFICER_A, alert_id, "")
    await drain(w)
    with database.session() as s:
        kinds = dict(
            s.execute(
                select(OutboxItem.kind, func.count())
                .where(OutboxItem.status == "delivered")
                .group_by(OutboxItem.kind)
            ).all()
        )
    assert kinds == {"alert": 2, "correction": 2}
    assert [c[2]["alert_kind"] for c in bot.calls] == ["alert", "correction"]  # one render each
    with database.session() as s:
        got = {
            k: sorted(s.scalars(select(Receipt.user_id).where(Receipt.kind == k)))
            for k in ("alert", "correction")
        }
    assert got["alert"] == got["correction"]  # corrections go to who received it
    context = AlertContext(database, bot)
    for user in got["alert"]:  # their next turn learns both, the correction last
        await context.before_turn(f"web:{user}")
        assert bot.slot(f"web:{user}", "alert_kind") == "correction"


def test_wechat_failures_are_classified_by_errcode_for_every_exception_class() -> None:
    """The channel's typed exceptions, their subclasses and plain ``errcode`` carriers are
    treated alike; alerts' codes are the channel's codes."""
    from alerts.wechat_delivery import OUTSIDE_WINDOW, USER_GONE, wechat_final_reason
    from channels.wechat import customer_service as cs

    assert OUTSIDE_WINDOW == cs.OUTSIDE_WINDOW and USER_GONE == cs.USER_GONE

    class LaterWindowError(cs.OutsideServiceWindow):
        pass

    window = "WeChat 45015: outside the 48-hour window"
    assert wechat_final_reason(cs.OutsideServiceWindow(45015, "")) == window
    assert wechat_final_reason(LaterWindowError(45015, "")) == window
    assert wechat_final_reason(cs.WeChatAPIError(45015, "")) == window
    for code in (43004, 40003):
        gone = f"WeChat {code}: user unsubscribed or unknown"
        assert wechat_final_reason(cs.UserUnreachable(code, "")) == gone
        assert wechat_final_reason(cs.WeChatAPIError(code, "")) == gone
    assert wechat_final_reason(cs.WeChatAPIError(0, "transport")) is None
    assert wechat_final_reason(cs.WeChatAPIError(-1, "busy")) is None
    assert wechat_final_reason(RuntimeError("no code")) is None
