"""Every resident and officer flow through the balancer of the cluster (two apps, two Rasa
servers, PostgreSQL, Redis): each request may land on either app and either Rasa server."""

from __future__ import annotations

import httpx

from tests.alerts.e2e_support import EventReader, draft_and_publish, session, wait_until
from tests.cluster.support import Target, joined, needs_cluster

pytestmark = needs_cluster


def test_ready_names_postgresql_and_every_backend(target: Target) -> None:
    r = httpx.get(target.app_url + "/readyz", timeout=10)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["database"] == "postgresql"
    assert body["backends"] == {"database": "ok", "rasa": "ok", "redis": "ok"}
    assert body["rasa_model"].startswith("bot-")


def test_policy_question_is_answered_with_its_source(target: Target) -> None:
    messages = target.say("cl-policy", "老年食堂吃饭要钱吗")
    assert "助餐" in joined(messages)
    assert any(m["citations"] for m in messages)


def test_meal_guide_goes_on_over_both_apps_and_both_rasa_servers(target: Target) -> None:
    sender = "cl-meal"
    assert "哪个区县" in joined(target.say(sender, "帮我查查我能不能吃上助餐"))
    assert "给谁问" in joined(target.say(sender, "2"))
    assert "哪种情况" in joined(target.say(sender, "我自己"))
    result = joined(target.say(sender, "一个人住"))
    assert "矿区" in result and "12345" in result


def test_scam_check_warns_first(target: Target) -> None:
    messages = target.say("cl-scam", "有人打电话说是公安局的，让我把钱转到安全账户")
    assert "96110" in joined(messages) or "110" in joined(messages)
    assert "转给对方了吗" in joined(messages)


def test_feedback_is_stored_in_postgresql(target: Target) -> None:
    messages = target.say("cl-feedback", "老年食堂吃饭要钱吗")
    body = {
        "sender_id": "cl-feedback",
        "message_id": messages[-1]["message_id"],
        "useful": True,
        "answer_text": messages[-1]["text"] or "",
    }
    r = httpx.post(target.app_url + "/api/feedback", json=body, timeout=30)
    assert r.status_code == 201, r.text
    rows = target.query("SELECT useful FROM feedback WHERE message_id = :m", m=body["message_id"])
    assert rows == [(True,)]


def test_console_broadcast_reaches_web_subscribers_on_either_app(target: Target) -> None:
    users = ["cl-sub-1", "cl-sub-2", "cl-sub-3"]
    for user in users:
        assert "防骗提醒" in joined(target.say(user, "订阅防骗提醒"))
    # Three streams through nginx: round robin puts them on both apps; the workers are
    # separate processes, so every stream learns of its delivery through the database.
    readers = [EventReader(f"{target.app_url}/api/events?sender_id={u}").start() for u in users]
    try:
        with session(target, "op1") as op:  # type: ignore[arg-type]
            # The session lives in PostgreSQL: both apps know it.
            assert all(op.get("/api/operator/me").status_code == 200 for _ in range(4))
        alert = draft_and_publish(target)  # type: ignore[arg-type]
        for reader in readers:
            wait_until(lambda r=reader: bool(r.alerts()), 60)
            assert reader.alerts()[0]["data"]["alert_code"] == alert["public_code"]
    finally:
        for reader in readers:
            reader.stop()
    # The follow-up question is answered about the alert, on whichever app and Rasa.
    assert "110" in joined(target.say(users[0], "我该怎么办"))


def test_failed_logins_are_counted_over_both_apps(target: Target) -> None:
    """5 failures per username in 10 minutes, counted in Redis: round robin spreads the
    tries over both apps, and the sixth is still refused."""
    statuses = []
    for _ in range(6):
        r = httpx.post(
            target.app_url + "/api/operator/login",
            json={"username": "cl-nobody", "password": "wrong-password-0"},
            timeout=30,
        )
        statuses.append(r.status_code)
    assert statuses[:5] == [401] * 5, statuses
    assert statuses[5] == 429
