"""Repairs of a query against the knowledge vocabulary: dialect words, pinyin and homophones."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from textnorm.analyser import TextAnalyzer
from textnorm.cleaning import _CJK_RUN_RE, clean_text, has_content, is_cjk_word
from textnorm.numerals import repair_digits, spelled_digits
from textnorm.phonetics import fuzzy_syllable, is_syllable, readings, syllables
from textnorm.pinyin_reader import PinyinReader, split_syllables

# Runs of ASCII letters; letters touching digits (alert codes such as "yq7kma") are left alone.
_ASCII_SPAN_RE = re.compile(r"(?<![a-z0-9])[a-z]+(?: [a-z]+)*(?![a-z0-9])")
# The public code of a fraud alert ("YQJNFC", "yq-7km3"; alerts.lifecycle.CODE_RE). It is kept
# as typed, in capitals, so no pinyin or initials repair reads it as words (阳泉技能饭菜).
# With a space, only a code with a digit counts ("yq 7km3"; "yq zhen" is pinyin).
_ALERT_CODE_RE = re.compile(
    r"(?<![a-z0-9])yq(?:-?[a-z0-9]{4}|\s(?=[a-z]*\d)[a-z0-9]{4})(?![a-z0-9])", re.IGNORECASE
)
_MAX_TERM_LEN = 8
_MIN_INITIALS = 2
_MAX_EXPANSIONS = 3
# A two-character corpus word must occur this often before a homophone is repaired towards it.
_MIN_PAIR_COUNT = 3
# Characters more frequent than this in jieba's dictionary are function words (是, 我, 在).
_FUNCTION_CHAR_FREQ = 100_000
# Words at least this frequent in jieba's dictionary are real words, never typos.
_COMMON_WORD_FREQ = 5_000
# Words this long may be repaired when one character is wrong (老年肋餐 -> 老年助餐).
_MIN_MASKED_LEN = 4


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

    def _all_known(self, window: str) -> bool:
        """Whether ``window`` is made of known words only (助洁 + 服务): then it is no typo,
        however close it is to another term (助餐服务)."""
        words = self.analyzer.words(window)
        return all(
            len(w) > 1
            and (w in self.terms or w in self.vocabulary or self.analyzer.is_known_word(w))
            for w in words
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
        text = _ALERT_CODE_RE.sub(lambda m: m.group(0).upper(), repair_digits(cleaned))
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
            return " ".join(self._read_leftovers(out, repairs))

        return _ASCII_SPAN_RE.sub(replace_span, text)

    def _read_leftovers(self, tokens: list[str], repairs: list[tuple[str, str]]) -> list[str]:
        """Read each run of pinyin tokens the vocabulary left as ASCII ("zhang le",
        "gui shei guan") as everyday Chinese words (:mod:`textnorm.pinyin_reader`)."""
        if not self.vocabulary:
            return tokens  # a normaliser without a vocabulary changes nothing
        out: list[str] = []
        run: list[str] = []
        spelled: list[str] = []
        for token in [*tokens, ""]:
            pieces = split_syllables(token) if token and token not in self.ascii_words else None
            if pieces is not None and token.isascii():
                run.append(token)
                spelled += pieces
                continue
            if run:
                # One word alone ("ai换脸", "taxi", "xian") is too likely English or a
                # name: only runs of two tokens or more are read.
                read = self.reader.read(spelled) if len(run) > 1 else None
                if read is None:
                    out.extend(run)
                else:
                    repairs.append((" ".join(run), read))
                    out.append(read)
                run, spelled = [], []
            if token:
                out.append(token)
        return out

    @cached_property
    def reader(self) -> PinyinReader:
        """Everyday words for pinyin (built on first use, about 0.1 s)."""
        return PinyinReader(self.analyzer.word_frequency, self.analyzer.tokenizer.total)

    def _map_ascii_token(
        self, token: str, repairs: list[tuple[str, str]], expansions: list[str]
    ) -> str:
        if token in self.ascii_words or len(token) < _MIN_INITIALS:
            return token
        if token not in self._by_spelling and is_syllable(token):
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
        digits = spelled_digits(token)
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
            and not self._all_known(window)
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
