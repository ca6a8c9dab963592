"""Citations say how far a fact reaches (issue 11, part 3). ``scope`` is a contract."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import yaml

from knowledge.corpus import REGISTRY_KEYS
from tests.truth.conftest import DATA, entries

SCOPES = {"yangquan", "shanxi", "national", "elsewhere"}
ENTRIES = entries()


def registry() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for path in sorted((DATA / "sources").glob("*.yml")):
        items += yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return items


def test_the_fact_sheet_registry_has_every_source() -> None:
    facts = yaml.safe_load((DATA / "sources" / "facts.yml").read_text(encoding="utf-8"))
    assert [item["id"] for item in facts] == [f"S{i}" for i in range(1, 59)]
    for item in facts:
        assert item["origin"] == "fact sheet facts.md"


@pytest.mark.parametrize("item", registry(), ids=lambda i: i["id"])
def test_registry_item(item: dict[str, Any]) -> None:
    assert set(item) == REGISTRY_KEYS, set(item) ^ REGISTRY_KEYS
    assert re.fullmatch(r"[SN]\d+", item["id"])
    assert item["scope"] in SCOPES
    assert item["confidence"] in {"high", "medium", "low"}
    plain = item["plain"]
    assert isinstance(plain, str) and 0 < len(plain) <= 30
    assert "⚠" not in plain and "没有网址" not in plain and "http" not in plain
    assert not re.search(r"[A-Za-z]", plain), "no English in what residents see"
    assert "〔" not in plain, "no document numbers in what residents see"
    if item["scope"] == "elsewhere":
        assert item["place"] and item["place"] in plain, "an example names its place"
    else:
        assert item["place"] is None
    if item["date"] is not None:
        assert isinstance(item["date"], dt.date) or re.fullmatch(
            r"\d{4}(-\d{2})?", str(item["date"])
        )


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_every_citation_has_a_scope_and_a_plain_title(entry: dict[str, Any], corpus: Any) -> None:
    from actions.answers import citations

    doc = corpus.by_id[entry["id"]]
    cited = citations(doc, corpus)
    by_id = {i["id"]: i for i in registry()}
    for c in cited:
        assert c["scope"] in SCOPES
        if c["kind"] == "clause":
            assert c["scope"] == "yangquan"
        else:
            assert c["scope"] == by_id[c["clause_id"]]["scope"]
            assert c["title"] == by_id[c["clause_id"]]["plain"]
        assert "⚠" not in c["title"] and not re.search(r"[A-Za-z]", c["title"])


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_no_fact_hides_under_a_plan_clause(entry: dict[str, Any], corpus: Any) -> None:
    """Every source is cited with its own scope, not folded into a Yangquan clause."""
    from actions.answers import citations

    doc = corpus.by_id[entry["id"]]
    cited = {c["clause_id"] for c in citations(doc, corpus)}
    assert cited == set(doc.clause_ids) | set(doc.sources)


def test_the_medium_citation_findings(corpus: Any) -> None:
    from actions.answers import citations

    def scopes(entry_id: str) -> dict[str, str]:
        return {c["clause_id"]: c["scope"] for c in citations(corpus.by_id[entry_id], corpus)}

    assert scopes("adapt-how-to-apply").get("S16") == "elsewhere"
    assert "T18" not in scopes("adapt-how-to-apply")  # T18 says nothing about applying
    assert scopes("meal-who-can-use").get("S5") == "national"
    assert scopes("tradein-2025-home").get("S19") == "national"
    assert scopes("tradein-2026-national").get("S24") == "national"


def test_api_chat_citations_carry_the_scope() -> None:
    from core.messages import BotMessage

    raw = {
        "text": None,
        "custom": {
            "citations": [
                {"clause_id": "S13", "title": "民政部等", "kind": "source", "scope": "national"}
            ]
        },
    }
    dumped = BotMessage.from_rasa(raw).model_dump()
    assert dumped["citations"][0]["scope"] == "national"


def test_operators_still_see_the_full_source_line(corpus: Any) -> None:
    from console.lookup import hit_view

    hit = hit_view(corpus, corpus.by_id["adapt-subsidy-amount"], 1.0)
    titles = {s.id: s.title for s in hit.sources}
    assert "武汉市适老化改造工程启动报道" in titles["S16"]  # the fact sheet's own line


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_wechat_shows_plain_titles(entry: dict[str, Any], corpus: Any) -> None:
    from rasa_sdk.executor import CollectingDispatcher

    from actions.answers import say_entry
    from channels.wechat.formatting import render
    from channels.wechat.texts import load_texts
    from core.messages import BotMessage, attach_citations

    dispatcher = CollectingDispatcher()
    say_entry(
        dispatcher, corpus.by_id[entry["id"]], corpus, hotline="12345", on=dt.date(2026, 12, 1)
    )
    raw = [{"text": m.get("text"), "custom": m.get("custom")} for m in dispatcher.messages]
    text = "\n".join(
        render(attach_citations([BotMessage.from_rasa(r) for r in raw]), load_texts("12345")).parts
    )
    for line in text.splitlines():
        if line.startswith("依据"):
            assert "⚠" not in line and "没有网址" not in line
            assert not re.search(r"[A-Za-z]{3,}", line), line
