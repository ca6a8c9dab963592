"""The default model (USE multilingual v3 via sentence-transformers) and the real data.

Marked ``slow``: they load torch and the model (about 10 s). The eval targets run on
``tests/eval/dev/questions.yml`` and ``knowledge/data``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.embedding import DEFAULT_MODEL, load_embedder

pytestmark = [pytest.mark.slow, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
EVAL_FILE = ROOT / "tests" / "eval" / "dev" / "questions.yml"
DATA = ROOT / "knowledge" / "data"


@pytest.fixture(scope="module")
def embedder():  # type: ignore[no-untyped-def]
    return load_embedder(DEFAULT_MODEL)


def test_default_model_is_a_sentence_transformer(embedder) -> None:  # type: ignore[no-untyped-def]
    from sentence_transformers import SentenceTransformer

    assert isinstance(embedder.model, SentenceTransformer)
    vectors = embedder.encode(["老年助餐谁能用", "助餐点在哪里", "冒充公安的诈骗电话"])
    assert vectors.shape == (3, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_default_model_saves_and_loads(embedder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    embedder.model.save(str(tmp_path / "model"))
    again = load_embedder(str(tmp_path / "model"))
    texts = ["老年助餐谁能用", "96110"]
    assert np.allclose(embedder.encode(texts), again.encode(texts), atol=1e-5)


@pytest.fixture(scope="module")
def real_retriever(embedder):  # type: ignore[no-untyped-def]
    from knowledge.corpus import load_corpus
    from knowledge.retriever import Retriever

    if not (DATA / "sources" / "plan.md").exists():
        pytest.skip("knowledge/data not present")
    return Retriever.from_corpus(load_corpus(DATA), embedder)


def test_eval_targets(real_retriever) -> None:  # type: ignore[no-untyped-def]
    from knowledge.evaluation import evaluate, load_questions

    if not EVAL_FILE.exists():
        pytest.skip("no eval set")
    report = evaluate(real_retriever, load_questions(EVAL_FILE)).as_dict()
    hybrid, bm25, dense = report["hybrid"], report["bm25"], report["dense"]
    assert hybrid["all"]["hit@3"] >= 0.95
    assert hybrid["all"]["hit@1"] >= 0.85
    for group, scores in hybrid.items():
        if group.startswith("noise:"):
            assert scores["hit@3"] >= 0.85, group
    assert hybrid["all"]["mrr"] > bm25["all"]["mrr"]
    assert hybrid["all"]["mrr"] > dense["all"]["mrr"]


def test_confidence_with_real_model(real_retriever) -> None:  # type: ignore[no-untyped-def]
    good = real_retriever.search("老年助餐谁能用", 3)
    off = [
        real_retriever.search(q, 3)
        for q in ("今天天气怎么样", "帮我订一张去北京的火车票", "asdfgh")
    ]
    assert good.confident
    assert all(o.confidence < good.confidence for o in off)


@pytest.mark.parametrize(
    "query", ["", "😀" * 50, "助餐" * 5000, "\x00\x1b[0m", "Привет 老人 مرحبا"]
)
def test_bad_input_with_real_model(real_retriever, query: str) -> None:  # type: ignore[no-untyped-def]
    result = real_retriever.search(query, 5)
    assert len(result.hits) <= 5
