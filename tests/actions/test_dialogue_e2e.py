"""Each flow end to end through ``POST /api/chat`` on the real stack (Rasa + app)."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from typing import Any

import pytest

from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e]


def say(stack: Stack, sender: str, text: str) -> list[dict[str, Any]]:
    response = stack.chat(sender, text)
    assert response.status_code == 200, response.text
    return list(response.json()["messages"])


def joined(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def citations(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [c for m in messages for c in m.get("citations") or []]


def buttons(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for m in messages for b in m.get("buttons") or []]


def new_sender() -> str:
    return "t" + uuid.uuid4().hex[:12]


def test_policy_answer_has_citation_and_related_buttons(stack: Stack) -> None:
    sender = new_sender()
    messages = say(stack, sender, "去老年食堂吃饭要不要钱")
    assert "免费" in joined(messages)
    assert citations(messages)
    related = [b for b in buttons(messages) if b["title"].startswith("想了解：")]
    assert 1 <= len(related) <= 3
    follow = say(stack, sender, related[0]["payload"])  # the button answers that entry
    assert joined(follow)
    assert "没听懂" not in joined(follow)


def test_repeat_and_simpler_after_an_answer(stack: Stack) -> None:
    sender = new_sender()
    first = say(stack, sender, "去老年食堂吃饭要不要钱")
    again = say(stack, sender, "再说一遍")
    assert joined(again) == joined(first)
    simpler = say(stack, sender, "听不懂，说简单点")
    assert joined(simpler).startswith("简单说")


def test_meal_guide(stack: Stack) -> None:
    sender = new_sender()
    asked = say(stack, sender, "帮我查查我能不能吃上助餐")
    assert "哪个区县" in joined(asked)
    assert any(b["title"].endswith("矿区") for b in buttons(asked))
    assert "给谁问" in joined(say(stack, sender, "2"))  # a number picks 矿区
    assert "哪种情况" in joined(say(stack, sender, "我自己"))
    result = say(stack, sender, "一个人住")
    text = joined(result)
    assert "矿区" in text and "特殊困难老人" in text
    assert "社区或村委会" in text and "12345" in text
    assert citations(result)


def test_meal_guide_patience_and_stop(stack: Stack) -> None:
    sender = new_sender()
    say(stack, sender, "帮我查查助餐")
    assert "没对上" in joined(say(stack, sender, "嗯嗯啊啊"))
    explained = say(stack, sender, "哦哦哦")
    assert "换个说法" in joined(explained)
    assert "不问了" in joined(say(stack, sender, "算了"))
    # the form is gone: a new question is answered normally
    assert "哪个区县" not in joined(say(stack, sender, "96110是什么电话"))


def test_greeting_inside_a_form_is_answered_and_not_counted_as_a_wrong_answer(
    stack: Stack,
) -> None:
    sender = new_sender()
    say(stack, sender, "帮我查查助餐")
    for _ in range(3):  # more greetings than the patience limit
        greeted = joined(say(stack, sender, "你好"))
        assert "接着" in greeted and "哪个区县" in greeted
        assert "没对上" not in greeted and "换个说法" not in greeted
    assert "给谁问" in joined(say(stack, sender, "2"))  # the form went on


def test_adaptation_guide(stack: Stack) -> None:
    sender = new_sender()
    asked = say(stack, sender, "我家卫生间太滑了，帮我看看家里怎么改")
    assert "哪一种" in joined(asked)  # the problem was understood from the first message
    result = say(stack, sender, "低保")
    text = joined(result)
    assert "扶手" in text
    assert "低保" in text
    # only the trade-in round in force today is offered (the stack runs on today's date)
    assert "以旧换新" in text
    assert len([m for m in result if m.get("text")]) <= 5
    assert citations(result)


def test_live_scam_already_paid_says_110_first(stack: Stack) -> None:
    sender = new_sender()
    say(stack, sender, "帮我查查助餐")  # in the middle of another form
    result = say(stack, sender, "我刚把钱转给他了，是不是被骗了")
    texts = [m.get("text") or "" for m in result]
    first_real = next(t for t in texts if t)
    assert "110" in first_real
    assert "96110" in joined(result)


def test_live_scam_high_risk(stack: Stack) -> None:
    sender = new_sender()
    asked = say(stack, sender, "有人打电话说是公安局的，让我把钱转到安全账户")
    assert "转给对方了吗" in joined(asked)
    # how they came (a call) and what they want (money) were in the first message
    result = say(stack, sender, "还没有")
    text = joined(result)
    assert "风险很高" in text and "别转钱" in text and "96110" in text
    assert citations(result)


def test_live_scam_asks_what_it_does_not_know(stack: Stack) -> None:
    sender = new_sender()
    say(stack, sender, "好像遇到骗子了")
    assert "怎么找上您" in joined(say(stack, sender, "没有"))
    assert "让您做过" in joined(say(stack, sender, "发的短信"))
    text = joined(say(stack, sender, "要验证码"))
    assert "风险很高" in text and "验证码" in text and "96110" in text


def test_human_handoff_inside_a_form_keeps_the_form(stack: Stack) -> None:
    sender = new_sender()
    say(stack, sender, "帮我看看家里怎么改")
    messages = say(stack, sender, "转人工")
    assert "12345" in joined(messages)
    assert "不方便" in joined(messages)  # the question is asked again


NUMBERS = {
    "身份证号": "110101195001011234",
    "银行卡号": "6222021234567890123",
    "电话号码": "13912345678",
    "验证码": "538216",
}


def test_personal_numbers_never_reach_rasa_storage_or_logs(stack: Stack) -> None:
    sender = new_sender()
    for label, number in NUMBERS.items():
        messages = say(stack, sender, f"我的{label}是{number}")
        assert "谁要都不能给" in joined(messages)
        assert number not in joined(messages)
    leaks = []
    with sqlite3.connect(stack.tracker_db) as db:
        rows = [r[0] or "" for r in db.execute("SELECT data FROM events")]
    for number in NUMBERS.values():
        if any(number in row for row in rows):
            leaks.append(("tracker", number))
        for log in (stack.workdir / "rasa.log", stack.workdir / "app.log"):
            if number in log.read_text(errors="replace"):
                leaks.append((log.name, number))
    assert rows and not leaks
    user_texts = [e.get("text") or "" for e in map(json.loads, rows) if e.get("event") == "user"]
    masked = [t for t in user_texts if re.search(r"\[(身份证号|银行卡号|电话号码|数字)\]", t)]
    assert len(masked) == len(NUMBERS)  # what Rasa stored is the masked text


def test_a_worry_inside_a_guide_pauses_it_and_the_guide_resumes_with_its_answers(
    stack: Stack,
) -> None:
    sender = new_sender()
    say(stack, sender, "帮我看看俺能不能吃上助餐")
    assert "给谁问" in joined(say(stack, sender, "盂县"))
    worried = say(stack, sender, "你要我身份证号干啥")
    text = joined(worried)
    assert "身份证" in text and "别告诉我" in text  # the worry is answered
    assert "给谁问" not in text  # and the guide's question is not asked again at once
    resume = [b for b in buttons(worried) if b["title"] == "接着看"]
    assert resume, buttons(worried)
    resumed = joined(say(stack, sender, resume[0]["payload"]))
    assert "给谁问" in resumed and "哪个区县" not in resumed  # the district is kept


def test_a_scam_told_inside_the_adaptation_guide_is_warned_about_first(stack: Stack) -> None:
    sender = new_sender()
    assert "哪一种" in joined(say(stack, sender, "我家卫生间太滑了，帮我看看家里怎么改"))
    warned = say(stack, sender, "刚有人上门，说政府补贴改造，先交两千定金")
    first = warned[0]["text"] or ""
    assert "110" in first or "96110" in first
    assert "您家属于哪一种" not in joined(warned)
    assert "没对上" not in joined(warned)
