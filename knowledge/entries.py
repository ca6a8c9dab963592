"""Read the YAML list files of the knowledge data: the entries (``entries/*.yml``).

An entry is a plain-language answer (``id``, ``title``, ``answer`` required); any key not
listed in the entry schema is kept in :attr:`Document.meta`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from knowledge.documents import Document

_ENTRY_KEYS = {
    "id",
    "topic",
    "title",
    "questions",
    "answer",
    "more",
    "steps",
    "clause_ids",
    "sources",
    "valid_from",
    "valid_until",
}


def _as_date(value: Any, where: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"{where}: bad date {value!r}") from exc


def _as_tuple(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list, got {type(value).__name__}")
    return tuple(str(item).strip() for item in value if str(item).strip())


def _entry_document(item: dict[str, Any], where: str) -> Document:
    for key in ("id", "title", "answer"):
        if not item.get(key):
            raise ValueError(f"{where}: missing {key}")
    meta = {k: v for k, v in item.items() if k not in _ENTRY_KEYS}
    more = item.get("more")
    return Document(
        id=str(item["id"]).strip(),
        kind="entry",
        title=str(item["title"]).strip(),
        text=str(item["answer"]).strip(),
        clause_ids=_as_tuple(item.get("clause_ids"), where),
        topic=str(item["topic"]).strip() if item.get("topic") else None,
        questions=_as_tuple(item.get("questions"), where),
        more=str(more).strip() if more else None,
        steps=_as_tuple(item.get("steps"), where),
        sources=_as_tuple(item.get("sources"), where),
        valid_from=_as_date(item.get("valid_from"), where),
        valid_until=_as_date(item.get("valid_until"), where),
        meta=meta,
    )


def load_entries(entries_dir: Path) -> list[Document]:
    """Entries of every ``entries/*.yml`` file, in file-name then list order.

    Raises:
        ValueError: If a file is not a list of mappings or an entry lacks id, title or answer.
    """
    documents: list[Document] = []
    for where, item in yaml_list_items(entries_dir, "*.y*ml", "entries"):
        if not isinstance(item, dict):
            raise ValueError(f"{where}: expected a mapping")
        documents.append(_entry_document(item, where))
    return documents


def yaml_list_items(directory: Path, pattern: str, what: str) -> Iterator[tuple[str, Any]]:
    """``("<file> item <n>", item)`` for every item of every YAML list file in ``directory``.

    Raises:
        ValueError: If a file is not a YAML list.
    """
    if not directory.is_dir():
        return
    for path in sorted(directory.glob(pattern)):
        items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if not isinstance(items, list):
            raise ValueError(f"{path.name}: expected a list of {what}")
        for number, item in enumerate(items, start=1):
            yield f"{path.name} item {number}", item
