"""The scam types, advice steps and districts of ``data/scam_types.yml``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

CATALOG_FILE = Path(__file__).with_name("data") / "scam_types.yml"


@dataclass(frozen=True)
class ScamType:
    """One scam type an alert can be about."""

    key: str
    label: str
    meaning: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    """Everything alerts need from the data file."""

    types: dict[str, ScamType]
    steps: tuple[str, ...]
    districts: tuple[str, ...]


@lru_cache
def load_catalog(path: Path = CATALOG_FILE) -> Catalog:
    """Read and check the data file.

    Raises:
        ValueError: a type lacks its label or meaning, or no steps are given.
    """
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    types: dict[str, ScamType] = {}
    for key, item in (raw.get("types") or {}).items():
        if not item.get("label") or not item.get("meaning"):
            raise ValueError(f"{path.name}: scam type {key} lacks label or meaning")
        types[str(key)] = ScamType(
            key=str(key),
            label=str(item["label"]),
            meaning=str(item["meaning"]).strip(),
            sources=tuple(str(s) for s in item.get("sources") or ()),
        )
    steps = tuple(str(s).strip() for s in raw.get("steps") or ())
    if not types or not steps:
        raise ValueError(f"{path.name}: needs types and steps")
    return Catalog(types=types, steps=steps, districts=tuple(raw.get("districts") or ()))
