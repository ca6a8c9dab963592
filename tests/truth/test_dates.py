"""Dates are real: one clock, ``YINFA_TODAY``, valid_from and valid_until (issue 11, part 5)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk.executor import CollectingDispatcher

from tests.truth.conftest import UserText, user_texts

DAYS = (dt.date(2025, 6, 1), dt.date(2026, 12, 1), dt.date(2027, 3, 1))
PRESENT_YEAR_RE = re.compile(r"(现在|今年|目前|当前|眼下|如今)(已经)?(是|为)?\d{4}年")


def test_the_clock_is_asia_shanghai(monkeypatch: pytest.MonkeyPatch) -> None:
    from core import clock
    from core.settings import get_settings

    monkeypatch.delenv("YINFA_TODAY", raising=False)
    get_settings.cache_clear()
    before = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert clock.today() in {before, dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()}
    assert ZoneInfo("Asia/Shanghai") == clock.TIMEZONE
    get_settings.cache_clear()


def test_yinfa_today_overrides_the_clock(at_day: Any) -> None:
    from actions import answers
    from core import clock

    at_day(dt.date(2027, 3, 1))
    assert clock.today() == dt.date(2027, 3, 1)
    assert answers.today() == dt.date(2027, 3, 1)


def test_a_bad_yinfa_today_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.settings import Settings

    monkeypatch.setenv("YINFA_TODAY", "tomorrow")
    with pytest.raises(ValueError):
        Settings(_env_file=None)  # type: ignore[call-arg]


def _first(corpus: Any, entry_id: str) -> tuple[str, list[str]]:
    from actions.answers import say_entry

    dispatcher = CollectingDispatcher()
    say_entry(dispatcher, corpus.by_id[entry_id], corpus, hotline="12345")
    names = [m.get("response") or "" for m in dispatcher.messages]
    first = dispatcher.messages[0]
    return first.get("text") or first.get("response") or "", names


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_dated_answers_follow_the_day(day: dt.date, corpus: Any, at_day: Any) -> None:
    at_day(day)
    rate_2025, rate_names = _first(corpus, "tradein-2025-rate")
    national_2026, national_names = _first(corpus, "tradein-2026-national")
    if day == DAYS[0]:  # the 2025 round runs, the 2026 round has not started
        assert "utter_past_rule" not in rate_names
        assert national_names[0] == "utter_future_rule_answer"
    elif day == DAYS[1]:  # 2025 is over, 2026 runs
        assert "utter_past_rule" in rate_names
        assert (
            "utter_past_rule" not in national_names
            and "utter_future_rule_answer" not in national_names
        )
    else:  # both are over; the next year is named from the clock
        assert "utter_past_rule" in national_names


async def test_answers_change_with_the_day(corpus: Any, at_day: Any) -> None:
    from actions.answers import say_entry

    seen = []
    for day in DAYS:
        at_day(day)
        dispatcher = CollectingDispatcher()
        say_entry(dispatcher, corpus.by_id["tradein-2026-national"], corpus, hotline="12345")
        seen.append(repr(dispatcher.messages))
    assert len(set(seen)) == 3
    assert "2027" in seen[2] and "2027" not in seen[1]


def test_a_rule_not_yet_in_force_says_when_it_starts(corpus: Any, at_day: Any, domain: Any) -> None:
    from actions.answers import say_entry

    at_day(DAYS[0])
    dispatcher = CollectingDispatcher()
    say_entry(dispatcher, corpus.by_id["tradein-2026-national"], corpus, hotline="12345")
    first = dispatcher.messages[0]
    assert first["start"] == "2026年1月1日"
    assert "{start}" in domain["responses"]["utter_future_rule_answer"][0]["text"]


@pytest.mark.parametrize("text", user_texts(), ids=str)
def test_no_text_writes_the_present_year(text: UserText) -> None:
    assert not PRESENT_YEAR_RE.search(text.text), text.text
