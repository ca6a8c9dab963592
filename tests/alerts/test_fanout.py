"""Render once, fan out: renders per (alert, kind, district), stored across restarts; the
alert's turn in every subscriber's conversation; district names as the bot has them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from alerts import lifecycle, subscriptions
from alerts.catalog import load_catalog
from alerts.context import AlertContext
from alerts.fanout import RenderRefused, turn_events
from alerts.models import AlertRender, OutboxItem, Receipt
from core.messages import BotMessage
from tests.alerts.conftest import OFFICER_A, ScriptedBot, fast_settings, published_alert, worker
from tests.alerts.test_worker import alert_code, drain, receipt_users, statuses

ROOT = Path(__file__).resolve().parents[2]


async def test_one_render_per_district_and_each_subscriber_gets_their_districts(database) -> None:  # type: ignore[no-untyped-def]
    subscriptions.subscribe(database, "web", "gx1", district="高新区")
    subscriptions.subscribe(database, "web", "gx2", district="高新区")
    subscriptions.subscribe(database, "web", "cq1", district="城区")
    subscriptions.subscribe(database, "web", "any1")
    code = alert_code(database, published_alert(database))
    bot = ScriptedBot()
    await drain(worker(database, bot, fast_settings()))
    assert statuses(database) == {"delivered": 4}
    assert sorted(c[0] for c in bot.calls) == [
        f"system:alert-render:1:alert:{d}" for d in sorted(["all", "城区", "高新区"])
    ]
    context = AlertContext(database, bot)
    for user in ("gx1", "gx2", "cq1", "any1"):
        await context.before_turn(f"web:{user}")
        assert bot.slot(f"web:{user}", "alert_code") == code
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(AlertRender)) == 3


async def test_a_stored_render_is_not_rendered_again_after_a_restart(database) -> None:  # type: ignore[no-untyped-def]
    for i in range(10):
        subscriptions.subscribe(database, "web", f"r{i}")
    published_alert(database)
    bot = ScriptedBot()
    first = worker(database, bot, fast_settings(batch_size=4))
    await first.run_once()  # the worker "dies" after one batch
    assert statuses(database) == {"delivered": 4, "pending": 6}
    second = worker(database, bot, fast_settings())  # a new process: empty memory
    await drain(second)
    assert statuses(database) == {"delivered": 10}
    assert len(bot.calls) == 1 and first.renderer and first.renderer.rendered == 1
    assert second.renderer is not None and second.renderer.rendered == 0
    assert receipt_users(database) == sorted(f"r{i}" for i in range(10))


class RefusingBot(ScriptedBot):
    """The bot answers but does not show the alert (e.g. it refused the code)."""

    async def trigger(
        self, sender_id: str, intent: str, entities: dict[str, object] | None = None
    ) -> list[BotMessage]:
        self.calls.append((sender_id, intent, dict(entities or {})))
        self.conversations[sender_id] += [
            {"event": "user", "parse_data": {"intent": {"name": intent}}},
            {"event": "bot", "text": "对不起，我没听懂。"},
        ]
        return [BotMessage(text="对不起，我没听懂。")]


async def test_a_refused_render_is_retried_and_never_delivered(database) -> None:  # type: ignore[no-untyped-def]
    subscriptions.subscribe(database, "web", "u1")
    published_alert(database)
    bot = RefusingBot()
    await drain(worker(database, bot, fast_settings(max_attempts=2)))
    assert statuses(database) == {"failed": 1}
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(Receipt)) == 0
        assert s.scalar(select(func.count()).select_from(AlertRender)) == 0
        assert "did not show" in (s.scalars(select(OutboxItem.last_error)).one() or "")


async def test_a_failed_attach_does_not_stop_the_turn_and_is_tried_again(database) -> None:  # type: ignore[no-untyped-def]
    subscriptions.subscribe(database, "web", "u1")
    code = alert_code(database, published_alert(database))
    bot = ScriptedBot()
    await drain(worker(database, bot, fast_settings()))
    context = AlertContext(database, bot)
    bot.failures = 1
    await context.before_turn("web:u1")  # Rasa fails: logged, not raised
    assert bot.slot("web:u1", "alert_code") is None
    await context.before_turn("web:u1")
    assert bot.slot("web:u1", "alert_code") == code
    assert bot.appends == ["web:u1", "web:u1"]
    with database.session() as s:
        assert s.scalar(select(func.count()).where(Receipt.recorded_at.is_(None))) == 0


async def test_a_batch_whose_receipt_already_exists_is_written_row_by_row(database) -> None:  # type: ignore[no-untyped-def]
    from alerts.outbox import Delivery, claim, deliver_many

    for i in range(3):
        subscriptions.subscribe(database, "web", f"b{i}")
    published_alert(database)
    ids = claim(database, 10, lease_s=30)
    with database.session() as s:
        items = [s.get(OutboxItem, i) for i in ids]
        s.expunge_all()
    assert deliver_many(database, [Delivery(items[0], {"n": 0})]) == 1
    # The whole batch again (a second attempt): only the two missing receipts are written.
    assert deliver_many(database, [Delivery(it, {"n": n}) for n, it in enumerate(items)]) == 2
    assert statuses(database) == {"delivered": 3}
    assert receipt_users(database) == ["b0", "b1", "b2"]


async def test_retraction_reaches_everyone_who_received_the_fanned_out_alert(database) -> None:  # type: ignore[no-untyped-def]
    for i in range(6):
        subscriptions.subscribe(database, "web", f"c{i}")
    alert_id = published_alert(database)
    bot = ScriptedBot()
    w = worker(database, bot, fast_settings(batch_size=4))
    await w.run_once()
    with database.session() as s:
        _, queued = lifecycle.retract(s, OFFICER_A, alert_id, "这条提醒发错了。")
    assert queued == 4
    await drain(w)
    with database.session() as s:
        rows = s.execute(
            select(OutboxItem.kind, OutboxItem.status, func.count()).group_by(
                OutboxItem.kind, OutboxItem.status
            )
        ).all()
        texts = {
            p["messages"][0]["text"]
            for p in s.scalars(select(Receipt.payload).where(Receipt.kind == "correction"))
        }
    assert sorted(rows) == [
        ("alert", "cancelled", 2),
        ("alert", "delivered", 4),
        ("correction", "delivered", 4),
    ]
    assert len(texts) == 1
    assert bot.calls[-1][2]["alert_body"] == "这条提醒发错了。"


def test_turn_events_start_at_the_alert_turn_without_timestamps() -> None:
    events = [
        {"event": "action", "name": "action_session_start", "timestamp": 1.0},
        {"event": "session_started", "timestamp": 1.0},
        {"event": "user", "timestamp": 2.0, "parse_data": {"intent": {"name": "greet"}}},
        {
            "event": "user",
            "timestamp": 3.0,
            "parse_data": {"intent": {"name": "EXTERNAL_fraud_alert"}},
        },
        {"event": "slot", "timestamp": 3.1, "name": "alert_code", "value": "YQ7KMA"},
        {"event": "action", "timestamp": 3.2, "name": "action_listen"},
    ]
    turn = turn_events(events)
    assert [e["event"] for e in turn] == ["user", "slot", "action"]
    assert all("timestamp" not in e for e in turn)
    with pytest.raises(RenderRefused):
        turn_events(events[:3])


def test_alert_districts_are_the_bots_district_names() -> None:
    """Officers target the districts residents name to the bot (高新区, not 开发区)."""
    guides = yaml.safe_load((ROOT / "actions" / "data" / "guides.yml").read_text("utf-8"))
    bot_districts = [option["value"] for option in guides["meal_district"]]
    assert list(load_catalog().districts) == bot_districts
    assert "高新区" in bot_districts and "开发区" not in bot_districts


def test_an_alert_for_an_unknown_district_name_is_refused(database) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(lifecycle.LifecycleError, match="开发区"):
        published_alert(database, districts=["开发区"])


async def test_a_district_alert_reaches_only_that_district_and_the_undistricted(database) -> None:  # type: ignore[no-untyped-def]
    subscriptions.subscribe(database, "web", "gx", district="高新区")
    subscriptions.subscribe(database, "web", "kq", district="矿区")
    subscriptions.subscribe(database, "web", "none")
    published_alert(database, districts=["高新区"])
    with database.session() as s:
        users = sorted(s.scalars(select(OutboxItem.user_id)))
    assert users == ["gx", "none"]
