"""Pinyin typed without a Chinese keyboard, read back as the likeliest Chinese words.

The vocabulary repair (:mod:`textnorm.repair`) maps the pinyin of knowledge terms
(``zhucan`` -> 助餐). What it leaves is everyday words and function words ("zhang le duoshao",
"gui shei guan", "zenme tiao da"), which the retriever cannot match as ASCII. This module
reads them the way a pinyin input method does, with jieba's dictionary as the language
model: every run of one to four syllables may be the most frequent dictionary word with that
toneless reading, and the split with the highest total log-probability wins.

The readings of characters come from pypinyin's own table (``pypinyin.pinyin_dict``), so
there is no word list of our own to keep.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from functools import cached_property
from itertools import product

from textnorm.phonetics import is_syllable
from textnorm.phonetics import syllables as reading_of

# Characters kept per syllable (by frequency) when building a word of 2, 3 or 4 syllables.
_CHARS_PER_SYLLABLE = {2: 40, 3: 14, 4: 7}
# Longest word read, in syllables.
_MAX_WORD_SYLLABLES = 4
# Longest letter run tried as one syllable ("zhuang").
_MAX_SYLLABLE_LEN = 6


def toneless(reading: str) -> str:
    """``zhōng`` -> ``zhong``, ``lǜ`` -> ``lv`` (the style of :func:`textnorm.phonetics.syllables`)."""
    decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def split_syllables(token: str) -> list[str] | None:
    """Split run-together pinyin into syllables, fewest first ("duoshao" -> duo, shao;
    "xian" stays one syllable); ``None`` when it is not pinyin at all ("ok", "wifi")."""
    n = len(token)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for end in range(1, n + 1):
        for start in range(max(0, end - _MAX_SYLLABLE_LEN), end):
            prev = best[start]
            piece = token[start:end]
            if piece.endswith("r") and piece != "er" and is_syllable(piece[:-1]):
                piece = piece[:-1]  # erhua: "nar" is na
            if prev is None or not is_syllable(piece):
                continue
            current = best[end]
            if current is None or len(prev) + 1 < len(current):
                best[end] = [*prev, piece]
    return best[n]


def _common(char: str) -> bool:
    """Whether ``char`` is one of the 6,763 common characters of GB 2312 (jieba's counts
    include mojibake such as 銆, which no resident types)."""
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return "\u4e00" <= char <= "\u9fff"


def _ranked(pairs: dict[str, list[tuple[int, str]]]) -> dict[str, list[str]]:
    return {s: [c for _, c in sorted(p, key=lambda x: (-x[0], x[1]))] for s, p in pairs.items()}


class PinyinReader:
    """Reads toneless pinyin syllables as Chinese words.

    Args:
        frequency: Word -> count in the dictionary (0 if unknown); jieba's, through
            :meth:`textnorm.analyser.TextAnalyzer.word_frequency`.
        total: The dictionary's total count (a word's probability is its count over it).
    """

    def __init__(self, frequency: Callable[[str], int], total: int) -> None:
        self.frequency = frequency
        self.log_total = math.log(max(total, 2))

    @cached_property
    def _chars(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Syllable -> characters read so, most frequent first: by their first (common)
        reading, and by any reading (built on first use)."""
        from pypinyin.pinyin_dict import pinyin_dict

        first: dict[str, list[tuple[int, str]]] = {}
        every: dict[str, list[tuple[int, str]]] = {}
        for code, readings in pinyin_dict.items():
            char = chr(code)
            count = self.frequency(char)
            if count <= 0 or not _common(char):
                continue
            options = list(dict.fromkeys(toneless(r) for r in readings.split(",")))
            first.setdefault(options[0], []).append((count, char))
            for reading in options:
                every.setdefault(reading, []).append((count, char))
        return _ranked(first), _ranked(every)

    def _best_word(self, syllables: tuple[str, ...]) -> tuple[int, str] | None:
        """The most frequent dictionary word read as ``syllables``, with its count (a word
        of several characters must be read so as a whole: 银行 is yinhang, not yinxing)."""
        first, every = self._chars
        if len(syllables) == 1:
            ranked = first.get(syllables[0]) or every.get(syllables[0]) or []
            return (self.frequency(ranked[0]), ranked[0]) if ranked else None
        keep = _CHARS_PER_SYLLABLE[len(syllables)]
        options = [every.get(s, [])[:keep] for s in syllables]
        found = []
        for chars in product(*options):
            word = "".join(chars)
            count = self.frequency(word)
            if count > 0:
                found.append((count, word))
        for count, word in sorted(found, reverse=True):
            if reading_of(word) == syllables:
                return count, word
        return None

    def read(self, syllables: list[str]) -> str | None:
        """The likeliest Chinese text for ``syllables``, or ``None`` if one cannot be read."""
        n = len(syllables)
        best: list[tuple[float, list[str]] | None] = [None] * (n + 1)
        best[0] = (0.0, [])
        for end in range(1, n + 1):
            for start in range(max(0, end - _MAX_WORD_SYLLABLES), end):
                prev = best[start]
                if prev is None:
                    continue
                found = self._best_word(tuple(syllables[start:end]))
                if found is None:
                    continue
                score = prev[0] + math.log(found[0]) - self.log_total
                current = best[end]
                if current is None or score > current[0]:
                    best[end] = (score, [*prev[1], found[1]])
        result = best[n]
        return "".join(result[1]) if result else None
