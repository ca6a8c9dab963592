"""Text normalisation for older users' typing: cleaning, dialect words, pinyin and homophones.

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
from itertools import product
from pathlib import Path

import jieba
import yaml
from pypinyin import Style, lazy_pinyin, pinyin

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN_RE = re.compile(f"[{_CJK}]+")
_CJK_CHAR_RE = re.compile(f"[{_CJK}]")
# Runs of ASCII letters; letters touching digits (alert codes such as "yq7kma") are left alone.
_ASCII_SPAN_RE = re.compile(r"(?<![a-z0-9])[a-z]+(?: [a-z]+)*(?![a-z0-9])")
# One pinyin syllable ("ba", "neng", "ma"): never read as initials (b-a is not 办案).
_SYLLABLE_RE = re.compile(
    r"^(zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(iang|iong|uang|ang|eng|ing|ong|uan|ian|iao|uai|ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|uo|ue|ui|ve|er|a|o|e|i|u|v)$"
)
_TOKEN_CHAR_RE = re.compile(f"[{_CJK}A-Za-z0-9]")
# Characters kept by cleaning: CJK, ASCII letters and digits, and common punctuation.
_KEEP_RE = re.compile(f"[^{_CJK}A-Za-z0-9，。？！、：；,.?!:;%+\\-— ]+")
_SPACE_RE = re.compile(r"\s+")
_MAX_TERM_LEN = 8
_MIN_INITIALS = 2
_MAX_EXPANSIONS = 3
# A two-character corpus word must occur this often before a homophone is repaired towards it.
_MIN_PAIR_COUNT = 3
# Characters more frequent than this in jieba's dictionary are function words (是, 我, 在).
_FUNCTION_CHAR_FREQ = 100_000
# Words at least this frequent in jieba's dictionary are real words, never typos.
_COMMON_WORD_FREQ = 5_000
_MAX_READINGS = 8
# Words this long may be repaired when one character is wrong (老年肋餐 -> 老年助餐).
_MIN_MASKED_LEN = 4


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
        self._char_synonyms = {k: v for k, v in synonyms.items() if len(k) == 1}
        self.terms = {t: f for t, f in terms.items() if is_cjk_word(t)}
        self.vocabulary: dict[str, int] = {}
        for word, count in corpus_words.items():
            if is_cjk_word(word) and 2 <= len(word) <= _MAX_TERM_LEN:
                self.vocabulary[word] = count
        for word in self.terms:
            if 2 <= len(word) <= _MAX_TERM_LEN:
                self.vocabulary[word] = self.vocabulary.get(word, 0) + 1000
        self.ascii_words = {
            w.lower() for w in [*terms, *corpus_words] if w.isascii() and w.isalpha()
        }
        self._by_syllables: dict[tuple[str, ...], list[str]] = {}
        self._by_fuzzy: dict[tuple[str, ...], list[str]] = {}
        self._by_spelling: dict[str, list[str]] = {}
        self._by_initials: dict[str, list[str]] = {}
        self._by_mask: dict[tuple[int, str], list[str]] = {}
        for word in sorted(self.vocabulary, key=self._rank):
            for sy in readings(word):
                _add(self._by_syllables, sy, word)
                _add(self._by_fuzzy, tuple(fuzzy_syllable(s) for s in sy), word)
                _add(self._by_spelling, "".join(sy), word)
                if len(sy) >= _MIN_INITIALS:
                    _add(self._by_initials, "".join(s[0] for s in sy), word)
            if len(word) >= _MIN_MASKED_LEN:
                for i in range(len(word)):
                    _add(self._by_mask, (i, word[:i] + word[i + 1 :]), word)

    def _keep_pair(self, window: str) -> bool:
        """Whether a two-character window should not be repaired: a real word, or one made
        with a very common function character (是, 我, 在 ...) that rarely is a typo."""
        return self.analyzer.is_known_word(window) or any(
            self.analyzer.word_frequency(ch) > _FUNCTION_CHAR_FREQ for ch in window
        )

    def _trusted_pair(self, word: str) -> bool:
        """Whether a two-character word is safe to repair towards (a term or a common corpus word)."""
        return word in self.terms or self.vocabulary.get(word, 0) >= _MIN_PAIR_COUNT

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
        text = _repair_digits(cleaned)
        text = self._map_dialect(text, repairs)
        text = self._map_ascii(text, repairs, expansions)
        text = self._map_homophones(text, repairs)
        text = self._map_dialect(text, repairs)
        expansions = [e for e in dict.fromkeys(expansions) if e not in text]
        return NormalizedQuery(query, cleaned, text, tuple(expansions), tuple(repairs))

    def standardize(self, text: str) -> str:
        """Apply only the dialect/synonym map (used on documents, which need no repair)."""
        return self._map_dialect(clean_text(text, max_chars=1_000_000), [], documents=True)

    def _map_dialect(
        self, text: str, repairs: list[tuple[str, str]], documents: bool = False
    ) -> str:
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
            elif (
                not documents
                and len(word) > 1
                and word not in self.vocabulary
                and self.analyzer.word_frequency(word) < _COMMON_WORD_FREQ
                and any(ch in self._char_synonyms for ch in word)
            ):
                # A dialect character glued to its neighbour by jieba (咱村, 俺家).
                replaced = "".join(self._char_synonyms.get(ch, ch) for ch in word)
                repairs.append((word, replaced))
                out.append(replaced)
            else:
                out.append(word)
        return "".join(out)

    def _map_ascii(self, text: str, repairs: list[tuple[str, str]], expansions: list[str]) -> str:
        def replace_span(match: re.Match[str]) -> str:
            tokens = match.group(0).split(" ")
            out: list[str] = []
            i = 0
            while i < len(tokens):
                for j in range(len(tokens), i, -1):
                    joined = "".join(tokens[i:j])
                    if j - i > 1 and joined in self._by_spelling:
                        break
                    if j - i == 1:
                        break
                token = "".join(tokens[i:j])
                out.append(self._map_ascii_token(token, repairs, expansions))
                i = j
            return " ".join(out)

        return _ASCII_SPAN_RE.sub(replace_span, text)

    def _map_ascii_token(
        self, token: str, repairs: list[tuple[str, str]], expansions: list[str]
    ) -> str:
        if token in self.ascii_words or len(token) < _MIN_INITIALS:
            return token
        if token not in self._by_spelling and _SYLLABLE_RE.match(token):
            return token
        candidates = self.pinyin_candidates(token)
        if not candidates:
            return token
        repairs.append((token, candidates[0]))
        expansions.extend(candidates[1:_MAX_EXPANSIONS])
        return candidates[0]

    def pinyin_candidates(self, token: str) -> list[str]:
        """Vocabulary readings of an ASCII token: full pinyin, run-together pinyin, or initials.

        Args:
            token: Lower-case ASCII letters, e.g. ``zhucan``, ``laonianzhucan``, ``zcd``,
                ``yaoersansiwu`` (digits), ``fzapp`` (initials and an English word).

        Returns:
            Candidate texts, best first (a run-together token yields one joined text).
        """
        if token in self._by_spelling:
            return list(self._by_spelling[token])
        digits = _spelled_digits(token)
        if digits:
            return [digits]
        if token in self._by_initials:
            return list(self._by_initials[token])
        joined = self._segment_spelling(token)
        return [joined] if joined else []

    def _segment_spelling(self, token: str) -> str | None:
        """Split run-together pinyin (or initials, or known ASCII words) into vocabulary words.

        Full pinyin and known ASCII words cost 1 a piece, initials 2; the cheapest split wins.
        """
        n = len(token)
        best: list[tuple[int, list[str]] | None] = [None] * (n + 1)
        best[0] = (0, [])
        for end in range(1, n + 1):
            for start in range(max(0, end - 6 * _MAX_TERM_LEN), end):
                prev = best[start]
                if prev is None:
                    continue
                piece = token[start:end]
                if piece in self._by_spelling:
                    cost, word = 1, self._by_spelling[piece][0]
                elif piece in self.ascii_words:
                    cost, word = 1, piece
                elif len(piece) >= _MIN_INITIALS and piece in self._by_initials:
                    cost, word = 2, self._by_initials[piece][0]
                else:
                    continue
                candidate = (prev[0] + cost, [*prev[1], word])
                current = best[end]
                if current is None or candidate[0] < current[0]:
                    best[end] = candidate
        result = best[n]
        if not result or len(result[1]) < 2:
            return None
        return "".join(result[1])

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

    def _window_candidates(self, window: str, sy: tuple[str, ...]) -> tuple[int, str] | None:
        """Best vocabulary word for a window: (0) same pinyin, (1) fuzzy pinyin, (2) one character off
        (windows of four or more characters only)."""
        length = len(window)
        if window in self.vocabulary:
            return None
        if length == 2 and self._keep_pair(window):
            return None
        if length >= 3 and self.analyzer.word_frequency(window) >= _COMMON_WORD_FREQ:
            return None
        exact = self._by_syllables.get(sy)
        if exact and (length > 2 or self._trusted_pair(exact[0])):
            return 0, exact[0]
        fuzzy = self._by_fuzzy.get(tuple(fuzzy_syllable(s) for s in sy))
        if fuzzy and (length > 2 or fuzzy[0] in self.terms):
            return 1, fuzzy[0]
        if (
            length >= _MIN_MASKED_LEN
            and window[:-1] not in self.vocabulary
            and window[1:] not in self.vocabulary
        ):
            for i in range(length):
                if self.analyzer.word_frequency(window[i]) > _FUNCTION_CHAR_FREQ:
                    continue  # 不, 吗, 了 ... are not typos (老年餐不 is not 老年餐桌)
                masked = self._by_mask.get((i, window[:i] + window[i + 1 :]))
                if masked:
                    return 2, masked[0]
        return None

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
        found: list[tuple[int, int, int, str]] = []
        ordered = sorted(bounds)
        for i in ordered:
            for end in ordered:
                if not 2 <= end - i <= _MAX_TERM_LEN:
                    continue
                match = self._window_candidates(run[i:end], sy[i:end])
                if match:
                    found.append((match[0], i, end, match[1]))
        taken = [False] * len(run)
        chosen: list[tuple[int, int, str]] = []
        for _, i, end, term in sorted(found, key=lambda f: (f[0], f[1] - f[2], f[1])):
            if any(taken[i:end]):
                continue
            taken[i:end] = [True] * (end - i)
            chosen.append((i, end, term))
        out = run
        for i, end, term in sorted(chosen, reverse=True):
            repairs.append((run[i:end], term))
            out = out[:i] + term + out[end:]
        return out


def _add(index: dict, key: object, word: str) -> None:  # type: ignore[type-arg]
    words = index.setdefault(key, [])
    if word not in words:
        words.append(word)


def readings(word: str) -> list[tuple[str, ...]]:
    """Toneless pinyin readings of a word: the phrase-aware one first, then heteronym variants
    (长护险 is read zhang/chang), at most ``_MAX_READINGS``."""
    first = syllables(word)
    if len(first) != len(word):
        return []
    per_char = [
        list(dict.fromkeys([first[i], *options]))
        for i, options in enumerate(pinyin(word, style=Style.NORMAL, heteronym=True))
    ]
    if len(per_char) != len(word):
        return [first]
    result = [first]
    for combo in product(*per_char):
        if len(result) >= _MAX_READINGS:
            break
        if combo != first:
            result.append(tuple(combo))
    return result


def fuzzy_syllable(syllable: str) -> str:
    """Merge sounds that older speakers and northern dialects often confuse (zh/z, n/l, -ng/-n)."""
    for retroflex, flat in (("zh", "z"), ("ch", "c"), ("sh", "s")):
        if syllable.startswith(retroflex):
            syllable = flat + syllable[2:]
            break
    if syllable.startswith("n") and not syllable.startswith("ng"):
        syllable = "l" + syllable[1:]
    if syllable.endswith("ng"):
        syllable = syllable[:-1]
    return syllable


_DIGIT_CHARS = {
    "零": "0",
    "〇": "0",
    "幺": "1",
    "一": "1",
    "二": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
}
_DIGIT_RUN_RE = re.compile("[零〇幺一二三四五六七八九]{3,}")
_DIGIT_SYLLABLES = {
    "ling": "0",
    "yao": "1",
    "yi": "1",
    "er": "2",
    "san": "3",
    "si": "4",
    "wu": "5",
    "liu": "6",
    "qi": "7",
    "ba": "8",
    "jiu": "9",
}
_LETTER_IN_NUMBER_RE = re.compile(r"(?<=\d)[lo](?=\d)")


def _repair_digits(text: str) -> str:
    """Phone numbers said in words (九六幺幺零) or typed with l/o for 1/0 (96l10) become digits."""
    text = _DIGIT_RUN_RE.sub(lambda m: "".join(_DIGIT_CHARS[c] for c in m.group(0)), text)
    return _LETTER_IN_NUMBER_RE.sub(lambda m: "1" if m.group(0) == "l" else "0", text)


def _spelled_digits(token: str) -> str | None:
    """``yaoersansiwu`` -> ``12345`` (three or more digit syllables and nothing else)."""
    digits: list[str] = []
    i = 0
    while i < len(token):
        for size in (4, 3, 2):
            piece = token[i : i + size]
            if piece in _DIGIT_SYLLABLES:
                digits.append(_DIGIT_SYLLABLES[piece])
                i += size
                break
        else:
            return None
    return "".join(digits) if len(digits) >= 3 else None
