"""Request ids and personal numbers through the real Rasa server and the real app."""

from __future__ import annotations

import json
import re
import sqlite3

import httpx
import pytest

from tests.alerts.e2e_support import wechat_say
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

PERSONAL = {
    "ID card": "14030219500101873X",
    "bank card": "6222020987654321987",
    "mobile": "13907654321",
    "code": "583920",
}


def user_metadata(stack: Stack, sender: str) -> list[dict[str, object]]:
    """The metadata Rasa stored with each user message of a conversation."""
    with sqlite3.connect(stack.tracker_db) as db:
        rows = db.execute(
            "select data from events where sender_id = ? and type_name = 'user' order by id",
            (sender,),
        ).fetchall()
    return [json.loads(data).get("metadata") or {} for (data,) in rows]


def test_request_id_goes_to_rasa_and_back_into_the_actions_log_lines(stack: Stack) -> None:
    r = httpx.post(
        stack.app_url + "/api/chat",
        json={"sender_id": "obs-rid", "text": "老年助餐怎么申请"},
        headers={"X-Request-ID": "e2e-obs-req-a1"},
        timeout=30,
    )
    assert r.status_code == 200 and r.headers["x-request-id"] == "e2e-obs-req-a1"
    assert user_metadata(stack, "web:obs-rid")[-1].get("request_id") == "e2e-obs-req-a1"
    lines = [ln for ln in stack.app.log_tail(10**7).splitlines() if "[e2e-obs-req-a1]" in ln]
    loggers = {ln.split()[3] for ln in lines if len(ln.split()) > 3}
    assert "actions.policy_answer" in loggers, lines  # the action ran under the chat's id
    assert "uvicorn.access" in loggers, lines


def test_rasa_log_lines_name_the_request_of_their_message(stack: Stack) -> None:
    # Messages the intent guard corrects whatever the classifier says of most of them
    # (a question is no stop, no greeting, no yes); it logs each correction in Rasa.
    texts = ["算了，问问养老院的事", "政府管这个不", "好的，那俺妈能去吗", "你好，老年食堂在哪儿呀"]
    rids = [f"e2e-obs-rasa-{n}" for n in range(len(texts))]
    for rid, text in zip(rids, texts, strict=True):
        r = httpx.post(
            stack.app_url + "/api/chat",
            json={"sender_id": "obs-rasa-rid", "text": text},
            headers={"X-Request-ID": rid},
            timeout=30,
        )
        assert r.status_code == 200
    rasa_log = stack.rasa.log_tail(10**7).splitlines()
    guarded = [ln for ln in rasa_log if "bot.components.intent_guard" in ln]
    assert any(f"[{rid}]" in ln for ln in guarded for rid in rids), rasa_log[-40:]
    assert not [ln for ln in guarded if "[-]" in ln]  # every message carries its id
    started = [ln for ln in rasa_log if "Rasa server is up and running" in ln]
    assert started and "[-]" in started[-1]  # outside a message: "-"


def test_a_conversation_with_personal_numbers_leaves_none_in_logs_or_metrics(
    stack: Stack,
) -> None:
    texts = [
        f"我的身份证号是{PERSONAL['ID card']}，能办助餐吗",
        f"有人让我把银行卡 {PERSONAL['bank card']} 的钱转到安全账户",
        f"他说打这个电话 {PERSONAL['mobile']} 就能领补贴",
        f"对方要我的验证码{PERSONAL['code']}，给不给",
    ]
    for text in texts:
        assert stack.chat("obs-pii", text).status_code == 200
    for i, text in enumerate(texts):
        assert wechat_say(stack, "oObsPii0001", text, f"71{i}").status_code == 200
    metrics = httpx.get(stack.app_url + "/metrics", timeout=30)
    assert metrics.status_code == 200
    assert re.search(r'yinfa_turn_outcomes_total\{channel="wechat"', metrics.text)
    assert re.search(r'yinfa_chat_turn_seconds_count\{channel="web"\} [1-9]', metrics.text)
    outputs = {
        "the app's log": stack.app.log_tail(10**8),
        "Rasa's log": stack.rasa.log_tail(10**8),
        "/metrics": metrics.text,
        "Rasa's metadata": json.dumps(user_metadata(stack, "web:obs-pii")),
    }
    assert "redacted" in outputs["the app's log"]  # the turns were logged, and redacted
    for kind, number in PERSONAL.items():
        for where, text in outputs.items():
            assert number not in text, f"{kind} number in {where}"
            assert number[-8:] not in text, f"end of the {kind} number in {where}"
