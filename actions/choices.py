"""Understanding free-text and numbered answers to the guide forms' questions.

The options and their keywords are data (``actions/data/guides.yml``). An answer picks an
option by a keyword anywhere in the text (the longest match wins) or, when the question
is the one being asked, by its number (``2``, ``第二个``, ``二``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from textnorm.numerals import CN_DIGITS

DATA_DIR = Path(__file__).resolve().parent / "data"

_NUMBER_RE = re.compile(
    r"^(?:我|俺)?(?:选|要|是|就)?(?:第|选)?\s*([1-9]|[一二两三四五六七八九])\s*(?:个|项|号|种)?(?:吧|啊|呀)?[。.!！]?$"
)
_NEGATION = ("没", "不", "别", "未")


@dataclass(frozen=True)
class Option:
    """One accepted answer of a question."""

    value: str
    keywords: tuple[str, ...]
    answer_keywords: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Question:
    """The options of one form slot."""

    slot: str
    options: tuple[Option, ...]

    def option(self, value: str | None) -> Option | None:
        """The option holding ``value``."""
        return next((o for o in self.options if o.value == value), None)

    def parse(self, text: str, *, requested: bool = True) -> Option | None:
        """The option an answer picks, or ``None``.

        Args:
            text: The user's answer.
            requested: Whether this question was the one asked; only then numbers and
                short answer words (是, 没有 ...) count.
        """
        text = _clean(text)
        if not text:
            return None
        if requested:
            number = _number(text)
            if number is not None and 1 <= number <= len(self.options):
                return self.options[number - 1]
        best: tuple[int, int, Option] | None = None
        for position, option in enumerate(self.options):
            words = [option.value, *option.keywords]
            if requested:
                words += option.answer_keywords
            for word in words:
                if word and word.lower() in text:
                    rank = (len(word), -position)
                    if best is None or rank > best[:2]:
                        best = (rank[0], rank[1], option)
        return best[2] if best else None

    def parse_many(self, text: str, *, requested: bool = True) -> list[Option]:
        """Every option an answer names (for questions that allow several answers).

        A keyword right after a negation (没让我转账) does not count. An option whose
        value is ``none`` only counts when nothing else was named.
        """
        text = _clean(text)
        if not text:
            return []
        if requested:
            numbers = [_number(part) for part in re.split(r"[，,、\s和跟还有也]+", text) if part]
            if numbers and all(n is not None and 1 <= n <= len(self.options) for n in numbers):
                return list(dict.fromkeys(self.options[n - 1] for n in numbers if n is not None))
        found: list[Option] = []
        for option in self.options:
            for word in (option.value, *option.keywords):
                if word and _mentions(text, word.lower()):
                    found.append(option)
                    break
        named = [o for o in found if o.value != "none"]
        if named:
            return named
        return [o for o in found if o.value == "none"]


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip().lower()


def _number(text: str) -> int | None:
    match = _NUMBER_RE.match(text)
    if not match:
        return None
    digit = match.group(1)
    return int(digit) if digit.isdigit() else CN_DIGITS[digit]


def _mentions(text: str, word: str) -> bool:
    start = text.find(word)
    while start != -1:
        before = text[max(0, start - 3) : start]
        if not any(neg in before for neg in _NEGATION):
            return True
        start = text.find(word, start + 1)
    return False


@lru_cache(maxsize=4)
def load_questions(path: Path = DATA_DIR / "guides.yml") -> dict[str, Question]:
    """Questions of the guide forms by slot name."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    questions: dict[str, Question] = {}
    for slot, items in data.items():
        options = []
        for item in items:
            extra = {
                k: v for k, v in item.items() if k not in {"value", "keywords", "answer_keywords"}
            }
            options.append(
                Option(
                    value=str(item["value"]),
                    keywords=tuple(str(k) for k in item.get("keywords") or ()),
                    answer_keywords=tuple(str(k) for k in item.get("answer_keywords") or ()),
                    extra=extra,
                )
            )
        questions[slot] = Question(slot, tuple(options))
    return questions


@lru_cache(maxsize=4)
def load_answers(path: Path = DATA_DIR / "answers.yml") -> dict[str, Any]:
    """Entry ids the dialogue uses directly (``actions/data/answers.yml``)."""
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
