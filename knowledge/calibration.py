"""Calibrating the retriever's confidence on the dev set.

An answer is given as "confident" when the retriever's confidence reaches the threshold.
For every threshold this module reports, over the dev questions:

* precision — of the questions answered directly, the share whose first entry is right
  (an unanswerable question answered directly counts as wrong);
* recall — of the questions that have a right entry, the share answered directly and right.

The chosen threshold is the lowest one whose precision is at least the target (0.90), so
as many questions as possible get a direct answer while nine in ten of those are right.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.retriever import Retriever

TARGET_PRECISION = 0.90
THRESHOLDS = tuple(round(0.30 + 0.025 * i, 3) for i in range(21))  # 0.30 .. 0.80


@dataclass(frozen=True)
class Sample:
    """One dev question: its confidence and whether the first entry is right.

    ``answerable`` is false for questions no entry answers.
    """

    confidence: float
    right: bool
    answerable: bool


@dataclass(frozen=True)
class Point:
    threshold: float
    answered: int
    precision: float
    recall: float


def load_items(paths: Iterable[Path]) -> list[tuple[str, frozenset[str] | None]]:
    """``(question, expected ids or None for unanswerable)`` from dev YAML files."""
    items: list[tuple[str, frozenset[str] | None]] = []
    for path in paths:
        for item in yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []:
            group = item.get("group", "policy")
            if group == "policy" and item.get("expect"):
                items.append((str(item["q"]), frozenset(map(str, item["expect"]))))
            elif group == "unanswerable":
                items.append((str(item["q"]), None))
    return items


def samples(retriever: Retriever, items: list[tuple[str, frozenset[str] | None]]) -> list[Sample]:
    out = []
    for question, expect in items:
        result = retriever.search(question, top_k=5)
        entry = next((h.document for h in result.hits if h.document.kind == "entry"), None)
        right = expect is not None and entry is not None and entry.id in expect
        out.append(Sample(result.confidence if entry else 0.0, right, expect is not None))
    return out


def curve(data: list[Sample], thresholds: Iterable[float] = THRESHOLDS) -> list[Point]:
    answerable = sum(s.answerable for s in data) or 1
    points = []
    for t in thresholds:
        answered = [s for s in data if s.confidence >= t]
        right = sum(s.right for s in answered)
        precision = right / len(answered) if answered else 1.0
        points.append(Point(t, len(answered), precision, right / answerable))
    return points


def choose(points: list[Point], target: float = TARGET_PRECISION) -> Point:
    """The lowest threshold whose precision reaches ``target`` (the highest if none does)."""
    for point in points:
        if point.precision >= target:
            return point
    return points[-1]


def format_curve(points: list[Point], chosen: Point) -> str:
    lines = [f"{'threshold':>9} {'answered':>8} {'precision':>9} {'recall':>7}"]
    for p in points:
        mark = "  <- chosen" if p is chosen else ""
        lines.append(f"{p.threshold:>9.3f} {p.answered:>8} {p.precision:>9.3f} {p.recall:>7.3f}{mark}")
    return "\n".join(lines)
