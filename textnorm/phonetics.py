"""Toneless pinyin of Chinese words: readings, heteronyms and fuzzy (dialect) syllables."""

from __future__ import annotations

import re
from itertools import product

from pypinyin import Style, lazy_pinyin, pinyin

# One pinyin syllable ("ba", "neng", "ma"): never read as initials (b-a is not 办案).
_SYLLABLE_RE = re.compile(
    r"^(zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(iang|iong|uang|ang|eng|ing|ong|uan|ian|iao|uai|ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|uo|ue|ui|ve|er|a|o|e|i|u|v)$"
)
_MAX_READINGS = 8


def is_syllable(token: str) -> bool:
    """Whether ``token`` is one toneless pinyin syllable ("ba", "neng", "zhuang")."""
    return bool(_SYLLABLE_RE.match(token))


def syllables(word: str) -> tuple[str, ...]:
    """Toneless pinyin of a Chinese word, one syllable per character."""
    return tuple(lazy_pinyin(word, style=Style.NORMAL, errors="ignore", v_to_u=False))


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
