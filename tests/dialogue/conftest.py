"""Fixtures for dialogue tests: real rasa_sdk trackers, the real knowledge corpus."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import ActionServices
from app.settings import Settings
from knowledge.corpus import Corpus, load_corpus
from knowledge.retriever import Hit, SearchResult
from textnorm.normalize import NormalizedQuery, TextAnalyzer
from textnorm.vocabulary import load_vocabulary

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return load_corpus(ROOT / "knowledge" / "data", ROOT.parent / "shared" / "sources")


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def analyzer() -> TextAnalyzer:
    return load_vocabulary(ROOT / "knowledge" / "data").analyzer()


@dataclass
class ScriptedRetriever:
    """A retriever whose answers the test chooses; documents come from the real corpus.

    ``answers`` maps a query to entry ids; a query that is not listed but starts with a
    listed one's entry title (a follow-up search) is looked up by its last words.
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


@pytest.fixture
def retriever(corpus: Corpus, analyzer: TextAnalyzer) -> ScriptedRetriever:
    return ScriptedRetriever(corpus, analyzer)


@pytest.fixture
def services(retriever: ScriptedRetriever) -> ActionServices:
    settings = Settings(_env_file=None, hotline="12345", form_retry_limit=2)  # type: ignore[call-arg]
    return ActionServices(settings=settings, retriever=retriever)  # type: ignore[arg-type]


@pytest.fixture
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    day = dt.date(2026, 11, 28)
    monkeypatch.setattr("actions.answers.today", lambda: day)
    return day


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
