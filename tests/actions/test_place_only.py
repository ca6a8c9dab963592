"""A message that only says which place it means keeps the subject just discussed:
"我是问太原的" says so and gives Yangquan's answer again, as does "那阳泉的呢"."""

from __future__ import annotations

import pytest

from actions.places import names_only_place, other_place
from tests.actions.test_knowledge_answer import answer


def keeps_entry(events: list[dict], entry_id: str) -> bool:  # type: ignore[type-arg]
    """Whether the turn sets ``last_entry_id`` to ``entry_id``."""
    wanted = {"event": "slot", "name": "last_entry_id", "value": entry_id}
    return wanted in [{k: e.get(k) for k in wanted} for e in events]


@pytest.mark.parametrize(
    ("text", "only"),
    [
        ("我是问太原的", True),
        ("那太原的呢", True),
        ("我是问北京朝阳区的", True),
        ("那阳泉的呢", True),
        ("阳泉呢", True),
        ("我说的是盂县", True),
        ("太原是咋弄的", True),  # how that place does what was just discussed
        ("太原那边是咋给弄的", True),
        ("太原助餐呢", False),
        ("阳泉有啥补贴", False),
        ("我是问我妈能不能去", False),
        ("", False),
    ],
)
def test_a_bare_place_is_told_from_a_question(text: str, only: bool) -> None:
    assert names_only_place(text, other_place(text)) is only


async def test_another_place_alone_says_so_and_keeps_the_entry_just_discussed(
    services, retriever, corpus, domain
) -> None:
    """The other place's bubble ends "下面先说说阳泉的情况": Yangquan's answer follows."""
    last = corpus.by_id["meal-subsidy-amount"]
    retriever.answers["我是问太原的"] = ["general-12345"]
    dispatcher, events = await answer(
        services, domain, "我是问太原的", slots={"last_entry_id": last.id}
    )
    said = dispatcher.messages
    assert said[0]["response"] == "utter_other_place_shanxi" and said[0]["place"] == "太原"
    assert said[1]["text"] == last.text
    assert keeps_entry(events, last.id)


async def test_back_to_yangquan_answers_the_entry_just_discussed_again(
    services, retriever, corpus, domain
) -> None:
    last = corpus.by_id["meal-subsidy-amount"]
    retriever.answers["那阳泉的呢"] = ["general-yangquan-info"]
    dispatcher, events = await answer(
        services, domain, "那阳泉的呢", slots={"last_entry_id": last.id}
    )
    assert dispatcher.messages[0]["text"] == last.text
    assert keeps_entry(events, last.id)


async def test_a_bare_place_with_nothing_discussed_is_searched_as_usual(
    services, retriever, domain
) -> None:
    retriever.answers["那阳泉的呢"] = ["general-yangquan-info"]
    dispatcher, _ = await answer(services, domain, "那阳泉的呢")
    assert dispatcher.messages[0]["text"] == retriever.corpus.by_id["general-yangquan-info"].text


async def test_after_another_place_the_referral_is_never_a_refusal(
    services, retriever, domain
) -> None:
    """The place's bubble says "下面先说说阳泉的情况", so what follows is Yangquan's referral,
    never "这个我帮不上忙", even when the classifier called the message out of scope."""
    text = "成都那边的公园门票多少钱"
    retriever.answers[text] = ["general-12345"]
    retriever.confident = False
    dispatcher, _ = await answer(services, domain, text, intent="out_of_scope")
    responses = [m.get("response") for m in dispatcher.messages]
    assert responses[0].startswith("utter_other_place")
    assert "utter_out_of_plan" not in responses
    assert any(r and r.startswith("utter_referral") for r in responses)
