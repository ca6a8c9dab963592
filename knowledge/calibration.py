"""Calibrating the retriever's confidence on the dev set.

The raw signals of a search (fused score and its lead over the next entry, how much of the
query the entry covers, cosine and BM25 scores and their leads, the hand-made confidence)
are turned into the probability that the first entry is right by a logistic regression
(scikit-learn) fitted on the dev questions: ``python -m knowledge calibrate --write``. The
fitted weights and the chosen threshold live in ``knowledge/data/confidence.yml``.

For every threshold the curve reports, over the dev questions, with cross-validated
probabilities (each question scored by a model that did not see it):

* precision — of the questions answered directly, the share whose first entry is right
  (an unanswerable question answered directly counts as wrong);
* recall — of the questions that have a right entry, the share answered directly and right.

The chosen threshold is the lowest one whose precision is at least the target (0.90).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from knowledge.documents import Hit

CALIBRATION_FILE = "confidence.yml"
TARGET_PRECISION = 0.90
THRESHOLDS = tuple(round(0.30 + 0.025 * i, 3) for i in range(25))  # 0.30 .. 0.90
FEATURES = (
    "fused",
    "fused_lead",
    "coverage",
    "cosine",
    "cosine_lead",
    "bm25",
    "bm25_lead",
    "query_chars",
    "same_topic_next",
    "heuristic",
)


def features(
    entry_hits: Sequence[Hit], coverage: float, query_chars: int, heuristic: float
) -> list[float]:
    """The signals of one search, in :data:`FEATURES` order (entry hits only, best first)."""
    if not entry_hits:
        return [0.0] * len(FEATURES)
    top, rest = entry_hits[0], entry_hits[1:]
    next_score = rest[0].score if rest else 0.0
    next_cosine = max((h.dense or 0.0) for h in rest) if rest else 0.0
    next_bm25 = max(h.lexical for h in rest) if rest else 0.0
    same_topic = sum(h.document.topic == top.document.topic for h in rest[:3])
    cosine = top.dense or 0.0
    return [
        top.score,
        top.score - next_score,
        coverage,
        cosine,
        cosine - next_cosine,
        top.lexical,
        top.lexical - next_bm25,
        float(query_chars),
        float(same_topic),
        heuristic,
    ]


@dataclass(frozen=True)
class Calibration:
    """A fitted logistic model over standardised features, and its threshold."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    # The embedding model whose cosines it was fitted on ("" in files written before).
    model: str = ""

    def probability(self, x: Sequence[float]) -> float:
        z = self.intercept + sum(
            c * (v - m) / (s or 1.0)
            for c, v, m, s in zip(self.coef, x, self.mean, self.scale, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def as_dict(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "mean": [round(v, 6) for v in self.mean],
            "scale": [round(v, 6) for v in self.scale],
            "coef": [round(v, 6) for v in self.coef],
            "intercept": round(self.intercept, 6),
            "threshold": self.threshold,
            "model": self.model,
        }


def load_calibration(knowledge_dir: Path) -> Calibration | None:
    """The calibration in ``knowledge_dir`` (``None`` when there is none).

    Raises:
        ValueError: If the file was fitted on other features than this code computes.
    """
    path = Path(knowledge_dir) / CALIBRATION_FILE
    if not path.is_file():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if tuple(data.get("features") or ()) != FEATURES:
        raise ValueError(
            f"{path}: fitted on other features; run python -m knowledge calibrate --write"
        )
    return Calibration(
        tuple(map(float, data["mean"])),
        tuple(map(float, data["scale"])),
        tuple(map(float, data["coef"])),
        float(data["intercept"]),
        float(data["threshold"]),
        str(data.get("model") or ""),
    )


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


def curve(
    probabilities: Sequence[float],
    right: Sequence[int],
    answerable: Sequence[bool],
    thresholds: Iterable[float] = THRESHOLDS,
) -> list[Point]:
    total = sum(answerable) or 1
    points = []
    for t in thresholds:
        answered = [r for p, r in zip(probabilities, right, strict=True) if p >= t]
        hits = sum(answered)
        precision = hits / len(answered) if answered else 1.0
        points.append(Point(t, len(answered), precision, hits / total))
    return points


def choose(points: list[Point], target: float = TARGET_PRECISION) -> Point:
    """The lowest threshold whose precision reaches ``target`` (the highest if none does)."""
    for point in points:
        if point.precision >= target:
            return point
    return points[-1]


def fit(
    xs: list[list[float]], ys: list[int], threshold: float, embedding_model: str = ""
) -> Calibration:
    """Fit the logistic model on all dev questions."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(xs)
    model = LogisticRegression(max_iter=2000).fit(scaler.transform(xs), ys)
    return Calibration(
        tuple(float(v) for v in scaler.mean_),
        tuple(float(v) for v in scaler.scale_),
        tuple(float(v) for v in model.coef_[0]),
        float(model.intercept_[0]),
        threshold,
        embedding_model,
    )


def cross_validated(xs: list[list[float]], ys: list[int], folds: int = 5) -> list[float]:
    """Out-of-fold probabilities: each question scored by a model that did not see it."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=42)
    return [float(p) for p in cross_val_predict(model, xs, ys, cv=cv, method="predict_proba")[:, 1]]


def write(calibration: Calibration, knowledge_dir: Path, note: str) -> Path:
    path = Path(knowledge_dir) / CALIBRATION_FILE
    header = (
        "# Confidence calibration of the retriever, fitted on the dev set only\n"
        "# (python -m knowledge calibrate --write; see knowledge/calibration.py). Never on tests/eval/test.\n"
        f"# {note}\n"
    )
    path.write_text(
        header + yaml.safe_dump(calibration.as_dict(), sort_keys=False), encoding="utf-8"
    )
    return path


def format_curve(points: list[Point], chosen: Point) -> str:
    lines = [f"{'threshold':>9} {'answered':>8} {'precision':>9} {'recall':>7}"]
    for p in points:
        mark = "  <- chosen" if p is chosen else ""
        lines.append(
            f"{p.threshold:>9.3f} {p.answered:>8} {p.precision:>9.3f} {p.recall:>7.3f}{mark}"
        )
    return "\n".join(lines)
