"""Retrieval runs off the event loop (actions/offload.py), and answers do not change.

The real retriever (real corpus, BM25 and normaliser; fake dense embedder) answers the same
questions one at a time and many at once: every answer must be the same, bubble for bubble.
Each search must run on a pool thread, never on the loop's own thread.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.policy_answer import ActionAnswerPolicy
from actions.scam_check import ActionScamCheckResult
from tests.support.dialogue import make_tracker

ROOT = Path(__file__).resolve().parents[2]


def dev_policy_questions(n: int) -> list[str]:
    items = yaml.safe_load((ROOT / "tests/eval/dev/e2e.yml").read_text(encoding="utf-8"))
    return [str(i["q"]) for i in items if i.get("group") == "policy"][:n]


async def answer(services: Any, domain: dict[str, Any], text: str) -> tuple[list, list]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent="nlu_fallback")
    events = await ActionAnswerPolicy(services).run(dispatcher, tracker, domain)
    return dispatcher.messages, events


async def test_answers_at_once_equal_answers_one_by_one(real_services, domain, pinned_today):
    questions = dev_policy_questions(12)
    one_by_one = [await answer(real_services, domain, q) for q in questions]
    at_once = await asyncio.gather(*(answer(real_services, domain, q) for q in questions * 2))
    assert all(messages for messages, _ in one_by_one)  # every question got bubbles
    assert list(at_once) == one_by_one * 2


@pytest.fixture
def search_threads(real_services, monkeypatch) -> list[int]:
    """The thread ids every retriever search ran on."""
    threads: list[int] = []
    search = real_services.retriever.search

    def recording(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.get_ident())
        return search(*args, **kwargs)

    monkeypatch.setattr(real_services.retriever, "search", recording)
    return threads


async def test_policy_answer_searches_off_the_loop(
    real_services, domain, search_threads, pinned_today
):
    await answer(real_services, domain, "老年食堂吃饭要钱吗")
    button = make_tracker(
        '/ask_policy{"entry_id": "meal-rural"}',
        intent="ask_policy",
        entities=[{"entity": "entry_id", "value": "meal-rural"}],
    )
    await ActionAnswerPolicy(real_services).run(CollectingDispatcher(), button, domain)
    assert len(search_threads) >= 2
    assert threading.get_ident() not in search_threads


async def test_scam_check_searches_off_the_loop(
    real_services, domain, search_threads, pinned_today
):
    slots = {
        "scam_paid": "还没有",
        "scam_channel": "打电话",
        "scam_asked": ["money"],
        "scam_story": "电话里说是公安局的，让我把钱转到安全账户",
    }
    dispatcher = CollectingDispatcher()
    await ActionScamCheckResult(real_services).run(
        dispatcher, make_tracker("要钱", slots=slots), domain
    )
    assert search_threads
    assert threading.get_ident() not in search_threads
