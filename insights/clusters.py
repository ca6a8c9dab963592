"""The unanswered queue: referrals and fallbacks clustered by meaning.

Questions are embedded with the project's own embedding model (the retriever's embedder,
questions as queries) and grouped greedily: in the order they were first asked, each
distinct question joins the most similar earlier cluster leader when the cosine reaches the
threshold, else it leads a new cluster. Because a leader only ever depends on questions
asked before it, new rows never change the key of an existing cluster.

A cluster's key is a hash of its leader's normalised text. Marked clusters stay resolved:
their leaders (found again among the logged texts by that hash) seed the clustering, so new
questions like them join the resolved cluster and stay out of the queue.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from knowledge.embedding import Embedder, cosine_scale, encode_queries

KEY_HEX = 16
EXAMPLES = 5
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """Width, case, spaces and punctuation folded: ``"  助餐，在哪？"`` -> ``"助餐在哪"``."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", text).lower())


def cluster_key(text: str) -> str:
    """The key of a cluster led by ``text``."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()[:KEY_HEX]


@dataclass
class Cluster:
    """One group of similar questions."""

    key: str
    leader: str
    resolved: bool = False
    texts: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def size(self) -> int:
        return sum(self.texts.values())

    def examples(self, n: int = EXAMPLES) -> list[str]:
        """The leader, then the most asked other phrasings."""
        others = [t for t, _ in self.texts.most_common() if t != self.leader]
        return ([self.leader] if self.leader in self.texts else [])[:1] + others[: n - 1]


def similarity_threshold(embedder: Embedder, fraction: float) -> float:
    """The cosine at ``fraction`` of the way from where the model's cosines start to mean
    something to where they are full (``knowledge.embedding.CosineScale``)."""
    scale = cosine_scale(embedder)
    low, high = scale.confidence_floor, scale.confidence_full
    return low + fraction * (high - low)


class Clusterer:
    """Clusters texts with one embedder, remembering the embeddings it made (bounded)."""

    def __init__(self, embedder: Embedder, fraction: float, cache_size: int = 20_000) -> None:
        self.embedder = embedder
        self.threshold = similarity_threshold(embedder, fraction)
        self._cache: dict[str, np.ndarray] = {}
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            vectors = encode_queries(self.embedder, list(missing))
            with self._lock:
                if len(self._cache) + len(missing) > self._cache_size:
                    self._cache.clear()
                self._cache.update(zip(missing, vectors, strict=True))
        with self._lock:
            return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 1))

    def cluster(
        self, rows: Iterable[tuple[str, str]], resolved_leaders: Sequence[str] = ()
    ) -> list[Cluster]:
        """Clusters of ``rows`` (text, outcome), oldest first; largest cluster first.

        ``resolved_leaders`` lead clusters marked ``resolved`` before any row is placed.
        """
        rows = list(rows)
        distinct = list(dict.fromkeys([*resolved_leaders, *(t for t, _ in rows)]))
        if not distinct:
            return []
        vectors = self.embed(distinct)
        position = {t: i for i, t in enumerate(distinct)}
        clusters: list[Cluster] = []
        leaders: list[int] = []
        home: dict[str, Cluster] = {}
        for text in distinct:
            i = position[text]
            best = _nearest(vectors, leaders, i, self.threshold)
            if best is None:
                c = Cluster(cluster_key(text), text, resolved=text in resolved_leaders)
                clusters.append(c)
                leaders.append(i)
                home[text] = c
            else:
                home[text] = clusters[best]
        for text, outcome in rows:
            home[text].texts[text] += 1
            home[text].outcomes[outcome] += 1
        found = [c for c in clusters if c.size]
        return sorted(found, key=lambda c: -c.size)


def _nearest(vectors: np.ndarray, leaders: list[int], i: int, threshold: float) -> int | None:
    """The index (into ``leaders``) of the most similar leader at ``threshold`` or more."""
    if not leaders:
        return None
    sims = vectors[leaders] @ vectors[i]
    best = int(np.argmax(sims))
    return best if float(sims[best]) >= threshold else None


def leaders_of(keys: set[str], texts: Iterable[str]) -> list[str]:
    """The texts whose cluster key is one of ``keys`` (the leaders of marked clusters)."""
    found: dict[str, str] = {}
    for text in texts:
        key = cluster_key(text)
        if key in keys and key not in found:
            found[key] = text
    return list(found.values())
