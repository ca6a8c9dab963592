"""No yes/no openers: every answer reads right after every one of its questions (issue 11, part 2)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from tests.truth.conftest import entries

ENTRIES = entries()
REPLY_RE = re.compile(
    r"^(中|不中|能|不能|有|没有|会|不会|可以|不可以|是的|是|不是|对|管|有用|不用|行|不行|能给|不能给)[。！，,!]"
)
# Questions that do not ask for a yes or a no.
OPEN_QUESTION_RE = re.compile(r"怎么|咋|什么|啥|哪|谁|多少|几|是个甚")


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_no_answer_opens_with_a_yes_or_a_no(entry: dict[str, Any]) -> None:
    assert not REPLY_RE.match(entry["answer"]), entry["answer"][:12]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_each_question_gets_the_same_answer(entry: dict[str, Any], corpus: Any) -> None:
    from actions.answers import say_entry

    doc = corpus.by_id[entry["id"]]
    said = set()
    for question in entry["questions"]:
        dispatcher = CollectingDispatcher()
        say_entry(dispatcher, doc, corpus, hotline="12345", question=question)
        first = dispatcher.messages[0]
        text = first.get("text") or first.get("answer") or ""
        assert not REPLY_RE.match(text), (question, text[:12])
        if OPEN_QUESTION_RE.search(question):
            assert not REPLY_RE.match(text), (question, text[:12])
        said.add(text)
    assert len(said) == 1, "the wording of the question changed the answer"


def test_the_opener_mechanism_is_gone() -> None:
    import actions.answers as answers

    for name in ("REPLY_WORDS", "YES_NO_MARKERS", "asked_yes_no", "without_reply_word"):
        assert not hasattr(answers, name), name
