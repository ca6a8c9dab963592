"""Fixtures for dialogue tests: real rasa_sdk trackers, the real knowledge corpus.

``real_services`` search with the real retriever (real corpus, BM25 and normaliser; fake
dense embedder). ``services`` and ``retriever`` use a ``ScriptedRetriever`` with fixed
hits: only for tests that need them (tests/truth reuses these
fixtures and helpers from here, so they stay importable from this module).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.base import ActionServices
from core.settings import Settings
from knowledge.corpus import Corpus
from knowledge.retriever import Retriever
from tests.support.dialogue import ScriptedRetriever, make_tracker, texts  # noqa: F401
from tests.support.retrieval import real_corpus, real_retriever  # noqa: F401 (fixture)
from textnorm.normalize import TextAnalyzer
from textnorm.vocabulary import load_vocabulary

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return real_corpus()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def analyzer() -> TextAnalyzer:
    return load_vocabulary(ROOT / "knowledge" / "data").analyzer()


def _settings() -> Settings:
    return Settings(_env_file=None, hotline="12345", form_retry_limit=2)  # type: ignore[call-arg]


@pytest.fixture
def retriever(corpus: Corpus, analyzer: TextAnalyzer) -> ScriptedRetriever:
    """Fixed hits (``retriever.answers``); only for tests that depend on them."""
    return ScriptedRetriever(corpus, analyzer)


@pytest.fixture
def services(retriever: ScriptedRetriever) -> ActionServices:
    """Services over the scripted ``retriever``."""
    return ActionServices(settings=_settings(), retriever=retriever)  # type: ignore[arg-type]


@pytest.fixture
def real_services(real_retriever: Retriever) -> ActionServices:  # noqa: F811
    """Services over the real retriever; new settings per test (tests may change them)."""
    return ActionServices(settings=_settings(), retriever=real_retriever)


@pytest.fixture
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    day = dt.date(2026, 11, 28)
    monkeypatch.setattr("actions.answers.today", lambda: day)
    return day
