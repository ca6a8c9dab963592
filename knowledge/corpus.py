"""Load the knowledge data (plan clauses, entries, fact-sheet sources) into a :class:`Corpus`."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from knowledge.clauses import parse_plan
from knowledge.documents import Document

PLAN_FILE = Path("sources") / "plan.md"
FACTS_FILE = Path("sources") / "facts.md"
ENTRIES_DIR = Path("entries")
TERMS_FILE = Path("jieba") / "terms.txt"
SYNONYMS_FILE = Path("synonyms.yml")

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
_SOURCE_LINE_RE = re.compile(r"^\s*-\s*\[(S\d+)\]\s*(.+)$")
_URL_RE = re.compile(r"\s*[:：]?\s*https?://\S+")
_DATE_RE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


@dataclass
class Corpus:
    """Everything retrieval and the dialogue need from the knowledge data.

    Attributes:
        documents: Clauses first (plan order), then entries (file and list order).
        by_id: Documents by id.
        clauses: Clause documents (``kind == "clause"``).
        entries: Entry documents (``kind == "entry"``).
        version: Content hash of every data file; the index is rebuilt when it changes.
        knowledge_dir: Where the data was read from.
        sources: Fact-sheet source lines by id (``S1`` -> text of the ``[S1]`` line).
    """

    documents: list[Document]
    by_id: dict[str, Document]
    clauses: list[Document]
    entries: list[Document]
    version: str
    knowledge_dir: Path
    sources: dict[str, str] = field(default_factory=dict)

    def source_info(self, sid: str) -> tuple[str, str | None]:
        """Title and date of a fact-sheet source.

        Args:
            sid: Source id such as ``S19``.

        Returns:
            The source line without its web addresses, and its first date
            (``YYYY-MM-DD`` or ``YYYY-MM``) or ``None``.

        Raises:
            KeyError: If the fact sheet has no such source.
        """
        line = self.sources[sid]
        title = _URL_RE.sub("", line).strip(" ;；：:")
        match = _DATE_RE.search(line)
        when = None
        if match:
            when = "-".join(part for part in match.groups() if part)
        return title, when

    def vocabulary_files(self) -> tuple[Path, Path]:
        """Paths of the shared vocabulary (``terms.txt``) and dialect map (``synonyms.yml``)."""
        return self.knowledge_dir / TERMS_FILE, self.knowledge_dir / SYNONYMS_FILE


def content_version(knowledge_dir: Path) -> str:
    """Hash of the names and contents of every file under ``knowledge_dir``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in knowledge_dir.rglob("*") if p.is_file()):
        if path.name.startswith(".") or path.suffix in {".pyc", ".swp"}:
            continue
        digest.update(path.relative_to(knowledge_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def parse_sources(text: str) -> dict[str, str]:
    """Source lines of the fact sheet (``- [S1] ...``) by id."""
    sources: dict[str, str] = {}
    for line in text.splitlines():
        if m := _SOURCE_LINE_RE.match(line):
            sources.setdefault(m.group(1), m.group(2).strip())
    return sources


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
    if not entries_dir.is_dir():
        return documents
    for path in sorted(entries_dir.glob("*.y*ml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if not isinstance(data, list):
            raise ValueError(f"{path.name}: expected a list of entries")
        for number, item in enumerate(data, start=1):
            if not isinstance(item, dict):
                raise ValueError(f"{path.name} item {number}: expected a mapping")
            documents.append(_entry_document(item, f"{path.name} item {number}"))
    return documents


def load_corpus(knowledge_dir: Path, sources_dir: Path | None = None) -> Corpus:
    """Read the plan, the fact sheet and the entries.

    Args:
        knowledge_dir: ``knowledge/data`` (holds ``sources/``, ``entries/``, ``terms.txt``, ``synonyms.yml``).
        sources_dir: Fallback folder for the two source files when ``knowledge_dir/sources`` lacks them.

    Returns:
        The corpus.

    Raises:
        FileNotFoundError: If the plan cannot be found.
        ValueError: If the data is malformed or ids collide.
    """
    knowledge_dir = Path(knowledge_dir)
    plan_path = knowledge_dir / PLAN_FILE
    facts_path = knowledge_dir / FACTS_FILE
    if sources_dir is not None:
        if not plan_path.exists():
            plan_path = Path(sources_dir) / "yangquan-2025-37-silver-economy-plan.md"
        if not facts_path.exists():
            facts_path = Path(sources_dir) / "facts.md"
    if not plan_path.exists():
        raise FileNotFoundError(f"plan not found: {plan_path}")

    clauses = [
        Document(
            id=c.id,
            kind="clause",
            title=c.title,
            text=c.text,
            clause_ids=(c.id,),
            departments=c.departments,
            meta={"group": c.group},
        )
        for c in parse_plan(plan_path.read_text(encoding="utf-8"))
    ]
    entries = load_entries(knowledge_dir / ENTRIES_DIR)
    documents = [*clauses, *entries]
    by_id: dict[str, Document] = {}
    for doc in documents:
        if doc.id in by_id:
            raise ValueError(f"duplicate document id: {doc.id}")
        by_id[doc.id] = doc
    sources = parse_sources(facts_path.read_text(encoding="utf-8")) if facts_path.exists() else {}
    return Corpus(
        documents=documents,
        by_id=by_id,
        clauses=clauses,
        entries=entries,
        version=content_version(knowledge_dir),
        knowledge_dir=knowledge_dir,
        sources=sources,
    )
