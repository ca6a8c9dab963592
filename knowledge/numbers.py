"""The numbers table (``knowledge/data/numbers.yml``): the numbers residents are given, and
the rules no text may contradict."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

NUMBERS_FILE = Path("numbers.yml")


@dataclass(frozen=True)
class PhoneNumber:
    """One number of the numbers table (``knowledge/data/numbers.yml``)."""

    number: str
    say: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class NumbersTable:
    """The six numbers residents are given, and the rules no text may contradict."""

    numbers: tuple[PhoneNumber, ...]
    conflicts: tuple[tuple[re.Pattern[str], re.Pattern[str] | None, str], ...]
    needs_120: re.Pattern[str]

    def by_number(self, number: str) -> PhoneNumber:
        return next(n for n in self.numbers if n.number == number)

    def conflicts_in(self, text: str) -> list[str]:
        """Why ``text`` contradicts the table (empty when it does not)."""
        found = []
        for pattern, unless, why in self.conflicts:
            if pattern.search(text) and not (unless is not None and unless.search(text)):
                found.append(why)
        return found


_DEFAULT_NUMBERS = Path(__file__).resolve().parent / "data" / NUMBERS_FILE


@lru_cache(maxsize=4)
def load_numbers(path: Path = _DEFAULT_NUMBERS) -> NumbersTable:
    """The numbers table (one file for every entry, response and guide)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    numbers = tuple(
        PhoneNumber(
            number=str(item["number"]),
            say=str(item["say"]).strip(),
            sources=tuple(str(s) for s in item.get("sources") or ()),
        )
        for item in data["numbers"]
    )
    conflicts = tuple(
        (
            re.compile(str(item["pattern"])),
            re.compile(str(item["unless"])) if item.get("unless") else None,
            str(item["why"]),
        )
        for item in data["conflicts"]
    )
    return NumbersTable(numbers, conflicts, re.compile(str(data["needs_120"])))


def number_conflicts(text: str) -> list[str]:
    """Rules of the numbers table that ``text`` contradicts ("怀疑被骗打96110" ...)."""
    return load_numbers().conflicts_in(text)
