"""Retrieval evaluation: hit@1, hit@3 and MRR per mode, overall, per kind and per noise.

Scoring is strict: a hit is a returned document whose id is one the question expects
(an entry id, or a clause id for a clause document), never a document that merely shares
a clause. Every figure is shown for hybrid, BM25 and dense retrieval, each with and
without the dialect/synonym map (the ablation).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.documents import Document
from knowledge.retriever import MODES, Retriever

MRR_DEPTH = 10


@dataclass(frozen=True)
class Question:
    """One evaluation question: the text and the ids that count as a right answer."""

    q: str
    expect: frozenset[str]
    kind: str = "-"
    noise: str = "-"


@dataclass
class Scores:
    """Running hit@1, hit@3 and MRR of one group of questions."""

    n: int = 0
    hit1: int = 0
    hit3: int = 0
    rr: float = 0.0

    def add(self, rank: int | None) -> None:
        """Record the rank (1-based) of the first right hit, or ``None`` if none."""
        self.n += 1
        if rank is not None:
            self.hit1 += rank == 1
            self.hit3 += rank <= 3
            self.rr += 1.0 / rank

    def as_dict(self) -> dict[str, float]:
        """``{"n", "hit@1", "hit@3", "mrr"}``."""
        n = max(self.n, 1)
        return {"n": self.n, "hit@1": self.hit1 / n, "hit@3": self.hit3 / n, "mrr": self.rr / n}


@dataclass
class Report:
    """Scores per mode and group (``all``, ``kind:<k>``, ``noise:<n>``), and the misses."""

    scores: dict[str, dict[str, Scores]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Scores))
    )
    misses: dict[str, list[tuple[Question, list[str]]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def as_dict(self) -> dict[str, Any]:
        """Plain nested dict of the numbers."""
        return {
            mode: {g: s.as_dict() for g, s in groups.items()}
            for mode, groups in self.scores.items()
        }


def load_questions(path: Path) -> list[Question]:
    """Read an evaluation YAML list of ``{q, expect, kind|group, noise}``.

    Items of an end-to-end set whose ``group`` is not ``policy`` (scam, other place,
    unanswerable) are skipped: retrieval has no right document for them.

    Raises:
        ValueError: If an item lacks ``q``, or a policy item lacks ``expect``.
    """
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a YAML list")
    questions = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict) or "q" not in item:
            raise ValueError(f"{path} item {number}: needs q")
        if item.get("group", "policy") != "policy":
            continue  # scam, other-place ... questions of an end-to-end set
        if not item.get("expect"):
            raise ValueError(f"{path} item {number}: needs expect")
        expect = item["expect"] if isinstance(item["expect"], list) else [item["expect"]]
        questions.append(
            Question(
                q=str(item["q"]),
                expect=frozenset(str(e) for e in expect),
                kind=str(item.get("kind") or _topic_of(item["expect"]) or "-"),
                noise=str(item.get("noise") or "-"),
            )
        )
    return questions


def _topic_of(expect: Any) -> str | None:
    first = expect[0] if isinstance(expect, list) and expect else expect
    return str(first).split("-")[0] if isinstance(first, str) and "-" in first else None


def is_hit(doc: Document, expect: Iterable[str]) -> bool:
    """Strict: a document answers a question only if its own id is expected."""
    return doc.id in set(expect)


def first_hit_rank(docs: list[Document], expect: Iterable[str]) -> int | None:
    """1-based rank of the first right document, or ``None``."""
    expected = set(expect)
    for rank, doc in enumerate(docs, start=1):
        if is_hit(doc, expected):
            return rank
    return None


def evaluate(
    retriever: Retriever,
    questions: list[Question],
    modes: Iterable[str] = MODES,
    *,
    suffix: str = "",
    report: Report | None = None,
) -> Report:
    """Run every question in every mode; labels are the mode plus ``suffix``."""
    report = report if report is not None else Report()
    for question in questions:
        for base in modes:
            mode = base + suffix
            result = retriever.search(question.q, top_k=MRR_DEPTH, mode=base)
            docs = [h.document for h in result.hits]
            rank = first_hit_rank(docs, question.expect)
            for group in ("all", f"kind:{question.kind}", f"noise:{question.noise}"):
                report.scores[mode][group].add(rank)
            if rank != 1:
                report.misses[mode].append((question, [d.id for d in docs[:3]]))
    return report


def format_report(report: Report) -> str:
    """A plain-text table: one row per group, hit@1 / hit@3 / MRR for each mode side by side."""
    modes = list(report.scores)
    groups = sorted(
        {g for m in modes for g in report.scores[m]},
        key=lambda g: (g != "all", g.split(":")[0], g),
    )
    header = f"{'group':<22}{'n':>5}" + "".join(
        f"  {m + ' h@1':>11}{'h@3':>6}{'mrr':>6}" for m in modes
    )
    lines = [header, "-" * len(header)]
    for group in groups:
        n = report.scores[modes[0]][group].n
        row = f"{group:<22}{n:>5}"
        for mode in modes:
            s = report.scores[mode][group].as_dict()
            row += f"  {s['hit@1']:>11.3f}{s['hit@3']:>6.3f}{s['mrr']:>6.3f}"
        lines.append(row)
    return "\n".join(lines)
