"""The whole alert lifecycle against the real Rasa server, on the web and WeChat channels."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.alerts.e2e_support import (
    EventReader,
    WorkerProcess,
    draft_and_publish,
    query,
    session,
    wait_until,
    wechat_say,
)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
WEB_USER = "e2e-web-1"
OPENID = "o-e2e-wechat-1"


def mine(stack, alert_id: int, kind: str) -> set[str]:  # type: ignore[no-untyped-def]
    """Outbox statuses of this test's two subscribers for one alert."""
    rows = query(
        stack,
        "SELECT status FROM alert_outbox WHERE alert_id = ? AND kind = ? AND user_id IN (?, ?)",
        alert_id,
        kind,
        WEB_USER,
        OPENID,
    )
    return {r[0] for r in rows} if len(rows) == 2 else set()


def bot_text(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return "\n".join(m.get("text") or "" for m in response.json()["messages"])


def test_alert_lifecycle_on_web_and_wechat(alert_stack) -> None:  # type: ignore[no-untyped-def]
    stack, fake_wechat = alert_stack
    # Users subscribe by saying so, on both channels.
    assert "防骗提醒" in bot_text(stack.chat(WEB_USER, "订阅防骗提醒"))
    assert wechat_say(stack, OPENID, "订阅防骗提醒", "9001").status_code == 200
    wait_until(lambda: len(query(stack, "SELECT 1 FROM alert_subscriptions WHERE active")) >= 2, 30)
    subs = {(c, u) for c, u in query(stack, "SELECT channel, user_id FROM alert_subscriptions")}
    assert {("web", WEB_USER), ("wechat", OPENID)} <= subs

    # An operator may not draft; the drafting officer may not approve.
    with session(stack, "op1") as op:
        assert op.post("/api/operator/alerts", json={}).status_code in (403, 422)
        assert op.get("/api/operator/alerts").status_code == 403
    with session(stack, "officer_a") as a:
        r = a.post(
            "/api/operator/alerts",
            json={
                "title": "测试",
                "body": "测试草稿",
                "scam_type": "other",
                "expires_at": "2099-01-01T00:00:00+00:00",
            },
        )
        assert a.post(f"/api/operator/alerts/{r.json()['id']}/approve").status_code == 409

    reader = EventReader(f"{stack.app_url}/api/events?sender_id={WEB_USER}").start()
    worker = WorkerProcess(stack, stack.workdir / "worker-lifecycle.log").start()
    try:
        alert = draft_and_publish(stack)
        code = alert["public_code"]
        wait_until(lambda: mine(stack, alert["id"], "alert") == {"delivered"}, 120)

        # Web: live event with the bot's messages, and the page banner.
        wait_until(lambda: any(e["event"] == "alert" for e in reader.events), 15)
        event = next(e for e in reader.events if e["event"] == "alert")
        assert event["data"]["alert_code"] == code
        texts = [m.get("text") or "" for m in event["data"]["messages"]]
        assert texts[0].startswith("【防骗提醒】") and code not in texts[0]
        # How to check it, with its code (never only "official"); how to stop, last.
        assert f"这个提醒是真的吗 {code}" in texts[1]
        assert texts[-1] == "不想收了，回复 退订"
        assert "这是官方提醒" not in "".join(texts)
        wait_until(lambda: any(e["event"] == "banner" for e in reader.events), 15)
        banner_event = next(e for e in reader.events if e["event"] == "banner")
        assert banner_event["data"]["banner"]["public_code"] == code
        banner = httpx.get(stack.app_url + "/api/alerts/banner", timeout=10)
        assert code in banner.text
        # WeChat: customer-service message through (fake) WeChat's API.
        wait_until(lambda: any(code in t for t in fake_wechat.state.texts()), 15)

        # Follow-up questions in the same conversation.
        meaning = bot_text(stack.chat(WEB_USER, "这个提醒是什么意思"))
        assert "冒充公检法" in meaning and "110" in meaning
        steps = bot_text(stack.chat(WEB_USER, "我该怎么办"))
        assert "110" in steps
        # The check line of the alert, sent back as it stands, verifies it.
        assert "是真的" in bot_text(stack.chat(WEB_USER, texts[1].splitlines()[-1]))
        assert "是真的" in bot_text(stack.chat("e2e-web-2", f"这个提醒是真的吗 {code}"))
        assert "小心" in bot_text(stack.chat("e2e-web-2", "这个提醒是真的吗 YQ-XXXX"))

        # Delivery status per subscriber is visible to officers.
        with session(stack, "officer_a") as a:
            rows = a.get(f"/api/operator/alerts/{alert['id']}/deliveries").json()
            assert {(r["subscriber"], r["status"]) for r in rows} >= {
                (f"web:{WEB_USER}", "delivered"),
                (f"wechat:{OPENID}", "delivered"),
            }
            # Retract: everyone who received it gets a correction.
            r = a.post(
                f"/api/operator/alerts/{alert['id']}/retract",
                json={"note": "经核实，这条提醒有误。"},
            )
            assert r.status_code == 200
        wait_until(lambda: mine(stack, alert["id"], "correction") == {"delivered"}, 120)
        wait_until(lambda: any(e["event"] == "correction" for e in reader.events), 15)
        correction = next(e for e in reader.events if e["event"] == "correction")
        assert "撤回" in correction["data"]["messages"][0]["text"]
        wait_until(
            lambda: (
                [e for e in reader.events if e["event"] == "banner"][-1]["data"]["banner"]
                in (None, {})
                or code not in json.dumps([e for e in reader.events if e["event"] == "banner"][-1])
            ),
            15,
        )
        assert code not in httpx.get(stack.app_url + "/api/alerts/banner", timeout=10).text
        wait_until(lambda: sum(code in t for t in fake_wechat.state.texts()) >= 2, 15)
        assert "撤回" in bot_text(stack.chat("e2e-web-2", f"这个提醒是真的吗 {code}"))
        # Every alert ends with how to unsubscribe; doing as it says works.
        assert "不再给您发" in bot_text(stack.chat(WEB_USER, "退订"))
        assert query(
            stack,
            "SELECT active FROM alert_subscriptions WHERE channel = 'web' AND user_id = ?",
            WEB_USER,
        ) == [(0,)]
    finally:
        reader.stop()
        worker.stop()

    with session(stack, "admin1") as admin:
        log = admin.get("/api/operator/audit", params={"target": code}).json()
    actions = [(e["actor"], e["action"]) for e in reversed(log)]
    assert actions == [
        ("officer_a", "alert.draft"),
        ("officer_b", "alert.approve"),
        ("officer_b", "alert.publish"),
        ("officer_a", "alert.retract"),
    ]
    out = ROOT / "var" / "evidence"
    out.mkdir(parents=True, exist_ok=True)
    (out / "alert_lifecycle_audit.json").write_text(
        json.dumps(list(reversed(log)), ensure_ascii=False, indent=2), encoding="utf-8"
    )
