"""Loaders for the shared vocabulary files: ``terms.txt`` (jieba user dictionary) and ``synonyms.yml``."""

from __future__ import annotations

from pathlib import Path

import yaml


def load_terms(path: Path) -> dict[str, int]:
    """Words of a jieba user dictionary (``word [freq] [tag]`` per line) with their frequency."""
    terms: dict[str, int] = {}
    if not path.exists():
        return terms
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.strip().split()
        if not parts or parts[0].startswith("#"):
            continue
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 10
        terms[parts[0].lower()] = freq
    return terms


def load_synonyms(path: Path) -> dict[str, str]:
    """Colloquial/dialect word -> standard word map from ``synonyms.yml``.

    Accepts a flat mapping, or a mapping of standard word -> list of variants.
    """
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: expected a mapping")
    mapping: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, list):
            for variant in value:
                mapping[str(variant).strip()] = str(key).strip()
        elif isinstance(value, dict):
            for variant, standard in value.items():
                mapping[str(variant).strip()] = str(standard).strip()
        elif value is not None:
            mapping[str(key).strip()] = str(value).strip()
    return {k: v for k, v in mapping.items() if k and k != v}
