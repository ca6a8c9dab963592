"""The first bubble is true on its own; `more` and `steps` sit behind buttons (issue 11, part 1)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import QUALIFIERS
from knowledge.clauses import parse_plan
from tests.truth.conftest import DATA, entries

ENTRIES = entries()
IDS = [e["id"] for e in ENTRIES]

# QUALIFIERS (actions.answers): words that carry the qualifier a statement needs to be
# true. When `more` or `steps` has one, the first bubble must have it too.
HEDGE_VERBS = re.compile(r"鼓励|支持|探索|可以|推进|引导")
BARE_YES = re.compile(r"^(有|能|中|可以|会|行|管)[。，！,!]")
SENTENCE_END = re.compile(r"[。；！？\n]")


def _sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text) if s.strip()]


def _bigrams(text: str) -> set[str]:
    text = re.sub(r"\W+", "", text)
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _cited_sentences(entry: dict[str, Any]) -> list[str]:
    plan = {c.id: c.text for c in parse_plan((DATA / "sources" / "plan.md").read_text("utf-8"))}
    facts = (DATA / "sources" / "facts.md").read_text(encoding="utf-8").splitlines()
    found: list[str] = []
    for cid in entry.get("clause_ids") or []:
        found += _sentences(plan.get(cid, ""))
    for sid in entry.get("sources") or []:
        for line in facts:
            if f"[{sid}]" in line and not line.lstrip().startswith(f"- [{sid}]"):
                found += _sentences(line)
    return found


def source_sentence(entry: dict[str, Any]) -> str:
    """The cited sentence that the first bubble says (most shared character pairs)."""
    answer = _bigrams(entry["answer"])
    best, score = "", 0
    for sentence in _cited_sentences(entry):
        shared = len(answer & _bigrams(sentence))
        if shared > score:
            best, score = sentence, shared
    return best


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_a_qualifier_in_more_or_steps_is_also_in_the_first_bubble(entry: dict[str, Any]) -> None:
    rest = (entry.get("more") or "") + "".join(entry.get("steps") or [])
    hidden = [q for q in QUALIFIERS if q in rest and q not in entry["answer"]]
    assert not hidden, f"qualifier only behind the button: {hidden}"


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_a_hedged_source_is_not_answered_with_a_bare_yes(entry: dict[str, Any]) -> None:
    sentence = source_sentence(entry)
    if not HEDGE_VERBS.search(sentence):
        return
    assert not BARE_YES.match(entry["answer"]), f"source only says: {sentence}"
    assert not re.search(r"已(经)?(纳入|建成|开通|实行)", entry["answer"]) or "已" in sentence


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e["clause_ids"]], ids=lambda e: e["id"])
def test_a_plan_clause_is_cited_only_where_the_answer_says_what_the_plan_says(
    entry: dict[str, Any],
) -> None:
    said = entry["answer"] + (entry.get("more") or "") + "".join(entry.get("steps") or [])
    assert "计划" in said, "cites the plan but never says it is the plan's"


def test_the_high_findings_of_the_review() -> None:
    by_id = {e["id"]: e for e in ENTRIES}
    basic = by_id["adapt-basic-items"]["answer"]
    assert "特殊困难" in basic  # only special-difficulty households get basic items paid
    handrail = by_id["adapt-handrail"]["answer"]
    assert "特殊困难" in handrail or "能不能补助" in handrail
    talent = by_id["policy-talent-training"]["answer"]
    assert "培训机构" in talent and "企业" in talent and not BARE_YES.match(talent)
    assert "已纳入" not in (by_id["policy-talent-training"].get("more") or "")
    hotlines = by_id["general-hotlines"]["answer"]
    assert not re.search(r"被骗[^。；]*96110", hotlines)


# ----- the buttons -----


def _say(doc: Any, corpus: Any) -> CollectingDispatcher:
    from actions.answers import say_entry

    dispatcher = CollectingDispatcher()
    say_entry(dispatcher, doc, corpus, hotline="12345")
    return dispatcher


def _buttons(dispatcher: CollectingDispatcher) -> list[dict[str, str]]:
    return [b for m in dispatcher.messages for b in m.get("buttons") or []]


def _part(button: dict[str, str]) -> str | None:
    payload = button["payload"]
    if not payload.startswith("/ask_policy{"):
        return None
    return json.loads(payload[len("/ask_policy") :]).get("part")


@pytest.mark.parametrize(
    "entry", [e for e in ENTRIES if e.get("more") or e.get("steps")], ids=lambda e: e["id"]
)
def test_more_and_steps_are_offered_with_a_button(entry: dict[str, Any], corpus: Any) -> None:
    doc = corpus.by_id[entry["id"]]
    buttons = _buttons(_say(doc, corpus))
    parts = {_part(b): b["title"] for b in buttons if _part(b)}
    if doc.more:
        assert parts.get("more") == "详细说说"
    if doc.steps:
        assert parts.get("steps") == "怎么办"


def test_a_part_button_names_its_entry(corpus: Any) -> None:
    doc = corpus.by_id["tradein-2025-rate"]
    button = next(b for b in _buttons(_say(doc, corpus)) if _part(b) == "more")
    body = json.loads(button["payload"][len("/ask_policy") :])
    from actions.answers import decode_entry_id

    assert decode_entry_id(body["entry_id"]) == doc.id  # survives the app's redaction


def test_say_entry_part_says_more_and_steps(corpus: Any, domain: Any) -> None:
    from actions.answers import say_entry_part

    doc = corpus.by_id["adapt-subsidy-amount"]
    dispatcher = CollectingDispatcher()
    assert say_entry_part(dispatcher, doc, "more", corpus)
    first = dispatcher.messages[0]
    assert first.get("text") == doc.more or first.get("more") == doc.more
    assert first["custom"]["citations"]

    doc = corpus.by_id["meal-how-to-apply"]
    dispatcher = CollectingDispatcher()
    assert say_entry_part(dispatcher, doc, "steps", corpus)
    assert dispatcher.messages[0]["response"] == "utter_steps"
    assert "1. " in dispatcher.messages[0]["steps"]

    dispatcher = CollectingDispatcher()
    assert not say_entry_part(dispatcher, corpus.by_id["scam-law"], "more", corpus)
    assert dispatcher.messages == []


def test_wechat_numbered_replies_cover_the_part_buttons(corpus: Any) -> None:
    from channels.wechat.buttons import MenuStore
    from channels.wechat.formatting import render
    from channels.wechat.texts import load_texts
    from core.messages import BotMessage, attach_citations

    doc = corpus.by_id["meal-how-to-apply"]  # has steps
    raw = []
    for m in _say(doc, corpus).messages:
        raw.append({"text": m.get("text"), "buttons": m.get("buttons"), "custom": m.get("custom")})
    messages = attach_citations([BotMessage.from_rasa(r) for r in raw])
    texts = load_texts("12345")
    rendered = render(messages, texts)
    assert "回复 1：怎么办" in rendered.parts[0]
    menus = MenuStore()
    menus.show("u", rendered.payloads, 0.0)
    payload = menus.resolve("u", "1", 1.0, texts.number_words)
    assert payload is not None and '"part": "steps"' in payload


def test_simpler_keeps_the_qualifier(corpus: Any) -> None:
    from actions.answers import summary

    for doc in corpus.entries:
        kept = summary(doc)
        lost = [q for q in QUALIFIERS if q in doc.text and q not in kept]
        assert not lost, (doc.id, kept, lost)


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.get("steps")], ids=lambda e: e["id"])
def test_a_110_step_is_also_in_the_first_bubble(entry: dict[str, Any]) -> None:
    """What to do when already scammed is never only behind the "怎么办" button."""
    steps = "".join(entry["steps"]).replace("96110", "")
    if "110" in steps:
        assert "110" in entry["answer"].replace("96110", ""), entry["answer"]
