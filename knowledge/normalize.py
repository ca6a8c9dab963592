"""Query normalisation for older users' typing: cleaning, dialect words, pinyin and homophones.

The vocabulary to match against is the shared term list (``terms.txt``) plus the words of
the corpus. Three repairs are made, all driven by that vocabulary:

* dialect and colloquial words are mapped to standard words (``synonyms.yml``);
* ASCII pinyin (``zhucan``), run-together pinyin (``laonianzhucan``) and pinyin initials
  (``zcd``) are mapped to vocabulary terms;
* Chinese substrings whose toneless pinyin equals a vocabulary term's pinyin but whose
  characters differ (住餐 -> 助餐, 是老化 -> 适老化) are replaced by the term.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import jieba
import yaml
from pypinyin import Style, lazy_pinyin

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN_RE = re.compile(f"[{_CJK}]+")
_CJK_CHAR_RE = re.compile(f"[{_CJK}]")
_ASCII_WORD_RE = re.compile(r"[a-z]+")
_TOKEN_CHAR_RE = re.compile(f"[{_CJK}A-Za-z0-9]")
# Characters kept by cleaning: CJK, ASCII letters and digits, and common punctuation.
_KEEP_RE = re.compile(f"[^{_CJK}A-Za-z0-9，。？！、：；,.?!:;%+\\-— ]+")
_SPACE_RE = re.compile(r"\s+")
_MAX_TERM_LEN = 8
_MIN_INITIALS = 2
_MAX_EXPANSIONS = 3


def load_terms(path: Path) -> dict[str, int]:
    """Words of a jieba user dictionary (``word [freq] [tag]`` per line) with their frequency."""
    terms: dict[str, int] = {}
    if not path.exists():
        return terms
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.strip().split()
        if not parts or parts[0].startswith("#"):
            continue
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 10
        terms[parts[0].lower()] = freq
    return terms


def load_synonyms(path: Path) -> dict[str, str]:
    """Colloquial/dialect word -> standard word map from ``synonyms.yml``.

    Accepts a flat mapping, or a mapping of standard word -> list of variants.
    """
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: expected a mapping")
    mapping: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, list):
            for variant in value:
                mapping[str(variant).strip()] = str(key).strip()
        elif isinstance(value, dict):
            for variant, standard in value.items():
                mapping[str(variant).strip()] = str(standard).strip()
        elif value is not None:
            mapping[str(key).strip()] = str(value).strip()
    return {k: v for k, v in mapping.items() if k and k != v}


def clean_text(text: str, max_chars: int = 256) -> str:
    """Make raw user text safe to process.

    NFKC-normalises (full-width letters and digits become ASCII), lower-cases, removes
    control characters, emoji and other symbols, collapses white space, and shortens
    text longer than ``max_chars`` by keeping its beginning and its end, where people
    usually put their question.

    Args:
        text: Raw text (any length, any characters).
        max_chars: Longest text kept.

    Returns:
        Cleaned text, possibly empty.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", str(text)).lower()
    text = _KEEP_RE.sub(" ", text)
    text = _SPACE_RE.sub(" ", text).strip()
    if len(text) > max_chars:
        half = max_chars // 2
        text = text[:half].rstrip() + " " + text[-half:].lstrip()
    return text


def has_content(text: str) -> bool:
    """Whether text has at least one letter, digit or Chinese character."""
    return bool(_TOKEN_CHAR_RE.search(text))


def is_cjk_word(word: str) -> bool:
    """Whether every character of ``word`` is a Chinese character."""
    return bool(word) and all(_CJK_CHAR_RE.match(ch) for ch in word)


def syllables(word: str) -> tuple[str, ...]:
    """Toneless pinyin of a Chinese word, one syllable per character."""
    return tuple(lazy_pinyin(word, style=Style.NORMAL, errors="ignore", v_to_u=False))


@dataclass(frozen=True)
class NormalizedQuery:
    """A query after normalisation.

    Attributes:
        original: The text as given.
        cleaned: After :func:`clean_text`.
        text: Cleaned text with dialect words, pinyin and homophones repaired.
        expansions: Further vocabulary terms the query may mean (other pinyin readings).
        repairs: ``(from, to)`` pairs of what was changed, for logs and tests.
    """

    original: str
    cleaned: str
    text: str
    expansions: tuple[str, ...] = ()
    repairs: tuple[tuple[str, str], ...] = field(default=())

    @property
    def empty(self) -> bool:
        """Whether nothing searchable is left."""
        return not has_content(self.text)


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


