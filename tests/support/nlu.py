"""The NLU training examples of ``bot/data/nlu/*.yml``, read one way for every test."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import yaml

NLU_DIR = Path(__file__).resolve().parents[2] / "bot" / "data" / "nlu"
_KINDS = ("intent", "synonym", "lookup", "regex")


def nlu_examples(*, intents_only: bool = False) -> dict[str, list[str]]:
    """Example lines as written (annotations kept), by block: an intent's name, or
    ``synonym:<name>`` / ``lookup:<name>`` / ``regex:<name>`` for the other blocks."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(NLU_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            kind = next((k for k in _KINDS if k in block), None)
            if kind is None or (intents_only and kind != "intent"):
                continue
            key = block[kind] if kind == "intent" else f"{kind}:{block[kind]}"
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    found[key].append(line[2:].strip())
    return found


def all_examples() -> list[str]:
    """Every example line of every block, in file order."""
    return [line for lines in nlu_examples().values() for line in lines]
