"""Helpers of the dialogue tests: real rasa_sdk trackers, what the user reads, and a
retriever whose hits the test chooses (for the tests that need fixed hits)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from knowledge.corpus import Corpus
from knowledge.retriever import Hit, SearchResult
from textnorm.normalize import NormalizedQuery, TextAnalyzer


@dataclass
class ScriptedRetriever:
    """A retriever whose answers the test chooses; documents come from the real corpus.

    Use it only where a test needs fixed hits (an exact list of related entries, a low
    confidence); otherwise use the real retriever (``tests.support.retrieval``).
    ``answers`` maps a query to entry ids; a query that is not listed gets no hits.
    """

    corpus: Corpus
    analyzer: TextAnalyzer
    answers: dict[str, list[str]] = field(default_factory=dict)
    confident: bool = True
    threshold: float = 0.5
    queries: list[str] = field(default_factory=list)
    topics_seen: list[Any] = field(default_factory=list)

    def normalize(self, query: str) -> NormalizedQuery:
        return NormalizedQuery(query, query, query, (), ())

    def search(
        self,
        query: str,
        top_k: int = 5,
        *,
        mode: str = "hybrid",
        topics: Any = None,
        exclude: Any = None,
    ) -> SearchResult:
        self.queries.append(query)
        self.topics_seen.append(topics)
        ids = [i for i in self.answers.get(query, []) if i not in (exclude or ())]
        hits = [Hit(self.corpus.by_id[i], 1.0 / (n + 1)) for n, i in enumerate(ids)][:top_k]
        confidence = 0.9 if (hits and self.confident) else 0.1
        return SearchResult(query, query, hits, confidence, confidence >= 0.5)


def make_tracker(
    text: str = "",
    *,
    intent: str = "inform",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    active_loop: str | None = None,
    events: list[dict[str, Any]] | None = None,
) -> Tracker:
    """A real rasa_sdk Tracker whose latest message is ``text``."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
    }
    history = list(events or []) + [{"event": "user", "text": text, "parse_data": latest}]
    return Tracker(
        sender_id="test",
        slots=dict(slots or {}),
        latest_message=latest,
        events=history,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    """What the user would read, with response names for templated messages."""
    return [m.get("text") or m.get("response") or "" for m in dispatcher.messages]
