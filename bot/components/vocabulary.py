"""The shared vocabulary and the word repairs made with it (no Rasa imports: easy to test)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import jieba
import yaml
from pypinyin import Style, lazy_pinyin

_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_CJK_RUN_RE = re.compile(f"[{_CJK}]+")
_ASCII_RE = re.compile(r"[a-z]+")
_MAX_TERM = 6


def load_terms(path: Path) -> dict[str, int]:
    """Words of a jieba user dictionary (``word [freq] [tag]`` per line)."""
    terms: dict[str, int] = {}
    if not path.is_file():
        return terms
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 10
        terms[parts[0].lower()] = freq
    return terms


def load_synonyms(path: Path) -> dict[str, str]:
    """Dialect/colloquial word -> standard word.

    Accepts a flat mapping, or standard word -> list of variants (as ``knowledge/SCHEMA.md``).
    """
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping")
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


def syllables(word: str) -> tuple[str, ...]:
    """Toneless pinyin, one syllable per Chinese character."""
    return tuple(lazy_pinyin(word, style=Style.NORMAL, errors="ignore"))


def _is_cjk(word: str) -> bool:
    return bool(word) and _CJK_RUN_RE.fullmatch(word) is not None


@dataclass
class Vocabulary:
    """Domain terms and dialect map, with the repairs they drive.

    Args:
        terms: Domain terms with jieba frequencies.
        synonyms: Dialect/colloquial word -> standard word.
    """

    terms: dict[str, int]
    synonyms: dict[str, str]
    _by_syllables: dict[tuple[str, ...], str] = field(init=False, default_factory=dict)
    _by_spelling: dict[str, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        words = {t for t in self.terms if _is_cjk(t) and 2 <= len(t) <= _MAX_TERM}
        words |= {s for s in self.synonyms.values() if _is_cjk(s) and 2 <= len(s) <= _MAX_TERM}
        # Most frequent first, so an ambiguous reading maps to the commoner term.
        for word in sorted(words, key=lambda w: (-self.terms.get(w, 0), w)):
            sy = syllables(word)
            if len(sy) != len(word):
                continue
            self._by_syllables.setdefault(sy, word)
            self._by_spelling.setdefault("".join(sy), word)
        self._long_synonyms = sorted(
            (k for k in self.synonyms if len(k) > 1), key=len, reverse=True
        )

    @cached_property
    def _jieba(self) -> jieba.Tokenizer:
        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        for word, freq in self.terms.items():
            tokenizer.add_word(word, freq=max(freq, 1000))
        for word in [*self.synonyms, *self.synonyms.values()]:
            if len(word) > 1:
                tokenizer.add_word(word, freq=1000)
        return tokenizer

    def teach_jieba(self) -> None:
        """Add the domain terms to jieba's default dictionary (used by Rasa's JiebaTokenizer)."""
        jieba.setLogLevel(logging.WARNING)
        for word, freq in self.terms.items():
            if _is_cjk(word) and len(word) > 1:
                jieba.add_word(word, freq=max(freq, 1000))

    def repair(self, text: str) -> str:
        """Pinyin, then homophones, then dialect words."""
        if not self._by_syllables and not self.synonyms:
            return text
        text = _ASCII_RE.sub(lambda m: self._from_pinyin(m.group(0)), text)
        text = _CJK_RUN_RE.sub(lambda m: self._repair_run(m.group(0)), text)
        return self._standardize(text)

    def _standardize(self, text: str) -> str:
        for key in self._long_synonyms:
            if key in text:
                text = text.replace(key, self.synonyms[key])
        return "".join(self.synonyms.get(w, w) for w in self._jieba.cut(text, HMM=False))

    def _from_pinyin(self, token: str) -> str:
        if len(token) < 4:
            return token
        if token in self._by_spelling:
            return self._by_spelling[token]
        # Run-together pinyin of several terms: fewest pieces wins.
        n = len(token)
        best: list[list[str] | None] = [None] * (n + 1)
        best[0] = []
        for end in range(1, n + 1):
            for start in range(max(0, end - 6 * _MAX_TERM), end):
                prev = best[start]
                word = self._by_spelling.get(token[start:end])
                if prev is None or word is None:
                    continue
                current = best[end]
                if current is None or len(prev) + 1 < len(current):
                    best[end] = [*prev, word]
        found = best[n]
        return "".join(found) if found else token

    def _word_bounds(self, run: str) -> set[int]:
        """Offsets where jieba (with the domain terms) starts or ends a word in ``run``."""
        bounds, position = {0}, 0
        for word in self._jieba.cut(run, HMM=False):
            position += len(word)
            bounds.add(position)
        return bounds

    def _repair_run(self, run: str) -> str:
        if len(run) < 2 or not self._by_syllables:
            return run
        sy = syllables(run)
        if len(sy) != len(run):
            return run
        out = list(run)
        taken = [False] * len(run)
        bounds = self._word_bounds(run)
        for length in range(min(_MAX_TERM, len(run)), 1, -1):
            for i in range(0, len(run) - length + 1):
                if any(taken[i : i + length]):
                    continue
                # A repair never cuts through a real word: 俺|好像 is not 暗号, 公交|去 not 郊区.
                if i not in bounds or i + length not in bounds:
                    continue
                window = run[i : i + length]
                term = self._by_syllables.get(sy[i : i + length])
                if term is None:
                    continue
                taken[i : i + length] = [True] * length
                if term == window:
                    continue
                # A real two-character word that only sounds like a term is left alone.
                if length == 2 and self._jieba.FREQ.get(window):
                    continue
                out[i : i + length] = list(term)
        return "".join(out)
