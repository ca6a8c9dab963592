"""Redaction of personal numbers before text is logged, stored or sent to Rasa."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Order matters: longer, more specific patterns first.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ID_CARD", re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)|(?<!\d)\d{15}(?!\d)")),
    ("BANK_CARD", re.compile(r"(?<!\d)(?:\d[ -]?){15,18}\d(?!\d)")),
    ("PHONE", re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")),
    ("PHONE", re.compile(r"(?<!\d)0\d{2,3}[ -]?\d{7,8}(?!\d)")),
    # A code said in groups ("482 913", "4 8 2 9 1 3", "4829-13"): 4 to 8 digits in all.
    ("SPLIT_CODE", re.compile(r"(?<![\d.])\d{1,4}(?:[ -]\d{1,4}){1,7}(?![\d.])")),
    ("CODE", re.compile(r"(?<!\d)\d{4,8}(?!\d)")),
    # Whatever is left with 6 or more digits (9 to 14 digits, 20 and more, or a code
    # followed by a unit such as 元) is masked too: no such number ever gets through.
    ("NUMBER", re.compile(r"\d{6,}")),
)

# Hotline numbers people may legitimately type; they are public, not personal.
_PUBLIC_NUMBERS = frozenset({"110", "120", "119", "12345", "12333", "96110", "12315"})

_YEAR = re.compile(r"(?:19|20)\d\d")
_RANGE_TO = frozenset("-—~到至")

# A number followed by one of these is a quantity or a date, not a code.
_UNITS = frozenset("年月日号元块岁个人户项%多左")
# A short number right after one of these is a sum of money ("每户补3000"), not a code.
_AMOUNT_BEFORE = re.compile(
    r"(补|补贴|补助|花|花了|交|交了|付|付了|赔|罚|工资|退休金|养老金|每月|每户|每人|每年|"
    r"一共|总共|[¥￥])$"
)

MASKS = {
    "ID_CARD": "[身份证号]",
    "BANK_CARD": "[银行卡号]",
    "PHONE": "[电话号码]",
    "CODE": "[数字]",
    "SPLIT_CODE": "[数字]",
    "NUMBER": "[数字]",
}


@dataclass(frozen=True)
class Redaction:
    """Result of redacting one text."""

    text: str
    kinds: frozenset[str]

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


def redact(text: str) -> Redaction:
    """Replace ID-card, bank-card, phone numbers and codes by a mask.

    Years such as ``2025`` are kept when followed by 年; public hotline numbers are kept.
    """
    kinds: set[str] = set()
    for kind, pattern in _PATTERNS:

        def _mask(m: re.Match[str], kind: str = kind, source: str = text) -> str:
            digits = re.sub(r"\D", "", m.group(0))
            if digits in _PUBLIC_NUMBERS:
                return m.group(0)
            if kind == "SPLIT_CODE" and _is_not_a_code(m.group(0), digits):
                return m.group(0)
            if kind in {"CODE", "SPLIT_CODE"} and len(digits) < 6 and _is_quantity(source, m):
                return m.group(0)
            kinds.add(kind)
            return MASKS[kind]

        text = pattern.sub(_mask, text)
    return Redaction(text=text, kinds=frozenset(kinds))


def _is_not_a_code(group: str, digits: str) -> bool:
    """Whether numbers in groups are too short or long for a code, or are all hotlines
    ("110 120") or years ("2025-2027")."""
    parts = re.split(r"[ -]", group)
    return (
        not 4 <= len(digits) <= 8
        or all(part in _PUBLIC_NUMBERS for part in parts)
        or all(_YEAR.fullmatch(part) for part in parts)
    )


def _is_quantity(source: str, m: re.Match[str]) -> bool:
    """Whether a short number is a quantity, a date or a sum (by its unit or the word
    before it), rather than a code."""
    after = source[m.end() : m.end() + 1]
    if _YEAR.fullmatch(m.group(0)) and after in _RANGE_TO:
        return True  # the first year of a span ("2025-2027年")
    return after in _UNITS or bool(_AMOUNT_BEFORE.search(source[max(0, m.start() - 3) : m.start()]))
