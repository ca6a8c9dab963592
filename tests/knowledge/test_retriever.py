"""Hybrid retrieval with the fake embedder: ranking, modes, topics, bad input, index files."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from knowledge.corpus import load_corpus
from knowledge.embedding import FakeEmbedder
from knowledge.evaluation import Question, evaluate, first_hit_rank
from knowledge.index import (
    META_FILE,
    build_dense_index,
    dense_rows,
    is_fresh,
    load_dense_index,
    save_dense_index,
)
from knowledge.retriever import Retriever


def top_id(retriever: Retriever, query: str, **kwargs) -> str:  # type: ignore[no-untyped-def]
    result = retriever.search(query, 3, **kwargs)
    assert result.hits, query
    return result.hits[0].document.id


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("老年助餐谁能用", "meal-who-can-use"),
        ("96110是什么电话", "scam-96110"),
        ("养老金认证短信要点链接吗", "scam-pension-sms"),
        ("冒充警察让我转钱", "scam-police"),
        ("家里装扶手", "adaptation-what"),
        ("zcd", "meal-where"),
        ("是老化改造有补贴吗", "adaptation-subsidy"),
        ("96110是啥", "scam-96110"),
    ],
)
def test_questions_land_on_entries(retriever: Retriever, query: str, expected: str) -> None:
    assert top_id(retriever, query) == expected


def test_clause_queries_find_clauses(retriever: Retriever) -> None:
    result = retriever.search("人行阳泉分行 个人养老金 商业养老保险", 5)
    assert first_hit_rank([h.document for h in result.hits], {"T14"}) == 1
    result = retriever.search("划拨用地目录 先租后让", 5)
    assert result.hits[0].document.id == "S2"


def test_hits_carry_documents_and_scores(retriever: Retriever) -> None:
    result = retriever.search("助餐点在哪里", 5)
    assert len(result.hits) == 5
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert result.normalized_query == "助餐点在哪里"
    assert 0.0 <= result.confidence <= 1.0


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_every_mode_answers(retriever: Retriever, mode: str) -> None:
    result = retriever.search("96110是什么电话", 3, mode=mode)
    assert result.hits[0].document.id == "scam-96110"


def test_bm25_mode_returns_only_lexical_matches(retriever: Retriever) -> None:
    result = retriever.search("96110", 50, mode="bm25")
    assert result.hits
    assert all(h.lexical > 0 for h in result.hits)


def test_unknown_mode_and_bad_top_k_are_refused(retriever: Retriever) -> None:
    with pytest.raises(ValueError, match="mode"):
        retriever.search("助餐", mode="magic")
    with pytest.raises(ValueError, match="top_k"):
        retriever.search("助餐", top_k=0)


def test_topics_restrict_results(retriever: Retriever) -> None:
    result = retriever.search("电话", 10, topics={"scam"})
    assert result.hits
    for hit in result.hits:
        doc = hit.document
        assert doc.topic == "scam" or (doc.kind == "clause" and doc.id == "S7")


def test_confidence_separates_good_from_off_topic(retriever: Retriever) -> None:
    good = retriever.search("老年助餐谁能用", 3)
    off = retriever.search("今天天气怎么样明天下雨吗", 3)
    assert good.confident
    assert good.confidence > off.confidence
    assert not off.confident


@pytest.mark.parametrize(
    "query",
    ["", "   ", "😀🎉👍", "\x00\x01\x02\x7f", "\u200b\u200d", "。。。！！！", None],
)
def test_empty_input_gives_empty_result(retriever: Retriever, query) -> None:  # type: ignore[no-untyped-def]
    result = retriever.search(query, 5)
    assert result.hits == []
    assert result.confidence == 0.0
    assert not result.confident


@pytest.mark.parametrize(
    "query",
    [
        "助餐" * 5000,
        "俺" + "就是说那个" * 2000 + "助餐点在哪里",
        "Hello 老人 助餐 Привет مرحبا 🍚 zhucan ١٢٣",
        "助\x00餐\x1b[31m在哪",
        "a" * 10_000,
        "96110" * 2000,
    ],
)
def test_odd_input_does_not_crash(retriever: Retriever, query: str) -> None:
    result = retriever.search(query, 5)
    assert len(result.hits) <= 5
    assert len(result.normalized_query) <= 300
    assert all(math.isfinite(h.score) for h in result.hits)


def test_long_rambling_query_keeps_its_question(retriever: Retriever) -> None:
    query = "俺跟你说，" + "俺家老头子身体不好，孩子们都在外地，" * 30 + "96110打来电话咋办"
    result = retriever.search(query, 3, mode="bm25")
    assert result.normalized_query.endswith("96110打来电话怎么办")
    assert result.hits[0].document.id == "scam-96110"


def test_dense_rows(corpus) -> None:  # type: ignore[no-untyped-def]
    entry = corpus.by_id["meal-who-can-use"]
    rows = dense_rows(entry)
    assert entry.title in rows
    assert all(q in rows for q in entry.questions)
    clause_rows = dense_rows(corpus.by_id["T1"])
    assert "老年助餐行动" in clause_rows
    assert not any("责任单位" in r for r in clause_rows)


def test_index_round_trip_and_staleness(corpus, knowledge_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    embedder = FakeEmbedder()
    dense = build_dense_index(corpus, embedder)
    save_dense_index(dense, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dense.faiss", "meta.json"]
    meta = json.loads((tmp_path / META_FILE).read_text(encoding="utf-8"))
    assert meta["model"] == "fake"
    assert meta["corpus_version"] == corpus.version
    assert is_fresh(tmp_path, "fake", corpus.version)
    assert not is_fresh(tmp_path, "use-multilingual-v3", corpus.version)
    assert not is_fresh(tmp_path, "fake", "other-version")
    assert not is_fresh(tmp_path / "missing", "fake", corpus.version)
    loaded = load_dense_index(tmp_path)
    assert loaded.row_ids == dense.row_ids
    assert loaded.index.ntotal == dense.index.ntotal
    assert not list(tmp_path.glob("*.pkl")) and not list(tmp_path.glob("*.pickle"))


def test_corpus_version_follows_content(knowledge_dir: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "data"
    shutil.copytree(knowledge_dir, copy)
    before = load_corpus(copy).version
    assert load_corpus(copy).version == before
    with (copy / "entries" / "general.yml").open("a", encoding="utf-8") as handle:
        handle.write("\n# changed\n")
    assert load_corpus(copy).version != before


def test_load_builds_then_reuses_then_rebuilds(
    knowledge_dir: Path, tmp_path: Path, app_settings
) -> None:  # type: ignore[no-untyped-def]
    settings = app_settings.model_copy(
        update={
            "knowledge_dir": knowledge_dir,
            "index_dir": tmp_path / "index",
            "embedding_model": "fake",
        }
    )
    first = Retriever.load(settings)
    built_at = (tmp_path / "index" / META_FILE).stat().st_mtime_ns
    second = Retriever.load(settings)
    assert (tmp_path / "index" / META_FILE).stat().st_mtime_ns == built_at
    assert second.dense.row_ids == first.dense.row_ids
    other = Retriever.load(settings, embedder=FakeEmbedder(dim=64))
    assert other.dense.dim == 64  # same name, other dimension: stale, rebuilt
    rebuilt = Retriever.load(settings, rebuild=True)
    assert rebuilt.dense.dim == FakeEmbedder().dim


def test_retriever_refuses_an_index_of_another_model(corpus) -> None:  # type: ignore[no-untyped-def]
    dense = build_dense_index(corpus, FakeEmbedder())
    with pytest.raises(ValueError, match="index built with"):
        Retriever(corpus, FakeEmbedder(), replace(dense, model="other"))


def test_evaluate_scores_strictly(retriever: Retriever) -> None:
    """A hit is an expected document id; an entry that merely cites an expected clause is not."""
    top = retriever.search("老年助餐谁能用", top_k=1).hits[0].document
    assert top.kind == "entry" and top.clause_ids  # the entry cites a clause ...
    questions = [
        Question("老年助餐谁能用", frozenset({top.id}), "faq", "none"),
        Question("老年助餐谁能用", frozenset({top.clause_ids[0]}), "faq", "none"),  # ... not a hit
        Question("老年助餐谁能用", frozenset({"no-such-id"}), "faq", "none"),
    ]
    report = evaluate(retriever, questions, modes=["hybrid"]).as_dict()
    assert report["hybrid"]["all"]["hit@1"] == pytest.approx(1 / 3)
    assert report["hybrid"]["noise:none"]["n"] == 3
