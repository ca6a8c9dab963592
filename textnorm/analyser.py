"""Word segmentation and BM25 lexical tokens (jieba with the shared user dictionary)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import jieba

from textnorm.cleaning import _CJK_RUN_RE, _TOKEN_CHAR_RE


class TextAnalyzer:
    """Word segmentation (jieba with the shared user dictionary) and lexical tokens."""

    def __init__(self, terms: dict[str, int], extra_words: Iterable[str] = ()) -> None:
        """Create a private jieba tokenizer that knows the domain terms.

        Args:
            terms: Domain terms with frequencies (``terms.txt``).
            extra_words: Further words to keep whole (dialect words and their standard forms).
        """
        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        for word, freq in terms.items():
            self._jieba.add_word(word, freq=max(freq, 1000))
        for word in extra_words:
            if len(word) > 1 and word not in self._jieba.FREQ:
                self._jieba.add_word(word, freq=1000)

    @property
    def tokenizer(self) -> jieba.Tokenizer:
        """The private jieba tokenizer (for jieba's analysers)."""
        return self._jieba

    def word_frequency(self, word: str) -> int:
        """Frequency of a word in jieba's dictionary (0 if unknown)."""
        return int(self._jieba.FREQ.get(word) or 0)

    def is_known_word(self, word: str) -> bool:
        """Whether jieba's dictionary has the word."""
        return bool(self._jieba.FREQ.get(word))

    def segments(self, text: str) -> list[str]:
        """Segment text into words, keeping punctuation and spaces (joins back to ``text``)."""
        return list(self._jieba.cut(text, HMM=False))

    def words(self, text: str) -> list[str]:
        """Segment text into words (punctuation and spaces dropped)."""
        return [w for w in self._jieba.cut(text, HMM=False) if _TOKEN_CHAR_RE.search(w)]

    def search_words(self, text: str) -> list[str]:
        """Words plus the shorter words inside long ones (jieba's search mode)."""
        return [w for w in self._jieba.cut_for_search(text, HMM=False) if _TOKEN_CHAR_RE.search(w)]

    def lexical_tokens(self, text: str) -> list[str]:
        """Tokens for BM25: search-mode words, and character bigrams prefixed with ``~``."""
        tokens = self.search_words(text)
        for run in _CJK_RUN_RE.findall(text):
            tokens.extend("~" + run[i : i + 2] for i in range(len(run) - 1))
        return tokens