class Normalizer:
    """Repairs queries against the knowledge vocabulary.

    Args:
        analyzer: Segmentation shared with the lexical retriever.
        terms: Domain terms (``terms.txt``); preferred when a pinyin reading is ambiguous.
        synonyms: Dialect/colloquial word -> standard word.
        corpus_words: Words of the corpus (with counts), the rest of the vocabulary.
        max_chars: Longest query kept (see :func:`clean_text`).
    """

    def __init__(
        self,
        analyzer: TextAnalyzer,
        terms: dict[str, int],
        synonyms: dict[str, str],
        corpus_words: dict[str, int],
        max_chars: int = 256,
    ) -> None:
        self.analyzer = analyzer
        self.synonyms = synonyms
        self.max_chars = max_chars
        self._multi_synonyms = sorted((k for k in synonyms if len(k) > 1), key=len, reverse=True)
        self.terms = {t: f for t, f in terms.items() if is_cjk_word(t)}
        self.vocabulary: dict[str, int] = {}
        for word, count in corpus_words.items():
            if is_cjk_word(word) and 2 <= len(word) <= _MAX_TERM_LEN:
                self.vocabulary[word] = count
        for word in self.terms:
            if 2 <= len(word) <= _MAX_TERM_LEN:
                self.vocabulary[word] = self.vocabulary.get(word, 0) + 1000
        self.ascii_words = {w for w in [*terms, *corpus_words] if w.isascii() and w.isalpha()}
        self._by_syllables: dict[tuple[str, ...], list[str]] = {}
        self._by_spelling: dict[str, list[str]] = {}
        self._by_initials: dict[str, list[str]] = {}
        for word in sorted(self.vocabulary, key=self._rank):
            sy = syllables(word)
            if len(sy) != len(word):
                continue
            self._by_syllables.setdefault(sy, []).append(word)
            self._by_spelling.setdefault("".join(sy), []).append(word)
            if len(sy) >= _MIN_INITIALS:
                self._by_initials.setdefault("".join(s[0] for s in sy), []).append(word)

    def _rank(self, word: str) -> tuple[int, int, str]:
        return (0 if word in self.terms else 1, -self.vocabulary.get(word, 0), word)

    def normalize(self, query: str) -> NormalizedQuery:
        """Clean and repair a query.

        Args:
            query: Raw user text.

        Returns:
            The normalised query; ``.empty`` tells whether anything searchable is left.
        """
        cleaned = clean_text(query, self.max_chars)
        repairs: list[tuple[str, str]] = []
        expansions: list[str] = []
        text = self._map_dialect(cleaned, repairs)
        text = self._map_ascii(text, repairs, expansions)
        text = self._map_homophones(text, repairs)
        text = self._map_dialect(text, repairs)
        expansions = [e for e in dict.fromkeys(expansions) if e not in text]
        return NormalizedQuery(query, cleaned, text, tuple(expansions), tuple(repairs))

    def _map_dialect(self, text: str, repairs: list[tuple[str, str]]) -> str:
        for key in self._multi_synonyms:
            if key in text:
                repairs.append((key, self.synonyms[key]))
                text = text.replace(key, self.synonyms[key])
        out: list[str] = []
        for word in self.analyzer.segments(text):
            standard = self.synonyms.get(word)
            if standard is not None:
                repairs.append((word, standard))
                out.append(standard)
            else:
                out.append(word)
        return "".join(out)

    def _map_ascii(self, text: str, repairs: list[tuple[str, str]], expansions: list[str]) -> str:
        def replace(match: re.Match[str]) -> str:
            token = match.group(0)
            if token in self.ascii_words or len(token) < _MIN_INITIALS:
                return token
            candidates = self.pinyin_candidates(token)
            if not candidates:
                return token
            repairs.append((token, candidates[0]))
            expansions.extend(candidates[1:_MAX_EXPANSIONS])
            return candidates[0]

        return _ASCII_WORD_RE.sub(replace, text)

    def pinyin_candidates(self, token: str) -> list[str]:
        """Vocabulary readings of an ASCII token: full pinyin, run-together pinyin, or initials.

        Args:
            token: Lower-case ASCII letters, e.g. ``zhucan``, ``laonianzhucan``, ``zcd``.

        Returns:
            Candidate texts, best first (a run-together token yields one joined text).
        """
        if token in self._by_spelling:
            return list(self._by_spelling[token])
        joined = self._segment_spelling(token)
        if joined:
            return [joined]
        if token in self._by_initials:
            return list(self._by_initials[token])
        return []

    def _segment_spelling(self, token: str) -> str | None:
        """Split run-together pinyin into vocabulary words (fewest words wins)."""
        n = len(token)
        best: list[list[str] | None] = [None] * (n + 1)
        best[0] = []
        for end in range(1, n + 1):
            for start in range(max(0, end - 6 * _MAX_TERM_LEN), end):
                prev = best[start]
                piece = token[start:end]
                if prev is None or piece not in self._by_spelling:
                    continue
                candidate = [*prev, self._by_spelling[piece][0]]
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
        result = best[n]
        return "".join(result) if result and len(result) > 1 else None

    def _map_homophones(self, text: str, repairs: list[tuple[str, str]]) -> str:
        pieces: list[str] = []
        last = 0
        for run_match in _CJK_RUN_RE.finditer(text):
            run = run_match.group(0)
            pieces.append(text[last : run_match.start()])
            pieces.append(self._repair_run(run, repairs))
            last = run_match.end()
        pieces.append(text[last:])
        return "".join(pieces)

    def _repair_run(self, run: str, repairs: list[tuple[str, str]]) -> str:
        if len(run) < 2:
            return run
        sy = syllables(run)
        if len(sy) != len(run):
            return run
        bounds = {0}
        position = 0
        for word in self.analyzer.words(run):
            position += len(word)
            bounds.add(position)
        found: list[tuple[int, int, str]] = []
        for i in sorted(bounds):
            for end in sorted(bounds):
                length = end - i
                if length < 2 or length > _MAX_TERM_LEN:
                    continue
                window = run[i:end]
                if window in self.vocabulary or (length == 2 and self.analyzer.is_known_word(window)):
                    continue
                candidates = self._by_syllables.get(sy[i:end])
                if not candidates or (length == 2 and candidates[0] not in self.terms):
                    continue
                found.append((i, end, candidates[0]))
        taken = [False] * len(run)
        chosen: list[tuple[int, int, str]] = []
        for i, end, term in sorted(found, key=lambda f: (f[0] - f[1], f[0])):
            if any(taken[i:end]):
                continue
            taken[i:end] = [True] * (end - i)
            chosen.append((i, end, term))
        out = run
        for i, end, term in sorted(chosen, reverse=True):
            repairs.append((run[i:end], term))
            out = out[:i] + term + out[end:]
        return out
