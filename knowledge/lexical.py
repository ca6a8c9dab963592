"""Lexical retrieval: BM25 (``bm25s``) over jieba words and character bigrams."""

from __future__ import annotations

import logging

import bm25s
import numpy as np

from knowledge.documents import Document
from textnorm.normalize import Normalizer, TextAnalyzer

# Entry questions are repeated into the indexed text so that plain-language phrasings
# weigh more than the long clause texts.
_QUESTION_REPEAT = 2


def document_text(doc: Document) -> str:
    """The text BM25 indexes for a document."""
    if doc.kind == "entry":
        return "\n".join([doc.title, *(list(doc.questions) * _QUESTION_REPEAT), doc.text])
    return "\n".join([doc.title, doc.title, doc.text])


class LexicalIndex:
    """BM25 over the documents, rebuilt in memory at load (milliseconds for this corpus).

    Args:
        documents: Documents in index order.
        analyzer: Shared segmentation.
        normalizer: Applies the dialect map to documents as to queries.
    """

    def __init__(
        self, documents: list[Document], analyzer: TextAnalyzer, normalizer: Normalizer
    ) -> None:
        self.analyzer = analyzer
        corpus_tokens = [
            analyzer.lexical_tokens(normalizer.standardize(document_text(d))) for d in documents
        ]
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self._bm25 = bm25s.BM25(k1=1.2, b=0.75)
        self._bm25.index(corpus_tokens, show_progress=False)
        self._vocab = self._bm25.vocab_dict
        self.size = len(documents)

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every document for query tokens.

        Unknown tokens are ignored and repeated ones count once, so that a rambling
        query repeating itself does not outweigh its actual question.
        """
        known = [t for t in dict.fromkeys(tokens) if t in self._vocab]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)
