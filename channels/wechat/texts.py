"""The channel's own user-facing texts, read from ``texts.yml`` next to this module."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from textnorm.numerals import cn_number

TEXTS_FILE = Path(__file__).with_name("texts.yml")
# Words people type instead of digits when they answer a numbered choice; their values come
# from the one numeral table (textnorm.numerals).
NUMBER_WORDS = "一二三四五六七八九十"


@dataclass(frozen=True)
class WelcomeButton:
    """A button offered with the welcome text."""

    title: str
    payload: str


@dataclass(frozen=True)
class Texts:
    """Texts of the WeChat channel, with the hotline number filled in."""

    welcome: str
    voice_not_recognized: str
    unsupported: str
    too_long: str
    rate_limited: str
    busy: str
    button_line: str
    citation_line: str = "{titles}"
    clause_title: str = "{title}"
    welcome_buttons: tuple[WelcomeButton, ...] = ()
    number_words: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, raw: dict[str, Any], hotline: str) -> Texts:
        """Build from the YAML mapping.

        Raises:
            ValueError: a required text is missing or empty.
        """
        required = (
            "welcome",
            "voice_not_recognized",
            "unsupported",
            "too_long",
            "rate_limited",
            "busy",
        )
        missing = [k for k in (*required, "button_line") if not str(raw.get(k) or "").strip()]
        if missing:
            raise ValueError(f"texts.yml lacks: {', '.join(missing)}")
        filled = {k: str(raw[k]).strip().replace("{hotline}", hotline) for k in required}
        buttons = tuple(
            WelcomeButton(title=str(b["title"]), payload=str(b["payload"]))
            for b in raw.get("welcome_buttons") or []
        )
        words = {word: n for word in NUMBER_WORDS if (n := cn_number(word)) is not None}
        return cls(
            **filled,
            button_line=str(raw["button_line"]),
            citation_line=str(raw.get("citation_line") or "{titles}"),
            clause_title=str(raw.get("clause_title") or "{title}"),
            welcome_buttons=buttons,
            number_words=words,
        )


@lru_cache
def load_texts(hotline: str, path: Path = TEXTS_FILE) -> Texts:
    """Read and check the texts file (cached per hotline and path)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return Texts.from_mapping(raw, hotline)
