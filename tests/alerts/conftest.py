"""Fixtures of the alert tests: a real SQLite app database and a scripted bot."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest

from alerts import lifecycle, subscriptions
from core.clock import utcnow
from core.database import Database
from core.messages import BotMessage
from core.settings import AlertSettings

OFFICER_A = lifecycle.Actor("officer_a", "alert_officer")
OFFICER_B = lifecycle.Actor("officer_b", "alert_officer")


class ScriptedBot:
    """Stands in for ``Conversation.trigger`` and Rasa's tracker events API; can fail the
    first calls (triggers and appends alike). Conversations are kept as event lists."""

    def __init__(self, failures: int = 0) -> None:
        self.calls: list[tuple[str, str, dict[str, object]]] = []
        self.appends: list[str] = []
        self.conversations: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.failures = failures

    def _maybe_fail(self) -> None:
        if self.failures > 0:
            self.failures -= 1
            from core.rasa_client import RasaUnavailable

            raise RasaUnavailable("scripted failure")

    async def trigger(
        self, sender_id: str, intent: str, entities: dict[str, object] | None = None
    ) -> list[BotMessage]:
        self.calls.append((sender_id, intent, dict(entities or {})))
        self._maybe_fail()
        values = dict(entities or {})
        text = f"【防骗提醒】{values.get('alert_title', '')}"
        self.conversations[sender_id] += [
            {"event": "user", "timestamp": 1.0, "parse_data": {"intent": {"name": intent}}},
            {"event": "action", "timestamp": 1.0, "name": "action_fraud_alert"},
            {"event": "bot", "timestamp": 1.0, "text": text},
            *(
                {"event": "slot", "timestamp": 1.0, "name": k, "value": v}
                for k, v in values.items()
            ),
            {"event": "action", "timestamp": 1.0, "name": "action_listen"},
        ]
        return [BotMessage(text=text)]

    async def tracker_events(self, sender_id: str) -> list[dict[str, Any]]:
        return list(self.conversations.get(sender_id, ()))

    async def append_events(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        self.appends.append(sender_id)
        self._maybe_fail()
        self.conversations[sender_id] += events

    def slot(self, sender_id: str, name: str) -> object:
        """The last value of a slot in a conversation, as Rasa would have it."""
        value = None
        for event in self.conversations.get(sender_id, ()):
            if event.get("event") == "slot" and event.get("name") == name:
                value = event.get("value")
        return value


def worker(database: Database, bot: ScriptedBot, settings: AlertSettings, **kw: Any) -> Any:
    """A delivery worker on the scripted bot (fan-out unless the settings say otherwise)."""
    from alerts.worker import DeliveryWorker

    return DeliveryWorker(database, bot, settings, tracker=bot, **kw)


def fast_settings(**overrides: object) -> AlertSettings:
    values: dict[str, object] = {
        "worker": "off",
        "batch_size": 50,
        "concurrency": 8,
        "lease_s": 30.0,
        "poll_s": 0.05,
        "max_attempts": 3,
        "backoff_base_s": 0.0,
        "backoff_max_s": 0.0,
    }
    values.update(overrides)
    return AlertSettings.model_validate(values)


def published_alert(database: Database, **fields: object) -> int:
    """Draft, approve and publish an alert; returns its id."""
    values: dict[str, object] = {
        "title": "冒充公检法电话",
        "body": "有人冒充公安打电话，让转钱到“安全账户”。别信，别转。",
        "scam_type": "impersonate_police",
        "districts": [],
        "expires_at": utcnow() + timedelta(days=3),
    }
    values.update(fields)
    with database.session() as s:
        alert = lifecycle.draft(s, OFFICER_A, **values)  # type: ignore[arg-type]
        alert_id = alert.id
    with database.session() as s:
        lifecycle.approve(s, OFFICER_B, alert_id)
    with database.session() as s:
        lifecycle.publish(s, OFFICER_B, alert_id)
    return alert_id


def add_subscribers(database: Database, n: int, channel: str = "web", **kw: object) -> None:
    for i in range(n):
        subscriptions.subscribe(database, channel, f"user{i:04d}", **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="package")
def alert_stack(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The real Rasa server and app (delivery worker off: tests run worker processes), with
    WeChat's API played by a local fake server."""
    from tests.alerts.e2e_support import create_accounts
    from tests.channels.wechat.fake_wechat_api import FakeWeChatServer
    from tests.support.stack import WECHAT_APP_ID, Stack

    fake = FakeWeChatServer(WECHAT_APP_ID, "test-wechat-secret")
    fake.start()
    stack = Stack(
        tmp_path_factory.mktemp("alert-stack"),
        extra_env={
            "YINFA_ALERTS_WORKER": "off",
            "YINFA_ALERTS_POLL_S": "0.2",
            "YINFA_ALERTS_LEASE_S": "4",
            "YINFA_WECHAT_API_BASE": fake.url,
        },
    )
    try:
        stack.start()
        create_accounts(stack)
        yield stack, fake
    finally:
        stack.stop()
        fake.stop()
