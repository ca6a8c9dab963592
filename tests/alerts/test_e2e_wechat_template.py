"""A WeChat subscriber outside the 48-hour window gets the alert as a template message, from
a real worker process through the real Rasa server, and the conversation knows the alert."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.alerts.e2e_support import (
    WorkerProcess,
    draft_and_publish,
    query,
    wait_until,
    wechat_say,
)

pytestmark = pytest.mark.e2e

OPENID = "o-e2e-template-1"
TEMPLATE_ID = "tmpl-e2e-fraud-alert"


def service_texts(fake) -> str:  # type: ignore[no-untyped-def]
    """Customer-service messages this test's subscriber got."""
    with fake.state.lock:
        return "\n".join(m["text"]["content"] for m in fake.state.sent if m["touser"] == OPENID)


def test_outside_the_window_a_template_message_and_the_conversation_knows(alert_stack) -> None:  # type: ignore[no-untyped-def]
    stack, fake = alert_stack
    assert wechat_say(stack, OPENID, "订阅防骗提醒", "7001").status_code == 200
    wait_until(
        lambda: query(stack, "SELECT 1 FROM alert_subscriptions WHERE user_id = ?", OPENID), 30
    )
    three_days_ago = (datetime.now(timezone.utc) - timedelta(days=3)).strftime(
        "%Y-%m-%d %H:%M:%S.%f"
    )
    query(
        stack,
        "UPDATE alert_subscriptions SET last_inbound_at = ? WHERE user_id = ?",
        three_days_ago,
        OPENID,
    )
    fake.state.templates.add(TEMPLATE_ID)
    worker = WorkerProcess(
        stack,
        stack.workdir / "worker-template.log",
        YINFA_WECHAT_TEMPLATE_ID=TEMPLATE_ID,
        YINFA_PUBLIC_BASE_URL="https://yinfa.example.cn",
    ).start()
    try:
        alert = draft_and_publish(stack)
        mine = "SELECT status FROM alert_outbox WHERE alert_id = ? AND user_id = ?"
        wait_until(lambda: query(stack, mine, alert["id"], OPENID) == [("delivered",)], 120)
    finally:
        worker.stop()
    [message] = [m for m in fake.state.template_sent if m["touser"] == OPENID]
    assert message["template_id"] == TEMPLATE_ID and message["url"] == "https://yinfa.example.cn/"
    assert message["data"]["character_string3"]["value"] == alert["public_code"]
    assert all(len(v["value"]) <= 20 for v in message["data"].values())
    assert alert["public_code"] not in service_texts(fake)  # no customer-service message
    assert query(stack, "SELECT sum(used) FROM wechat_template_quota")[0][0] >= 1

    # The alert is part of this subscriber's conversation: the follow-up is answered.
    reply = wechat_say(stack, OPENID, "这个提醒是什么意思", "7002")
    assert reply.status_code == 200
    wait_until(lambda: "冒充公检法" in reply.text + service_texts(fake), 30)
