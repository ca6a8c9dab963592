"""Numbered choices: bot buttons become "回复 1 …" lines; a number maps back to a payload.

WeChat text has no buttons, so the last menu shown to each user is remembered for a while;
when the user answers with one of its numbers, the button's payload is sent to the bot.
"""

from __future__ import annotations

import re
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass

MENU_TTL_S = 30 * 60.0

_STRIP = re.compile(r"[\s。．.，,！!、：:]+")


@dataclass(frozen=True)
class Menu:
    """The payloads of the numbered lines last shown to one user."""

    payloads: tuple[str, ...]
    shown_at: float


def parse_choice(text: str, number_words: dict[str, int] | None = None) -> int | None:
    """Read a choice number from a reply such as ``1``, ``１``, ``2。`` or ``三``."""
    cleaned = _STRIP.sub("", unicodedata.normalize("NFKC", text))
    if cleaned.isascii() and cleaned.isdigit() and len(cleaned) <= 3:
        return int(cleaned)
    if number_words and cleaned in number_words:
        return number_words[cleaned]
    return None


class MenuStore:
    """The current numbered menu per user, with expiry, kept in this process.

    Losing it on restart only means a late "1" is read as the text "1" by the bot.

    Args:
        ttl: seconds a menu stays answerable.
        max_users: bound on remembered menus; the oldest go first.
    """

    def __init__(self, ttl: float = MENU_TTL_S, max_users: int = 100_000) -> None:
        self.ttl = ttl
        self.max_users = max_users
        self._menus: OrderedDict[str, Menu] = OrderedDict()

    def show(self, user: str, payloads: list[str], now: float) -> None:
        """Remember the menu just shown to ``user`` (an empty one clears it)."""
        self._menus.pop(user, None)
        if payloads:
            self._menus[user] = Menu(tuple(payloads), now)
        while len(self._menus) > self.max_users:
            self._menus.popitem(last=False)

    def resolve(
        self, user: str, text: str, now: float, number_words: dict[str, int] | None = None
    ) -> str | None:
        """The payload chosen by ``text``, or None when it is not a valid current choice."""
        menu = self._menus.get(user)
        if menu is None:
            return None
        if now - menu.shown_at >= self.ttl:
            del self._menus[user]
            return None
        number = parse_choice(text, number_words)
        if number is None or not 1 <= number <= len(menu.payloads):
            return None
        return menu.payloads[number - 1]
