"""The three WeChat paths of a fraud alert, through the real delivery worker (as the
composition root builds it), a real SQLite outbox and the fake of WeChat's API server:

* in the 48-hour window: a customer-service message, buttons as "回复 1 ...";
* outside it: a template message;
* template quota spent (45009): template rows pause with the reason recorded, then resume
  by themselves after the reset, each subscriber getting exactly one message.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from alerts import subscriptions
from alerts.models import Alert, OutboxItem, Receipt
from alerts.wechat_reach import remaining_template_quota, wechat_reach
from alerts.worker import DeliveryWorker
from app.bootstrap import delivery_worker
from channels.wechat.customer_service import CustomerServiceClient
from core.clock import TIMEZONE, utcnow
from core.database import Database
from core.messages import BotMessage, Button
from core.settings import Settings, WeChatTemplateSettings
from tests.alerts.conftest import ScriptedBot, fast_settings, published_alert
from tests.channels.wechat.conftest import APP_ID, APP_SECRET
from tests.channels.wechat.fake_wechat_api import FakeWeChatServer

TEMPLATE_ID = "tmpl-fraud-alert"


class AlertBot(ScriptedBot):
    """Stands in for ``Conversation.trigger`` and Rasa's tracker events API (the fan-out
    renders the alert once through them): answers as ``utter_fraud_alert`` does."""

    def __init__(self) -> None:
        super().__init__()
        self.rasa = self  # ``Conversation.rasa``: the tracker events API

    async def trigger(
        self, sender_id: str, intent: str, entities: dict[str, object] | None = None
    ) -> list[BotMessage]:
        await super().trigger(sender_id, intent, entities)  # the turn, as Rasa keeps it
        e = entities or {}
        text = f"【防骗提醒】{e.get('alert_title')}\n{e.get('alert_body')}\n提醒编号：{e.get('alert_code')}。"
        buttons = [Button(title="这个提醒是什么意思", payload="/ask_alert_meaning")]
        return [BotMessage(text=text, buttons=buttons)]


def app_settings(fake: FakeWeChatServer, **template: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        wechat_api_base=fake.url,
        wechat_app_id=APP_ID,
        wechat_app_secret=APP_SECRET,
        public_base_url="https://yinfa.example.cn",
        alerts=fast_settings(max_attempts=3),
        wechat_template=WeChatTemplateSettings(id=TEMPLATE_ID, **template),
    )


def subscribe(database: Database, openid: str, *, hours_ago: float) -> None:
    subscriptions.subscribe(database, "wechat", openid)
    subscriptions.touch(database, "wechat", openid, when=utcnow() - dt.timedelta(hours=hours_ago))


def rows(database: Database, alert_id: int | None = None) -> dict[str, tuple[str, str]]:
    """Outbox rows by openid: status and reason (of one alert, or of the only one)."""
    query = select(OutboxItem)
    if alert_id is not None:
        query = query.where(OutboxItem.alert_id == alert_id)
    with database.session() as s:
        return {r.user_id: (r.status, r.last_error or "") for r in s.scalars(query)}


async def drain(worker: DeliveryWorker, rounds: int = 30) -> None:
    for _ in range(rounds):
        if not await worker.run_once():
            return


async def wait_for(check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_in_window_a_customer_service_message_outside_a_template(
    database: Database, fake_wechat: FakeWeChatServer
) -> None:
    fake_wechat.state.templates.add(TEMPLATE_ID)
    subscribe(database, "oFresh", hours_ago=2)
    subscribe(database, "oStale", hours_ago=50)
    alert_id = published_alert(database)
    settings = app_settings(fake_wechat)
    before = wechat_reach(database, settings, alert_id)
    assert (before.in_window, before.outside_window, before.not_deliverable) == (1, 1, 0)
    client = CustomerServiceClient(fake_wechat.url, APP_ID, APP_SECRET)
    bot = AlertBot()
    await drain(delivery_worker(settings, database, bot, client))
    await client.aclose()

    assert rows(database) == {"oFresh": ("delivered", ""), "oStale": ("delivered", "")}
    assert len(bot.calls) == 1  # rendered once, in the render conversation
    with database.session() as s:  # both conversations get it before their next message
        renders = s.scalars(select(Receipt.render_id)).all()
    assert len(renders) == 2 and None not in renders
    [service] = fake_wechat.state.sent
    assert (
        service["touser"] == "oFresh" and "回复 1：这个提醒是什么意思" in service["text"]["content"]
    )
    [template] = fake_wechat.state.template_sent
    assert template["touser"] == "oStale" and template["template_id"] == TEMPLATE_ID
    assert template["url"] == "https://yinfa.example.cn/"
    with database.session() as s:
        code = s.scalar(select(Alert.public_code))
        payloads = {r.user_id: r.payload for r in s.scalars(select(Receipt))}
    assert code is not None and template["data"]["character_string3"]["value"] == code
    assert (
        "parts" in payloads["oFresh"] and payloads["oStale"]["template"]["data"] == template["data"]
    )
    assert remaining_template_quota(database, settings).used == 1


async def test_a_window_closed_at_wechat_falls_back_to_a_template(
    database: Database, fake_wechat: FakeWeChatServer
) -> None:
    fake_wechat.state.templates.add(TEMPLATE_ID)
    fake_wechat.state.window_closed.add("oEdge")  # our clock says yes, WeChat says 45015
    subscribe(database, "oEdge", hours_ago=47.9)
    published_alert(database)
    client = CustomerServiceClient(fake_wechat.url, APP_ID, APP_SECRET)
    await drain(delivery_worker(app_settings(fake_wechat), database, AlertBot(), client))
    await client.aclose()
    assert rows(database) == {"oEdge": ("delivered", "")}
    assert fake_wechat.state.sent == [] and fake_wechat.state.template_openids() == ["oEdge"]


async def test_template_refusals_are_recorded_with_wechats_code(
    database: Database, fake_wechat: FakeWeChatServer
) -> None:
    """43004: never deliverable. 40037 (template id wrong): retried, then failed with the
    reason; nothing is marked delivered that was not sent."""
    fake_wechat.state.templates.add(TEMPLATE_ID)
    fake_wechat.state.unsubscribed.add("oGone")
    subscribe(database, "oGone", hours_ago=60)
    first = published_alert(database)
    client = CustomerServiceClient(fake_wechat.url, APP_ID, APP_SECRET)
    settings = app_settings(fake_wechat)
    await drain(delivery_worker(settings, database, AlertBot(), client))
    assert rows(database, first) == {
        "oGone": ("undeliverable", "WeChat 43004: user unsubscribed or unknown")
    }

    fake_wechat.state.templates.clear()  # the account deleted the template
    subscribe(database, "oOther", hours_ago=60)
    second = published_alert(database, title="冒充客服退款")
    await drain(delivery_worker(settings, database, AlertBot(), client))
    await client.aclose()
    status, reason = rows(database, second)["oOther"]
    assert status == "failed" and "40037" in reason
    assert len([a for a in fake_wechat.state.template_attempts if a["touser"] == "oOther"]) == 3
    assert fake_wechat.state.template_sent == []


def _reset_in(seconds: float) -> dt.time:
    """The Asia/Shanghai time of day ``seconds`` from now (a quota reset that comes soon)."""
    return (dt.datetime.now(TIMEZONE) + dt.timedelta(seconds=seconds)).time().replace(microsecond=0)


async def test_a_spent_quota_pauses_template_sends_until_the_reset_then_resumes(
    database: Database, fake_wechat: FakeWeChatServer
) -> None:
    fake_wechat.state.templates.add(TEMPLATE_ID)
    fake_wechat.state.template_quota = 3  # WeChat lets three a day through
    openids = [f"oOut{i}" for i in range(5)]
    for openid in openids:
        subscribe(database, openid, hours_ago=72)
    subscribe(database, "oFresh", hours_ago=1)
    alert_id = published_alert(database)
    settings = app_settings(fake_wechat, quota_reset=_reset_in(15), daily_quota=100)
    client = CustomerServiceClient(fake_wechat.url, APP_ID, APP_SECRET)
    worker = delivery_worker(settings, database, AlertBot(), client)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop))
    try:
        await wait_for(
            lambda: len([r for r in rows(database).values() if r[0] == "delivered"]) == 4, 8
        )
        await wait_for(lambda: all(s != "in_progress" for s, _ in rows(database).values()), 3)
        paused = {u: r for u, r in rows(database).items() if r[0] == "pending"}
        assert len(paused) == 2
        assert all(reason.startswith("paused: WeChat 45009") for _, reason in paused.values())
        assert rows(database)["oFresh"] == ("delivered", "")  # customer service is not paused
        quota = remaining_template_quota(database, settings)
        assert quota.paused and quota.remaining == 0 and quota.used == 3
        reach = wechat_reach(database, settings, alert_id)
        assert reach.beyond_quota_today == 5 and not reach.reaches_everyone_today
        attempts = len(fake_wechat.state.template_attempts)
        await asyncio.sleep(1.0)
        assert len(fake_wechat.state.template_attempts) == attempts  # nobody knocks while paused

        fake_wechat.state.reset_quota()  # WeChat's new day
        await wait_for(lambda: all(s == "delivered" for s, _ in rows(database).values()), 45)
    finally:
        stop.set()
        await task
        await client.aclose()
    assert sorted(fake_wechat.state.template_openids()) == openids  # each exactly once
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(Receipt)) == 6
    after = remaining_template_quota(database, settings)
    assert not after.paused and after.used == 2 and after.remaining == 98
