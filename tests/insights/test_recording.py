"""The question log through the real chat and feedback routes: no personal number, no
sender id, one row per turn, feedback on the right row, and never a broken chat."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import inspect

from core.conversation import Conversation
from insights.models import QuestionLog
from insights.recorder import QuestionRecorder
from tests.insights.support import DAY, EchoRasa, chat_app, log_rows
from tests.security.conftest import client_for

ID_CARD = "11010519491231002X"
BANK_CARD = "6222021234567890128"
PHONE = "13812345678"
CODE = "482913"
PERSONAL = [
    f"我的身份证号是{ID_CARD}，帮我查查补贴",
    f"银行卡 {BANK_CARD} 能领养老金吗",
    f"我电话{PHONE}，有人让我报验证码{CODE}",
    f"验证码是 {CODE[:3]} {CODE[3:]}，我儿子手机 138-1234-5678",
]


@pytest.fixture
def app(tmp_path, real_retriever):  # type: ignore[no-untyped-def]
    application = chat_app(tmp_path, real_retriever)
    yield application
    application.state.database.dispose()


async def _say(client: httpx.AsyncClient, sender: str, text: str) -> httpx.Response:
    r = await client.post("/api/chat", json={"sender_id": sender, "text": text})
    assert r.status_code == 200, r.text
    return r


async def test_no_personal_number_reaches_the_question_log(app) -> None:  # type: ignore[no-untyped-def]
    async with client_for(app) as client:
        for text in PERSONAL:
            await _say(client, "grandma-7", text)
        await app.state.question_recorder.drain()  # a resident reads before tapping 没用
        r = await client.post(
            "/api/feedback",
            json={
                "sender_id": "grandma-7",
                "message_id": "t-0",
                "useful": False,
                "answer_text": f"卡号{BANK_CARD}",
            },
        )
        assert r.status_code == 201
    await app.state.question_recorder.drain()

    rows = log_rows(app.state.database)
    assert len(rows) == len(PERSONAL)
    columns = [c.key for c in inspect(QuestionLog).columns]
    cells = [str(getattr(row, c)) for row in rows for c in columns]
    everything = "\n".join(cells)
    for number in (ID_CARD, BANK_CARD, PHONE, CODE, "1234", "5678"):
        assert number not in everything
    assert not re.search(r"\d{6,}", everything.replace(str(DAY), ""))
    assert "grandma-7" not in everything  # no sender id either
    # The text is what went to Rasa (redacted), nothing else.
    assert [r.text for r in rows] == [text for _, text in app.state.rasa.received]
    assert rows[0].feedback is None and rows[-1].feedback == "unhelpful"


async def test_one_row_per_turn_with_channel_outcome_and_a_stable_key(app) -> None:  # type: ignore[no-untyped-def]
    async with client_for(app) as client:
        await _say(client, "a1", "老年助餐在哪儿吃")
        await _say(client, "a1", "要钱不")
        await _say(client, "b2", "家里装扶手有补贴吗")
    await app.state.question_recorder.drain()
    rows = log_rows(app.state.database)
    assert [(r.channel, r.outcome, r.topic, r.confidence, r.day) for r in rows] == [
        ("web", "referred", "meal", 0.3, DAY)
    ] * 3
    assert rows[0].conversation_key == rows[1].conversation_key != rows[2].conversation_key
    assert len(rows[0].conversation_key) == 16


async def test_the_key_cannot_be_recomputed_by_another_process(database) -> None:  # type: ignore[no-untyped-def]
    one, two = QuestionRecorder(database, lambda: DAY), QuestionRecorder(database, lambda: DAY)
    assert one.key("web:a1") == one.key("web:a1") != two.key("web:a1")


async def test_feedback_lands_on_the_newest_row_of_that_entry(database) -> None:  # type: ignore[no-untyped-def]
    recorder = QuestionRecorder(database, lambda: DAY)

    class Answering(EchoRasa):
        async def send_message(self, sender_id, text):  # type: ignore[no-untyped-def]
            return [{"text": "答", "custom": {"entry_id": text, "citations": []}}]

    conversation = Conversation(Answering(), after_turn=recorder)  # type: ignore[arg-type]
    for entry in ("meal-who-can-use", "meal-is-it-free", "meal-who-can-use", "other-x"):
        await conversation.send("web:a1", entry)
    await conversation.send("wechat:o1", "meal-who-can-use")
    await recorder.drain()
    assert recorder.feedback("web:a1", "meal-who-can-use", useful=False)
    assert not recorder.feedback("web:zz", "meal-who-can-use", useful=True)
    rows = log_rows(database)
    assert [r.feedback for r in rows] == [None, None, "unhelpful", None, None]
    assert [r.channel for r in rows] == ["web"] * 4 + ["wechat"]
    assert rows[0].outcome == "answered" and rows[0].entry_id == "meal-who-can-use"


async def test_a_failing_log_never_breaks_the_chat(tmp_path, real_retriever, caplog) -> None:  # type: ignore[no-untyped-def]
    app = chat_app(tmp_path, real_retriever)
    app.state.database.dispose()
    recorder = app.state.question_recorder

    def broken(row):  # type: ignore[no-untyped-def]
        raise RuntimeError("database is gone")

    recorder.write = broken
    async with client_for(app) as client:
        r = await _say(client, "a1", "你好")
    await recorder.drain()
    assert r.json()["messages"][0]["text"] == "您问的是：你好"
    assert "could not be written" in caplog.text

    def bad_hook(turn):  # type: ignore[no-untyped-def]
        raise ValueError("bug in the hook")

    conversation = Conversation(EchoRasa(), after_turn=bad_hook)  # type: ignore[arg-type]
    said = await conversation.send("web:a1", "你好")
    assert [m.text for m in said] == ["您问的是：你好"]


async def test_no_key_reads_as_a_number(database) -> None:  # type: ignore[no-untyped-def]
    # A hex key can hold six digits in a row ("4507b411298bd412"): a scanner for personal
    # numbers would flag it, and a reader could take it for a code.
    recorder = QuestionRecorder(database, lambda: DAY)
    keys = [recorder.key(f"web:s{i}") for i in range(2000)]
    assert all(len(k) == 16 and not any(ch.isdigit() for ch in k) for k in keys)
    assert len(set(keys)) == len(keys)
