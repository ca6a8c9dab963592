"""Benchmark knowledge retrieval: build time, query latency after warm-up, memory.

Usage: ``python scripts/bench_knowledge.py [--model NAME] [--queries FILE] [--n 300]``

Builds the index from ``knowledge/data`` into a temporary folder (the real index in
``var/index`` is not touched), then times single queries. Memory is the resident set size
(VmRSS) of this process before the model, after the model, and after the index.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_support import ROOT, time_queries

FALLBACK_QUERIES = [
    "老年助餐谁能用",
    "zcd",
    "住餐在哪",
    "是老化改造有补贴吗",
    "俺咋去吃饭",
    "吃饭",
    "96110是啥电话",
    "有人冒充公安让我转钱到安全账户",
    "养老金认证短信",
    "以旧换新",
    "家里装扶手政府给钱不",
    "laonianzhucan",
    "长期护理保险阳泉有吗",
]


def rss_mb() -> float:
    """Resident set size of this process in MiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_queries(path: Path | None) -> list[str]:
    if path and path.exists():
        import yaml

        items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        queries = [str(i["q"]) for i in items if isinstance(i, dict) and i.get("q")]
        if queries:
            return queries
    return FALLBACK_QUERIES


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="embedding model (default: the setting)")
    parser.add_argument(
        "--queries", type=Path, default=ROOT / "tests" / "eval" / "dev" / "questions.yml"
    )
    parser.add_argument("--n", type=int, default=300, help="timed queries")
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args()

    import warnings

    warnings.filterwarnings("ignore")
    from core.settings import Settings

    base = rss_mb()
    t0 = time.perf_counter()
    from knowledge.corpus import load_corpus
    from knowledge.embedding import load_embedder
    from knowledge.index import build_dense_index, save_dense_index
    from knowledge.retriever import Retriever

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, index_dir=Path(tmp))  # type: ignore[call-arg]
        model_name = args.model or settings.embedding_model
        corpus = load_corpus(settings.knowledge_dir, settings.sources_dir)
        t_corpus = time.perf_counter()
        embedder = load_embedder(model_name)
        t_model = time.perf_counter()
        after_model = rss_mb()
        dense = build_dense_index(corpus, embedder)
        save_dense_index(dense, settings.index_dir)
        t_embed = time.perf_counter()
        from knowledge.calibration import load_calibration

        calibration = load_calibration(settings.knowledge_dir)
        retriever = Retriever(
            corpus,
            embedder,
            dense,
            settings.confidence_threshold or (calibration.threshold if calibration else 0.5),
            calibration=calibration,
        )
        t_ready = time.perf_counter()
        gc.collect()
        after_index = rss_mb()

        queries = load_queries(args.queries)
        timed = time_queries(lambda q: retriever.search(q, 5), queries, args.n, args.warmup)
        timings = sorted(ms for ms, _ in timed)
        p50 = statistics.median(timings)
        p95 = timings[int(0.95 * (len(timings) - 1))]

    print(f"model                 {model_name}")
    print(f"documents / rows      {len(corpus.documents)} / {len(dense.row_ids)}")
    print(f"load corpus           {t_corpus - t0:6.2f} s (imports included)")
    print(f"load model            {t_model - t_corpus:6.2f} s")
    print(f"embed + save index    {t_embed - t_model:6.2f} s")
    print(f"lexical + normaliser  {t_ready - t_embed:6.2f} s")
    print(f"full build            {t_ready - t0:6.2f} s")
    print(
        f"query p50 / p95       {p50:6.2f} / {p95:.2f} ms  ({args.n} queries after {args.warmup} warm-up)"
    )
    print(
        f"RSS base/model/index  {base:.0f} / {after_model:.0f} / {after_index:.0f} MiB "
        f"(model+index = {after_index - base:.0f} MiB incl. torch and libraries)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
