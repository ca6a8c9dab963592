from __future__ import annotations

from core.messages import BotMessage, Button, Citation, attach_citations


def test_rasa_custom_payload_becomes_citations() -> None:
    raw = {"custom": {"citations": [{"clause_id": "T1", "title": "老年助餐行动"}], "x": 1}}
    msg = BotMessage.from_rasa(raw)
    assert msg.text is None
    assert msg.citations == [Citation(clause_id="T1", title="老年助餐行动")]
    assert msg.custom == {"x": 1}


def test_citation_only_bubble_is_folded_into_the_answer_before_it() -> None:
    answer = BotMessage(text="所有老人都能用。")
    cite = BotMessage(citations=[Citation(clause_id="T1", title="老年助餐行动")])
    menu = BotMessage(text="还想了解：", buttons=[Button(title="助餐", payload="/ask_meal")])
    out = attach_citations([answer, cite, menu])
    assert [m.text for m in out] == ["所有老人都能用。", "还想了解："]
    assert out[0].citations == [Citation(clause_id="T1", title="老年助餐行动")]
    assert out[1].citations == []


def test_leading_citation_bubble_and_duplicates() -> None:
    cite = BotMessage(citations=[Citation(clause_id="S40", title="96110")])
    out = attach_citations([cite, BotMessage(text="a"), cite, cite])
    assert len(out) == 2
    assert out[0].text is None and out[0].citations  # nothing before it: kept as is
    assert out[1].citations == [Citation(clause_id="S40", title="96110")]
