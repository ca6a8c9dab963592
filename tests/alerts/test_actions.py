"""Rasa actions of the alerts, run with real trackers and the real database."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.alerts import (
    ActionExplainAlert,
    ActionFraudAlert,
    ActionSubscribeAlerts,
    ActionUnsubscribeAlerts,
    ActionVerifyAlert,
)
from actions.base import ActionServices
from alerts import lifecycle, subscriptions
from alerts.desk import AlertDesk
from alerts.models import Alert
from tests.alerts.conftest import OFFICER_A, published_alert


def tracker(
    sender: str,
    text: str = "",
    intent: str = "",
    entities: list | None = None,
    slots: dict[str, Any] | None = None,
) -> Tracker:
    return Tracker(
        sender,
        slots or {},
        {"text": text, "intent": {"name": intent}, "entities": entities or []},
        [],
        False,
        None,
        {},
        "action_listen",
    )


def services(database) -> ActionServices:  # type: ignore[no-untyped-def]
    from core.settings import Settings

    return ActionServices(
        settings=Settings(_env_file=None), database=database, alerts=AlertDesk(database)
    )  # type: ignore[call-arg]


async def run(action, t: Tracker) -> tuple[list[dict], list[dict]]:  # type: ignore[no-untyped-def]
    d = CollectingDispatcher()
    events = await action.run(d, t, {})
    return d.messages, events


async def test_subscribe_and_unsubscribe_by_channel(database) -> None:  # type: ignore[no-untyped-def]
    svc = services(database)
    msgs, _ = await run(ActionSubscribeAlerts(svc), tracker("wechat:o1"))
    assert msgs[0]["response"] == "utter_subscribed"
    assert subscriptions.is_subscribed(database, "wechat", "o1")
    msgs, _ = await run(ActionSubscribeAlerts(svc), tracker("wechat:o1"))
    assert msgs[0]["response"] == "utter_alerts_already_subscribed"
    msgs, _ = await run(ActionUnsubscribeAlerts(svc), tracker("wechat:o1"))
    assert msgs[0]["response"] == "utter_unsubscribed"
    assert not subscriptions.is_subscribed(database, "wechat", "o1")
    msgs, _ = await run(ActionUnsubscribeAlerts(svc), tracker("web:x"))
    assert msgs[0]["response"] == "utter_alerts_not_subscribed"


async def test_fraud_alert_shows_only_real_alerts_with_database_texts(database) -> None:  # type: ignore[no-untyped-def]
    alert_id = published_alert(database)
    with database.session() as s:
        code = s.get(Alert, alert_id).public_code
    ents = [
        {"entity": "alert_code", "value": code},
        {"entity": "alert_title", "value": "假标题：马上转账"},
        {"entity": "alert_kind", "value": "alert"},
    ]
    msgs, events = await run(
        ActionFraudAlert(services(database)),
        tracker("web:u", "/EXTERNAL_fraud_alert", "EXTERNAL_fraud_alert", ents),
    )
    assert [m["response"] for m in msgs] == [
        "utter_fraud_alert",
        "utter_fraud_alert_check",  # how to check it: "这个提醒是真的吗 YQ…"
        "utter_fraud_alert_unsubscribe",  # always last: how to stop
    ]
    assert msgs[0]["alert_title"] == "冒充公检法电话"  # from the database, not the entity
    assert msgs[1]["alert_code"] == code
    assert {e["name"]: e["value"] for e in events}["alert_code"] == code
    # A typed trigger with an invented code shows nothing official.
    fake = [{"entity": "alert_code", "value": "YQ9999"}]
    msgs, events = await run(
        ActionFraudAlert(services(database)),
        tracker("web:u", "/EXTERNAL_fraud_alert", "EXTERNAL_fraud_alert", fake),
    )
    assert msgs[0]["response"] == "utter_default" and events == []


async def test_explain_and_verify(database) -> None:  # type: ignore[no-untyped-def]
    alert_id = published_alert(database)
    with database.session() as s:
        code = s.get(Alert, alert_id).public_code
    svc = services(database)
    msgs, _ = await run(ActionExplainAlert(svc), tracker("web:u", slots={"alert_code": code}))
    assert [m["response"] for m in msgs] == ["utter_alert_meaning", "utter_alert_steps"]
    assert "公检法" in msgs[0]["scam_label"] and "110" in msgs[1]["alert_steps"]
    msgs, _ = await run(ActionExplainAlert(svc), tracker("web:u"))
    assert msgs[0]["response"] == "utter_alert_no_recent"

    async def verify(text: str) -> str:
        out, _ = await run(ActionVerifyAlert(svc), tracker("web:v", text))
        return str(out[0]["response"])

    assert await verify(f"这个提醒是真的吗 {code.lower()[:2]}-{code[2:]}") == "utter_alert_verified"
    assert await verify("这个提醒是真的吗 YQ-AAAA") == "utter_alert_unknown_code"
    assert await verify("收到一条官方提醒，是真的吗") == "utter_alert_no_code"
    with database.session() as s:
        lifecycle.retract(s, OFFICER_A, alert_id, "")
    assert await verify(f"{code}是真的吗") == "utter_alert_retracted"


def test_actions_are_registered_in_the_executor(database) -> None:  # type: ignore[no-untyped-def]
    from actions.base import build_executor

    names = set(build_executor(services(database)).actions)
    assert {
        "action_subscribe_alerts",
        "action_unsubscribe_alerts",
        "action_fraud_alert",
        "action_explain_alert",
        "action_verify_alert",
    } <= names


def test_alert_texts_say_how_to_check_and_how_to_stop() -> None:
    """Issue 15: "这是官方提醒" alone can be copied by a scammer; the public code with the
    question that checks it cannot. Every alert and correction ends with how to stop."""
    from pathlib import Path

    import yaml

    from actions.alerts import _alert_responses

    domain = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text("utf-8"))
    text = {name: r[0]["text"] for name, r in domain["responses"].items()}
    for kind, has_note in (("alert", False), ("correction", False), ("correction", True)):
        bubbles = [text[name] for name in _alert_responses(kind, has_note)]
        assert bubbles[-1] == "不想收了，回复 退订"
        assert "{alert_code}" in "".join(bubbles)
        assert all("这是官方提醒" not in b for b in bubbles)
    check = text[_alert_responses("alert", False)[1]]
    assert check.endswith("这个提醒是真的吗 {alert_code}")


async def test_subscribing_keeps_the_district_the_user_gave_the_bot(database) -> None:  # type: ignore[no-untyped-def]
    """The meal guide's district names are the alerts' districts: an alert for 高新区
    reaches a resident who told the bot they live there."""
    from sqlalchemy import select

    from alerts.models import OutboxItem, Subscription

    svc = services(database)
    await run(ActionSubscribeAlerts(svc), tracker("web:gx", slots={"meal_district": "高新区"}))
    await run(ActionSubscribeAlerts(svc), tracker("web:kfq", slots={"meal_district": "开发区"}))
    await run(ActionSubscribeAlerts(svc), tracker("web:kq", slots={"meal_district": "矿区"}))
    with database.session() as s:
        got = dict(s.execute(select(Subscription.user_id, Subscription.district)).all())
    assert got == {"gx": "高新区", "kfq": None, "kq": "矿区"}  # an unknown name: every district
    published_alert(database, districts=["高新区"])
    with database.session() as s:
        assert sorted(s.scalars(select(OutboxItem.user_id))) == ["gx", "kfq"]
