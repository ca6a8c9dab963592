"""Cleaning raw user text, and the character classes the other textnorm modules share."""

from __future__ import annotations

import re
import unicodedata

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN_RE = re.compile(f"[{_CJK}]+")
_CJK_CHAR_RE = re.compile(f"[{_CJK}]")
_TOKEN_CHAR_RE = re.compile(f"[{_CJK}A-Za-z0-9]")
# Characters kept by cleaning: CJK, ASCII letters and digits, and common punctuation.
_KEEP_RE = re.compile(f"[^{_CJK}A-Za-z0-9，。？！、：；,.?!:;%+\\-— ]+")
_SPACE_RE = re.compile(r"\s+")


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
