"""Chinese numerals: the one digit table of the repo, and the repairs built on it.

* :data:`CN_DIGITS` — Chinese digit character -> value (零/〇 0, 一 1, 二/两 2, … 九 9);
* :func:`cn_number` — a Chinese numeral from 一 to 九十九 (``三``, ``十二``, ``二十``) -> int;
* phone numbers said in words (九六幺幺零), typed with l/o (96l10) or spelled in pinyin
  (``yaoersansiwu``) become digits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

CN_TEN = "十"
# Read-only by convention: importers must not change it.
CN_DIGITS: Mapping[str, int] = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
# Numbers read out digit by digit (phone numbers): 幺 is 1, 两 is not used.
_DIGIT_CHARS = {ch: str(value) for ch, value in CN_DIGITS.items() if ch != "两"} | {"幺": "1"}
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


def _digit(ch: str) -> int | None:
    value = CN_DIGITS.get(ch)
    return value if value else None  # 零 is no digit of 一..九十九


def cn_number(text: str) -> int | None:
    """A Chinese numeral from 1 to 99 (``三``, ``两``, ``十``, ``十二``, ``二十``, ``九十九``).

    Returns:
        Its value, or ``None`` if ``text`` is not such a numeral.
    """
    if len(text) == 1:
        return 10 if text == CN_TEN else _digit(text)
    tens, sep, ones = text.partition(CN_TEN)
    if not sep or len(tens) > 1 or len(ones) > 1:
        return None
    high = _digit(tens) if tens else 1
    low = _digit(ones) if ones else 0
    if high is None or low is None:
        return None
    return high * 10 + low


def repair_digits(text: str) -> str:
    """Phone numbers said in words (九六幺幺零) or typed with l/o for 1/0 (96l10) become digits."""
    text = _DIGIT_RUN_RE.sub(lambda m: "".join(_DIGIT_CHARS[c] for c in m.group(0)), text)
    return _LETTER_IN_NUMBER_RE.sub(lambda m: "1" if m.group(0) == "l" else "0", text)


def spelled_digits(token: str) -> str | None:
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
