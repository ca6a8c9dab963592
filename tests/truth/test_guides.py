"""The guides (issue 11, part 7): every S5 group, current rounds first, history as history."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from tests.support.dialogue import make_tracker
from tests.truth.conftest import UserText, user_texts

# The groups the national meal plan (fact sheet S5) calls 特殊困难老年人.
S5_GROUPS = (
    "低保",
    "特困",
    "低保边缘",
    "独居",
    "空巢",
    "留守",
    "失能",
    "残疾",
    "高龄",
    "计划生育特殊家庭",
)


def _response(domain: dict[str, Any], name: str) -> str:
    variant = domain["responses"][name][0]
    titles = " ".join(b["title"] for b in variant.get("buttons") or [])
    return variant["text"] + " " + titles


@pytest.mark.parametrize("group", S5_GROUPS)
def test_the_meal_guide_knows_every_group(group: str, domain: dict[str, Any]) -> None:
    from actions.choices import load_questions

    option = load_questions()["meal_situation"].parse(group, requested=True)
    assert option is not None and option.extra.get("priority"), group
    assert group in _response(domain, "utter_ask_meal_situation"), "residents must see it"


def test_not_a_priority_does_not_rule_out_a_group(domain: dict[str, Any]) -> None:
    text = _response(domain, "utter_meal_priority_no")
    assert "不算特殊困难" not in text
    assert "低保边缘" in text and "计划生育特殊家庭" in text


@pytest.mark.parametrize("name", ["utter_meal_simple", "utter_meal_priority_no"])
def test_the_all_elders_principle_is_national(name: str, domain: dict[str, Any]) -> None:
    text = _response(domain, name)
    if "所有老" in text:
        assert "国家" in text, text


def _bubbles(dispatcher: CollectingDispatcher) -> list[dict[str, Any]]:
    return [m for m in dispatcher.messages if m.get("text") or m.get("response")]


@pytest.mark.parametrize("household", ["特困供养", "低保", "都不是", "不清楚"])
async def test_the_adaptation_guide_is_current_and_short(
    household: str, services: Any, domain: Any, corpus: Any, at_day: Any
) -> None:
    from actions.adaptation_guide import ActionAdaptationGuideResult

    at_day(dt.date(2026, 12, 1))
    slots = {"adapt_problem": "上厕所、洗澡", "adapt_household": household}
    dispatcher = CollectingDispatcher()
    await ActionAdaptationGuideResult(services).run(
        dispatcher, make_tracker("2", slots=slots), domain
    )
    bubbles = _bubbles(dispatcher)
    assert len(bubbles) <= 5, [b.get("text") or b.get("response") for b in bubbles]
    said = repr(dispatcher.messages)
    assert "utter_past_rule" not in said, "an expired round is not offered unasked"
    assert corpus.by_id["tradein-2025-rate"].text not in said
    assert corpus.by_id["tradein-2026-aging-products"].text in said


async def test_the_adaptation_guide_in_2025_offers_the_2025_round(
    services: Any, domain: Any, corpus: Any, at_day: Any
) -> None:
    from actions.adaptation_guide import ActionAdaptationGuideResult

    at_day(dt.date(2025, 6, 1))
    slots = {"adapt_problem": "地面滑", "adapt_household": "低保"}
    dispatcher = CollectingDispatcher()
    await ActionAdaptationGuideResult(services).run(
        dispatcher, make_tracker("2", slots=slots), domain
    )
    said = repr(dispatcher.messages)
    assert corpus.by_id["tradein-2025-rate"].text in said
    assert corpus.by_id["tradein-2026-aging-products"].text not in said
    assert len(_bubbles(dispatcher)) <= 5


def test_the_2020_targets_are_history(domain: dict[str, Any]) -> None:
    text = _response(domain, "utter_adapt_funding_special")
    assert "2020年" in text and re.search(r"当时|那时", text)
    assert "可能符合" not in text
    assert "社区" in text


@pytest.mark.parametrize("text", [t for t in user_texts() if "基础型" in t.text], ids=str)
def test_the_basic_type_manual_is_not_the_subsidised_list(text: UserText) -> None:
    assert "手册" in text.text
    assert re.search(r"不(是|等于)[^。]*补助", text.text), text.text


def test_the_items_intro_does_not_call_every_item_national(domain: dict[str, Any]) -> None:
    assert "国家的改造清单" not in _response(domain, "utter_adapt_items_intro")
