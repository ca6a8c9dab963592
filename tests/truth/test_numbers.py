"""One table of phone numbers, and no text that contradicts it (issue 11, part 4)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.truth.conftest import DATA, UserText, user_texts

TEXTS = user_texts()
EXPECTED = {"110", "96110", "120", "119", "12345", "12333"}


def table() -> dict[str, Any]:
    return yaml.safe_load((DATA / "numbers.yml").read_text(encoding="utf-8"))


def test_the_table_has_the_six_numbers_in_order() -> None:
    data = table()
    numbers = [item["number"] for item in data["numbers"]]
    assert set(numbers) == EXPECTED
    assert numbers[0] == "110", "being scammed or in danger comes first"
    by_number = {item["number"]: item for item in data["numbers"]}
    assert "不是紧急电话" in by_number["12345"]["say"]
    assert "不等于报警" in by_number["96110"]["say"]
    assert "120" in by_number["120"]["say"] and "急" in by_number["120"]["say"]


def test_the_conflict_rules_catch_the_known_mistakes() -> None:
    from knowledge.corpus import number_conflicts

    for bad in (
        "怀疑被骗打96110",
        "怀疑被骗、想咨询防骗打96110",
        "拿不准就打96110咨询。",
        "急病打110。",
        "12345是急救电话。",
    ):
        assert number_conflicts(bad), bad
    for good in (
        "被骗或怀疑被骗，第一时间打110报警。96110是劝阻和咨询用的，不等于报警。",
        "12345不是紧急电话。急病打120。",
        "想问防骗的事、举报骗子，可以打96110。",
    ):
        assert not number_conflicts(good), good


@pytest.mark.parametrize("text", TEXTS, ids=str)
def test_no_text_contradicts_the_table(text: UserText) -> None:
    from knowledge.corpus import number_conflicts

    assert not number_conflicts(text.text), text.text


@pytest.mark.parametrize("text", TEXTS, ids=str)
def test_only_numbers_of_the_table_are_given(text: UserText) -> None:
    for number in re.findall(r"(?:打|拨打|拨)\s*(\d{3,})", text.text):
        assert number in EXPECTED, number


@pytest.mark.parametrize("text", [t for t in TEXTS if t.kind != "title"], ids=str)
def test_a_medical_emergency_gets_120(text: UserText) -> None:
    medical = re.compile(table()["needs_120"])
    gives_a_number = re.search(r"110|119|急救电话|报警电话|(?<!紧)急救", text.text)
    if medical.search(text.text) and gives_a_number:
        assert "120" in text.text, text.text


async def test_the_handoff_names_120(services: Any, domain: Any) -> None:
    from rasa_sdk.executor import CollectingDispatcher

    from actions.conversation import ActionHumanHandoff
    from tests.support.dialogue import make_tracker

    dispatcher = CollectingDispatcher()
    await ActionHumanHandoff(services).run(dispatcher, make_tracker("转人工"), domain)
    said = []
    for message in dispatcher.messages:
        text = message.get("text")
        if text is None:
            variants = domain["responses"][message["response"]]
            text = variants[0]["text"].format(
                **{k: v for k, v in message.items() if isinstance(v, str)}
            )
        said.append(text)
    assert any("120" in s for s in said), said
