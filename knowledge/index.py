"""The dense index: one faiss ``IndexFlatIP`` over normalised embeddings, plus JSON metadata.

Each document contributes several rows (an entry: title, each question, title + answer; a
clause: title, title + text, each sentence), and a document's dense score is the best of its
rows. The metadata records the model and the corpus version the index was built with; a
different model or corpus makes the index stale. Nothing is pickled.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from knowledge.clauses import split_sentences
from knowledge.corpus import Corpus
from knowledge.documents import Document
from knowledge.embedding import Embedder

INDEX_FORMAT = 2
FAISS_FILE = "dense.faiss"
META_FILE = "meta.json"
_BATCH = 64
_MIN_SENTENCE_CHARS = 8


def dense_rows(doc: Document) -> list[str]:
    """Texts embedded for a document (its dense score is the best match among them)."""
    if doc.kind == "entry":
        rows = [doc.title, *doc.questions, f"{doc.title}。{doc.text}"]
    else:
        body = doc.text.split("（责任单位", 1)[0].split("(责任单位", 1)[0]
        sentences = [s for s in split_sentences(body) if len(s) >= _MIN_SENTENCE_CHARS]
        rows = [doc.title, f"{doc.title}。{body[:200]}", *sentences]
    return [r for r in dict.fromkeys(r.strip() for r in rows) if r]


@dataclass
class DenseIndex:
    """Embeddings of every row, and which document each row belongs to.

    Attributes:
        index: faiss inner-product index over L2-normalised vectors (inner product = cosine).
        row_ids: Document id of each row.
        model: Name of the embedding model.
        corpus_version: Version of the corpus the index was built from.
    """

    index: faiss.Index
    row_ids: list[str]
    model: str
    corpus_version: str

    @property
    def dim(self) -> int:
        """Embedding dimension."""
        return int(self.index.d)

    def meta(self) -> dict[str, Any]:
        """Metadata written beside the faiss file."""
        return {
            "format": INDEX_FORMAT,
            "model": self.model,
            "corpus_version": self.corpus_version,
            "dim": self.dim,
            "rows": len(self.row_ids),
            "row_ids": self.row_ids,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def build_dense_index(corpus: Corpus, embedder: Embedder, progress: bool = False) -> DenseIndex:
    """Embed every row of every document.

    Args:
        corpus: The documents.
        embedder: The model.
        progress: Show a tqdm progress bar (on stderr).

    Returns:
        The in-memory index.
    """
    texts: list[str] = []
    row_ids: list[str] = []
    for doc in corpus.documents:
        for row in dense_rows(doc):
            texts.append(row)
            row_ids.append(doc.id)
    index = faiss.IndexFlatIP(embedder.dim)
    batches = _batches(texts, _BATCH)
    if progress:
        from tqdm import tqdm

        batches = tqdm(
            batches, total=(len(texts) + _BATCH - 1) // _BATCH, desc="embedding", unit="batch"
        )
    for batch in batches:
        vectors = embedder.encode(batch)
        faiss.normalize_L2(vectors)
        index.add(vectors)
    return DenseIndex(
        index=index, row_ids=row_ids, model=embedder.name, corpus_version=corpus.version
    )


def read_meta(index_dir: Path) -> dict[str, Any] | None:
    """Metadata of the index in ``index_dir``, or ``None`` if missing or unreadable."""
    try:
        meta = json.loads((Path(index_dir) / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or not (Path(index_dir) / FAISS_FILE).exists():
        return None
    return meta


def is_fresh(index_dir: Path, model: str, corpus_version: str) -> bool:
    """Whether the saved index was built with this model, corpus version and format."""
    meta = read_meta(index_dir)
    return bool(
        meta
        and meta.get("format") == INDEX_FORMAT
        and meta.get("model") == model
        and meta.get("corpus_version") == corpus_version
    )


def save_dense_index(dense: DenseIndex, index_dir: Path) -> None:
    """Write ``dense.faiss`` and ``meta.json`` atomically (readers never see half a file)."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_faiss = tempfile.mkstemp(dir=index_dir, suffix=".faiss.tmp")
    os.close(fd)
    faiss.write_index(dense.index, tmp_faiss)
    fd, tmp_meta = tempfile.mkstemp(dir=index_dir, suffix=".json.tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(dense.meta(), handle, ensure_ascii=False)
    os.replace(tmp_faiss, index_dir / FAISS_FILE)
    os.replace(tmp_meta, index_dir / META_FILE)


def load_dense_index(index_dir: Path) -> DenseIndex:
    """Read a saved index.

    Raises:
        FileNotFoundError: If there is no readable index.
        ValueError: If the faiss file and the metadata disagree.
    """
    meta = read_meta(index_dir)
    if meta is None:
        raise FileNotFoundError(f"no index in {index_dir}")
    index = faiss.read_index(str(Path(index_dir) / FAISS_FILE))
    row_ids = [str(r) for r in meta.get("row_ids", [])]
    if index.ntotal != len(row_ids):
        raise ValueError("index and metadata disagree on the number of rows")
    return DenseIndex(
        index=index,
        row_ids=row_ids,
        model=str(meta["model"]),
        corpus_version=str(meta["corpus_version"]),
    )


def dense_doc_scores(
    dense: DenseIndex, query_vector: np.ndarray, row_positions: np.ndarray, n_docs: int
) -> np.ndarray:
    """Best cosine of each document's rows for one normalised query vector.

    Args:
        dense: The index.
        query_vector: Shape ``(dim,)`` or ``(1, dim)``.
        row_positions: Position (in the result) of the document of each row.
        n_docs: Length of the result.

    Returns:
        Array of length ``n_docs``; documents without rows score -1.
    """
    query = np.ascontiguousarray(query_vector.reshape(1, -1), dtype=np.float32)
    scores, rows = dense.index.search(query, dense.index.ntotal)
    valid = rows[0] >= 0
    result = np.full(n_docs, -1.0, dtype=np.float32)
    np.maximum.at(result, row_positions[rows[0][valid]], scores[0][valid])
    return result
