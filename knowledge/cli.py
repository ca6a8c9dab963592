"""Command line of the knowledge base (run as ``python -m knowledge``).

Commands (contract):
    build                      build the index (progress bar on stderr)
    ensure                     build only if missing or stale; quick when up to date
    search "问题" [--top-k N] [--json] [--mode hybrid|bm25|dense]
    search --batch FILE [--top-k N] [--json]   one question per line, one JSON object per line
    export --json              every retrievable document, one JSON object per line
    eval FILE [--json] [--misses N]   hit@1, hit@3, MRR for hybrid, bm25 and dense
    suggest [--days N] [--top K]      draft entries for the top unanswered questions
                                      (added by ``python -m knowledge``: insights.suggest)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.settings import Settings
    from knowledge.retriever import Retriever, SearchResult


def _settings() -> Settings:
    from core.settings import get_settings

    return get_settings()


def _quiet_libraries() -> None:
    import logging
    import os
    import warnings

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.filterwarnings("ignore")
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )


def _retriever(settings: Settings, rebuild: bool = False, progress: bool = False) -> Retriever:
    from knowledge.retriever import Retriever

    return Retriever.load(settings, rebuild=rebuild, progress=progress)


def _result_json(result: SearchResult) -> dict[str, Any]:
    return {
        "query": result.query,
        "results": [
            {
                "id": hit.document.id,
                "clause_ids": list(hit.document.clause_ids),
                "title": hit.document.title,
                "text": hit.document.text,
                "score": round(hit.score, 6),
            }
            for hit in result.hits
        ],
    }


def _print_json(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def _print_human(result: SearchResult) -> None:
    print(f"问题: {result.query}")
    print(
        f"normalised: {result.normalized_query}   confidence: {result.confidence:.2f}"
        f"{'' if result.confident else '  (not sure)'}"
    )
    for rank, hit in enumerate(result.hits, start=1):
        doc = hit.document
        cites = ",".join(doc.clause_ids) or "-"
        print(f"{rank}. [{doc.id}] {doc.title}  score={hit.score:.3f}  clauses={cites}")
        print(f"   {doc.text[:80]}")


def cmd_build(args: argparse.Namespace) -> int:
    settings = _settings()
    started = time.perf_counter()
    retriever = _retriever(settings, rebuild=True, progress=not args.no_progress)
    elapsed = time.perf_counter() - started
    print(
        f"built index: {len(retriever.documents)} documents, {len(retriever.dense.row_ids)} rows, "
        f"model {retriever.embedder.name}, corpus {retriever.corpus.version}, {elapsed:.1f}s -> {settings.index_dir}",
        file=sys.stderr,
    )
    return 0


def cmd_ensure(args: argparse.Namespace) -> int:
    from knowledge.corpus import content_version
    from knowledge.index import is_fresh

    settings = _settings()
    if is_fresh(
        settings.index_dir, settings.embedding_model, content_version(Path(settings.knowledge_dir))
    ):
        print(f"index up to date in {settings.index_dir}", file=sys.stderr)
        return 0
    return cmd_build(args)


def _search_one(retriever: Retriever, query: str, args: argparse.Namespace) -> None:
    result = retriever.search(query, top_k=args.top_k, mode=args.mode)
    if args.json:
        _print_json(_result_json(result))
    else:
        _print_human(result)


def cmd_search(args: argparse.Namespace) -> int:
    if args.top_k < 1:
        print("error: --top-k must be at least 1", file=sys.stderr)
        return 2
    if args.batch is None and args.query is None:
        print("error: give a question or --batch FILE", file=sys.stderr)
        return 2
    if args.batch is not None:
        source = sys.stdin if args.batch == "-" else None
        try:
            text = (
                source.read()
                if source
                else Path(args.batch).read_text(encoding="utf-8", errors="replace")
            )
        except OSError as exc:
            print(f"error: cannot read {args.batch}: {exc.strerror}", file=sys.stderr)
            return 2
        queries = text.splitlines()
    else:
        queries = [args.query]
    retriever = _retriever(_settings())
    for query in queries:
        _search_one(retriever, query, args)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from knowledge.corpus import load_corpus

    settings = _settings()
    corpus = load_corpus(settings.knowledge_dir, settings.sources_dir)
    for doc in corpus.documents:
        obj = {
            "id": doc.id,
            "clause_ids": list(doc.clause_ids),
            "title": doc.title,
            "text": doc.text,
        }
        if args.json:
            _print_json(obj)
        else:
            print(f"[{doc.id}] {doc.title}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from knowledge.evaluation import evaluate, format_report, load_questions

    try:
        questions = load_questions(Path(args.file))
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    retriever = _retriever(_settings())
    started = time.perf_counter()
    report = evaluate(retriever, questions)
    if args.ablation:
        from knowledge.retriever import Retriever
        from textnorm.vocabulary import Vocabulary

        v = retriever.vocabulary
        plain = Retriever(
            retriever.corpus,
            retriever.embedder,
            retriever.dense,
            retriever.threshold,
            vocabulary=Vocabulary(v.terms, {}, v.corpus_words),
        )
        evaluate(plain, questions, suffix="-nodialect", report=report)
    elapsed = time.perf_counter() - started
    if args.json:
        _print_json(report.as_dict())
        return 0
    print(f"{len(questions)} questions, model {retriever.embedder.name}, {elapsed:.1f}s")
    print(format_report(report))
    for mode, misses in report.misses.items():
        if args.misses and mode == "hybrid":
            print(f"\nmisses at rank 1 ({mode}), first {args.misses}:")
            for question, top in misses[: args.misses]:
                print(
                    f"  [{question.noise}] {question.q}  expect={sorted(question.expect)}  got={top}"
                )
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from knowledge.calibration import (
        choose,
        cross_validated,
        curve,
        fit,
        format_curve,
        load_items,
        write,
    )

    try:
        items = load_items(Path(f) for f in args.files)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings = _settings()
    retriever = _retriever(settings)
    xs, ys, answerable = dataset(retriever, items)
    heuristic = [x[-1] for x in xs]
    base = curve(heuristic, ys, answerable)
    base_chosen = choose(base, args.target)
    probabilities = cross_validated(xs, ys)
    points = curve(probabilities, ys, answerable)
    chosen = choose(points, args.target)
    print(f"{len(items)} dev questions; target precision {args.target:.2f}")
    print("\nhand-made confidence (no calibration):")
    print(format_curve(base, base_chosen))
    print("\ncalibrated probability (logistic regression, 5-fold cross-validated on dev):")
    print(format_curve(points, chosen))
    print(
        f"\nat precision >= {args.target:.2f}: recall {base_chosen.recall:.3f} (hand-made) -> "
        f"{chosen.recall:.3f} (calibrated), threshold {chosen.threshold:.3f}"
    )
    if args.write:
        note = (
            f"{len(items)} dev questions; cross-validated precision {chosen.precision:.3f}, "
            f"recall {chosen.recall:.3f} at threshold {chosen.threshold:.3f}"
        )
        fitted = fit(xs, ys, chosen.threshold, settings.embedding_model)
        path = write(fitted, settings.knowledge_dir, note)
        print(f"wrote {path}")
    return 0


def build_parser(
    extra: Sequence[Callable[[Any], None]] = (),
) -> argparse.ArgumentParser:
    """The argument parser (exposed for tests); each of ``extra`` adds a command to the
    subparsers (the entry point adds ``suggest`` from the insights feature)."""
    parser = argparse.ArgumentParser(
        prog="python -m knowledge", description="Knowledge index of 银发助手"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="build the index")
    build.add_argument("--no-progress", action="store_true", help="no progress bar")
    build.set_defaults(func=cmd_build)

    ensure = sub.add_parser("ensure", help="build the index only if missing or stale")
    ensure.add_argument("--no-progress", action="store_true", help="no progress bar")
    ensure.set_defaults(func=cmd_ensure)

    search = sub.add_parser("search", help="search the knowledge base")
    search.add_argument("query", nargs="?", help="the question")
    search.add_argument(
        "--batch", metavar="FILE", help="file with one question per line ('-' for stdin)"
    )
    search.add_argument("--top-k", type=int, default=5)
    search.add_argument("--json", action="store_true", help="one JSON object per question")
    search.add_argument("--mode", choices=["hybrid", "bm25", "dense"], default="hybrid")
    search.set_defaults(func=cmd_search)

    export = sub.add_parser("export", help="list every retrievable document")
    export.add_argument("--json", action="store_true", help="one JSON object per document")
    export.set_defaults(func=cmd_export)

    evaluation = sub.add_parser("eval", help="evaluate retrieval on a YAML question file")
    evaluation.add_argument("file")
    evaluation.add_argument("--json", action="store_true", help="numbers as one JSON object")
    evaluation.add_argument(
        "--ablation", action="store_true", help="also without the dialect/synonym map"
    )
    evaluation.add_argument(
        "--misses", type=int, default=0, metavar="N", help="list N hybrid misses"
    )
    evaluation.set_defaults(func=cmd_eval)

    calibrate = sub.add_parser(
        "calibrate", help="precision/recall of the confidence threshold on dev questions"
    )
    calibrate.add_argument("files", nargs="+")
    calibrate.add_argument("--target", type=float, default=0.90)
    calibrate.add_argument(
        "--write", action="store_true", help="fit on all dev questions and write confidence.yml"
    )
    calibrate.set_defaults(func=cmd_calibrate)
    for add in extra:
        add(sub)
    return parser


def main(argv: list[str] | None = None, extra: Sequence[Callable[[Any], None]] = ()) -> int:
    """Entry point; returns the exit code."""
    args = build_parser(extra).parse_args(argv)
    _quiet_libraries()
    try:
        return int(args.func(args))
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def dataset(
    retriever: Retriever, items: list[tuple[str, frozenset[str] | None]]
) -> tuple[list[list[float]], list[int], list[bool]]:
    """Features, right (1/0) and answerable for every dev question."""
    xs, ys, answerable = [], [], []
    for question, expect in items:
        x, result = retriever.features_of(question)
        entry = next((h.document for h in result.hits if h.document.kind == "entry"), None)
        xs.append(x)
        ys.append(int(expect is not None and entry is not None and entry.id in expect))
        answerable.append(expect is not None)
    return xs, ys, answerable
