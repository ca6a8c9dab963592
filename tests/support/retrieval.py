"""The real knowledge retriever for tests: the real corpus, BM25 and query normaliser.

Only the dense model is replaced, by ``knowledge.embedding.FakeEmbedder`` (hashed character
n-grams, no model to load). The corpus and the retriever are built once per test process and
shared; searching does not change them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from knowledge.corpus import Corpus
    from knowledge.retriever import Retriever

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE_DIR = ROOT / "knowledge" / "data"
SOURCES_DIR = ROOT.parent / "shared" / "sources"


@lru_cache(maxsize=1)
def real_corpus() -> Corpus:
    """The knowledge corpus the app loads (entries, clauses and the shared sources)."""
    from knowledge.corpus import load_corpus

    return load_corpus(KNOWLEDGE_DIR, SOURCES_DIR)


@lru_cache(maxsize=1)
def build_real_retriever() -> Retriever:
    """``Retriever.from_corpus`` over :func:`real_corpus` with the fake embedder."""
    from knowledge.embedding import FakeEmbedder
    from knowledge.retriever import Retriever

    return Retriever.from_corpus(real_corpus(), FakeEmbedder())


@pytest.fixture(scope="session")
def real_retriever() -> Retriever:
    """The real retriever (see :func:`build_real_retriever`), once per session."""
    return build_real_retriever()
