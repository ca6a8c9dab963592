"""``python -m knowledge suggest``: the top unanswered clusters as draft knowledge entries.

Questions only: each draft has the cluster's phrasings as ``questions`` and every other
field empty with a TODO, so nothing is invented. An editor fills them in from a cited
source and moves them into ``knowledge/data/entries/<topic>.yml``, where the truthfulness
tests check them like every other entry. Marked clusters are left out, as in the queue.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.settings import Settings
    from insights.clusters import Cluster
    from knowledge.retriever import Retriever


def add_suggest(sub: Any) -> None:
    """Add the ``suggest`` command to ``python -m knowledge`` (its subparsers)."""
    parser = sub.add_parser("suggest", help="draft entries for the top unanswered questions")
    parser.add_argument("--days", type=int, default=7, help="the last N days (default 7)")
    parser.add_argument("--top", type=int, default=10, help="how many clusters (default 10)")
    parser.set_defaults(func=cmd_suggest)


def _retriever(settings: Settings) -> Retriever:
    from knowledge.retriever import Retriever

    return Retriever.load(settings)


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML string


def draft(cluster: Cluster, retriever: Retriever) -> list[str]:
    """The YAML lines of one draft entry."""
    hits = retriever.search(cluster.leader, top_k=6).hits
    near = [h.document for h in hits if h.document.kind == "entry"][:3]
    counts = ", ".join(f"{k} {v}" for k, v in cluster.outcomes.most_common())
    nearest = "; ".join(f"{d.id} ({d.title})" for d in near) or "none"
    topic = (near[0].topic if near else "") or ""
    return [
        f"# cluster {cluster.key}: {cluster.size} questions ({counts})",
        f"# nearest entries: {nearest}",
        f"- id: {_q('todo-' + cluster.key[:8])}  # TODO: kebab-case, stable",
        f"  topic: {_q(topic)}  # TODO: check (the nearest entry's topic)",
        '  title: ""  # TODO: <= 14 characters',
        "  questions:",
        *(f"    - {_q(t)}" for t in cluster.examples()),
        '  answer: ""  # TODO: <= 120 characters, only what a cited source says',
        "  clause_ids: []  # TODO: the plan clauses it rests on",
        "  sources: []  # TODO: the fact-sheet sources it rests on",
        "",
    ]


def suggest(settings: Settings, days: int, top: int) -> str:
    """The draft YAML of the ``top`` largest unanswered clusters of the last ``days`` days."""
    from core.clock import today
    from core.database import Database
    from insights import report
    from insights.clusters import Clusterer

    database = Database(settings.database_url)
    database.open()
    try:
        retriever = _retriever(settings)
        clusterer = Clusterer(retriever.embedder, settings.insights_cluster_similarity)
        clusters = report.queue(database, today(settings), days, clusterer)[:top]
    finally:
        database.dispose()
    lines = [
        f"# Draft entries from the unanswered queue (last {days} days, top {top}).",
        "# Questions only: fill in every TODO from a cited source (knowledge/SCHEMA.md),",
        "# then move each entry into knowledge/data/entries/<topic>.yml.",
        "",
    ]
    if not clusters:
        lines.append("[]  # no unanswered questions in this period")
    for cluster in clusters:
        lines += draft(cluster, retriever)
    return "\n".join(lines).rstrip("\n") + "\n"


def cmd_suggest(args: argparse.Namespace) -> int:
    from core.settings import get_settings

    if not 1 <= args.days <= 366 or args.top < 1:
        print("error: --days must be 1..366 and --top at least 1", file=sys.stderr)
        return 2
    sys.stdout.write(suggest(get_settings(), args.days, args.top))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m knowledge suggest ...`` on its own (tests)."""
    from knowledge.cli import main as knowledge_main

    return knowledge_main(list(argv) if argv is not None else None, extra=(add_suggest,))
