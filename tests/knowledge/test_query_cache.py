"""The query-embedding cache: the same vector as the model, one model call per new text."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.embedding import FakeEmbedder, QueryCache
from knowledge.index import build_dense_index
from knowledge.retriever import Retriever


class CountingEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.extend(texts)
        return super().encode(texts)


def test_a_question_asked_again_is_not_embedded_again() -> None:
    model = CountingEmbedder()
    cache = QueryCache(model, size=8)
    first = cache.vector("助餐怎么收费")
    again = cache.vector("助餐怎么收费")
    other = cache.vector("家里装扶手")
    assert model.calls == ["助餐怎么收费", "家里装扶手"]
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, FakeEmbedder().encode(["助餐怎么收费"])[0])
    assert not np.array_equal(first, other)


def test_shared_vectors_cannot_be_changed_by_a_caller() -> None:
    vector = QueryCache(FakeEmbedder(), size=8).vector("助餐怎么收费")
    with pytest.raises(ValueError):
        vector[0] = 1.0


def test_size_zero_asks_the_model_every_time() -> None:
    model = CountingEmbedder()
    cache = QueryCache(model, size=0)
    cache.vector("助餐怎么收费")
    cache.vector("助餐怎么收费")
    assert model.calls == ["助餐怎么收费", "助餐怎么收费"]


def test_the_oldest_question_is_forgotten_first() -> None:
    model = CountingEmbedder()
    cache = QueryCache(model, size=2)
    for text in ["一", "二", "三", "一"]:
        cache.vector(text)
    assert model.calls == ["一", "二", "三", "一"]


def test_cached_searches_rank_exactly_as_uncached_ones(corpus) -> None:  # type: ignore[no-untyped-def]
    model = FakeEmbedder()
    dense = build_dense_index(corpus, model)
    plain = Retriever(corpus, model, dense)
    cached = Retriever(corpus, model, dense, query_cache_size=16)
    for query in ["老年助餐谁能用", "冒充警察让我转钱", "老年助餐谁能用", "zcd"]:
        a, b = plain.search(query, 5), cached.search(query, 5)
        assert [h.document.id for h in a.hits] == [h.document.id for h in b.hits]
        assert [h.score for h in a.hits] == [h.score for h in b.hits]
        assert a.confidence == b.confidence
