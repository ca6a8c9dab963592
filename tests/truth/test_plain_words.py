"""Plain words a 75-year-old follows (issue 11, part 6)."""

from __future__ import annotations

import re

import pytest

from tests.truth.conftest import UserText, first_bubbles, user_texts

TEXTS = user_texts()
FIRST = first_bubbles()

# Officialese that may not appear in a first bubble (the review's list and its kin).
OFFICIALESE = (
    "14510",
    "业态",
    "社区为依托",
    "普惠养老城企联动",
    "市场经营主体",
    "市场主体",
    "集聚区",
    "滚动更新",
    "责任转换政策",
    "多元供给格局",
    "追赃挽损",
    "多学科诊疗",
    "四级联动",
    "康养+",
    "高频事项",
    "订单式",
    "项目制",
    "差异化补助",
    "嵌入式",
    "纳入城市体检指标",
    "城企联动",
    "责任单位",
    "因地制宜",
)
# How researchers talk, not how a helper talks to a resident.
RESEARCHER_SPEAK = ("所见的", "公开来源", "来源里", "转载", "核实到")
# Numbers said the way people say them.
UNSPOKEN_NUMBER_RE = re.compile(r"\d+\s*(?:元|块|万元)?\s*/\s*(?:人|户|件|次|月|年)|×|\d+[xX]\d+")
DOC_NUMBER_RE = re.compile(r"〔\d{4}〕|\d{4}〕\d+号|发〔|函〔")
PHONES = {"110", "119", "120", "12345", "12333", "96110"}
AMOUNT_RE = re.compile(r"\d+(?:\.\d+)?")
CHOICE_RE = re.compile(r"(?<![\d.])\d{1,2}\.?\s")
DATE_RE = re.compile(r"\d{4}年(?:\d{1,2}月)?(?:\d{1,2}日)?|\d{4}-\d{2}-\d{2}")


@pytest.mark.parametrize("text", FIRST, ids=str)
def test_no_officialese_in_a_first_bubble(text: UserText) -> None:
    found = [w for w in OFFICIALESE if w in text.text]
    assert not found, found


@pytest.mark.parametrize("text", FIRST, ids=str)
def test_no_researcher_speak_in_a_first_bubble(text: UserText) -> None:
    found = [w for w in RESEARCHER_SPEAK if w in text.text]
    assert not found, found


@pytest.mark.parametrize("text", TEXTS, ids=str)
def test_numbers_are_written_as_people_say_them(text: UserText) -> None:
    assert not UNSPOKEN_NUMBER_RE.search(text.text), UNSPOKEN_NUMBER_RE.search(text.text)
    assert "+96110" not in text.text and "康养+" not in text.text


@pytest.mark.parametrize("text", FIRST, ids=str)
def test_no_document_numbers_in_a_first_bubble(text: UserText) -> None:
    assert not DOC_NUMBER_RE.search(text.text)


@pytest.mark.parametrize("text", FIRST, ids=str)
def test_at_most_four_amounts_in_a_first_bubble(text: UserText) -> None:
    spoken = CHOICE_RE.sub(" ", DATE_RE.sub(" ", text.text))  # "1 城区，2 矿区" are choices
    numbers = [n for n in AMOUNT_RE.findall(spoken) if n not in PHONES]
    assert len(numbers) <= 4, numbers


@pytest.mark.parametrize("text", TEXTS, ids=str)
def test_the_user_is_called_nin(text: UserText) -> None:
    assert "你" not in text.text, "say 您"
