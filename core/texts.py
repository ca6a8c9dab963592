"""User-facing texts of the app, kept in ``texts.yml`` next to this module."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

_FILE = Path(__file__).with_name("texts.yml")


@lru_cache
def _all() -> dict[str, str]:
    data = yaml.safe_load(_FILE.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def text(key: str) -> str:
    """The text stored under ``key``; a missing key is a programming error."""
    return _all()[key]
