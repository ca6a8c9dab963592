"""Load the knowledge data (plan clauses, entries, sources and their registry) into a :class:`Corpus`.

Sources are fact lines of ``sources/facts.md`` (``S1``..``S58``) and of every
``sources/national-*.md`` (``N…`` ids, same format). Every source has an item in a registry
(``sources/*.yml``): how far its fact reaches (``scope``: ``yangquan``, ``shanxi``,
``national`` or ``elsewhere``), and the ``plain`` title residents see. Operators see the
full source line.

Entry files are read by :mod:`knowledge.entries` and the numbers table by
:mod:`knowledge.numbers`; their public names are importable from here as well.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.clauses import parse_plan
from knowledge.documents import Document
from knowledge.entries import load_entries, yaml_list_items
from knowledge.numbers import (
    NUMBERS_FILE,
    NumbersTable,
    PhoneNumber,
    load_numbers,
    number_conflicts,
)

PLAN_FILE = Path("sources") / "plan.md"
FACTS_FILE = Path("sources") / "facts.md"
SOURCES_DIR = Path("sources")
NATIONAL_GLOB = "national-*.md"
SCOPES = ("yangquan", "shanxi", "national", "elsewhere")
ENTRIES_DIR = Path("entries")
TERMS_FILE = Path("jieba") / "terms.txt"
SYNONYMS_FILE = Path("synonyms.yml")

SOURCE_ID_RE = re.compile(r"^[SN]\d+$")
_SOURCE_LINE_RE = re.compile(r"^\s*-\s*\[([SN]\d+)\]\s*(.+)$")
REGISTRY_KEYS = {
    "id",
    "scope",
    "place",
    "plain",
    "issuer",
    "title",
    "number",
    "date",
    "address",
    "confidence",
    "origin",
}
_URL_RE = re.compile(r"\s*[:：]?\s*https?://\S+")
_DATE_RE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")

__all__ = [
    "ENTRIES_DIR",
    "FACTS_FILE",
    "NATIONAL_GLOB",
    "NUMBERS_FILE",
    "PLAN_FILE",
    "REGISTRY_KEYS",
    "SCOPES",
    "SOURCES_DIR",
    "SOURCE_ID_RE",
    "SYNONYMS_FILE",
    "TERMS_FILE",
    "Corpus",
    "NumbersTable",
    "PhoneNumber",
    "SourceRecord",
    "content_version",
    "load_corpus",
    "load_entries",
    "load_numbers",
    "load_registry",
    "number_conflicts",
    "parse_sources",
]


@dataclass(frozen=True)
class SourceRecord:
    """One source of the registry (``knowledge/data/sources/*.yml``).

    Attributes:
        id: ``S1``..``S58`` (fact sheet) or ``N…`` (national/provincial sheets).
        scope: How far its fact reaches (**contract**): ``yangquan``, ``shanxi``,
            ``national`` or ``elsewhere`` (another place's practice, named in ``place``).
        place: The other place, for ``elsewhere``.
        plain: What residents see: issuer, short name, year.
        issuer, title, number, date, address, confidence, origin: the full record,
            for operators and reviewers.
    """

    id: str
    scope: str
    plain: str
    place: str | None = None
    issuer: str | None = None
    title: str | None = None
    number: str | None = None
    date: str | None = None
    address: str | None = None
    confidence: str | None = None
    origin: str | None = None


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
        sources: Source lines by id (``S1`` -> text of the ``[S1]`` line of the fact sheet,
            ``N101`` -> the ``[N101]`` line of a national sheet).
        registry: Registry records by source id (scope and plain title).
    """

    documents: list[Document]
    by_id: dict[str, Document]
    clauses: list[Document]
    entries: list[Document]
    version: str
    knowledge_dir: Path
    sources: dict[str, str] = field(default_factory=dict)
    registry: dict[str, SourceRecord] = field(default_factory=dict)

    def source_record(self, sid: str) -> SourceRecord:
        """The registry record of a source (scope, plain title, full record).

        A source with a line but no registry item is treated as national with its line as
        the title, so that nothing is ever shown without a scope.

        Raises:
            KeyError: If neither a registry item nor a source line exists.
        """
        record = self.registry.get(sid)
        if record is not None:
            return record
        title, _when = self.source_info(sid)
        return SourceRecord(id=sid, scope="national", plain=title)

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
        if sid not in self.sources and sid in self.registry:
            record = self.registry[sid]
            parts = [record.issuer, record.title, record.number, record.date]
            line = "，".join(str(p) for p in parts if p)
        else:
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
    """Source lines of a fact sheet (``- [S1] ...`` or ``- [N101] ...``) by id."""
    sources: dict[str, str] = {}
    for line in text.splitlines():
        if m := _SOURCE_LINE_RE.match(line):
            sources.setdefault(m.group(1), m.group(2).strip())
    return sources


def load_registry(sources_dir: Path) -> dict[str, SourceRecord]:
    """Every registry item of ``sources_dir/*.yml`` by id.

    Raises:
        ValueError: If an item lacks a field, has an unknown scope, or an id repeats.
    """
    registry: dict[str, SourceRecord] = {}
    for where, item in yaml_list_items(sources_dir, "*.yml", "sources"):
        if not isinstance(item, dict) or set(item) != REGISTRY_KEYS:
            missing = REGISTRY_KEYS - set(item or {})
            raise ValueError(f"{where}: expected the registry fields, missing {missing}")
        sid = str(item["id"]).strip()
        if not SOURCE_ID_RE.match(sid):
            raise ValueError(f"{where}: bad source id {sid!r}")
        if item["scope"] not in SCOPES:
            raise ValueError(f"{where}: scope must be one of {SCOPES}")
        if sid in registry:
            raise ValueError(f"{where}: duplicate source id {sid}")
        optional = ("place", "issuer", "title", "number", "date", "address", "confidence", "origin")
        registry[sid] = SourceRecord(
            id=sid,
            scope=str(item["scope"]),
            plain=str(item["plain"]).strip(),
            **{key: _optional_text(item.get(key)) for key in optional},
        )
    return registry


def _optional_text(value: Any) -> str | None:
    """A registry field as text (lists joined by " ; "), or ``None`` when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, list):
        return " ; ".join(str(v) for v in value)
    return str(value)


def load_corpus(knowledge_dir: Path, sources_dir: Path | None = None) -> Corpus:
    """Read the plan, the fact sheets, the source registry and the entries.

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
    plan_path, facts_path = _source_paths(knowledge_dir, sources_dir)
    clauses = _plan_clauses(plan_path)
    entries = load_entries(knowledge_dir / ENTRIES_DIR)
    documents = [*clauses, *entries]
    return Corpus(
        documents=documents,
        by_id=_by_id(documents),
        clauses=clauses,
        entries=entries,
        version=content_version(knowledge_dir),
        knowledge_dir=knowledge_dir,
        sources=_source_lines(facts_path, knowledge_dir / SOURCES_DIR),
        registry=load_registry(knowledge_dir / SOURCES_DIR),
    )


def _source_paths(knowledge_dir: Path, sources_dir: Path | None) -> tuple[Path, Path]:
    """Paths of the plan and the fact sheet (``sources_dir`` for the ones missing).

    Raises:
        FileNotFoundError: If the plan cannot be found.
    """
    plan_path = knowledge_dir / PLAN_FILE
    facts_path = knowledge_dir / FACTS_FILE
    if sources_dir is not None:
        if not plan_path.exists():
            plan_path = Path(sources_dir) / "yangquan-2025-37-silver-economy-plan.md"
        if not facts_path.exists():
            facts_path = Path(sources_dir) / "facts.md"
    if not plan_path.exists():
        raise FileNotFoundError(f"plan not found: {plan_path}")
    return plan_path, facts_path


def _plan_clauses(plan_path: Path) -> list[Document]:
    """The plan's clauses as documents, in plan order."""
    return [
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


def _by_id(documents: list[Document]) -> dict[str, Document]:
    """Documents by id.

    Raises:
        ValueError: If an id repeats.
    """
    by_id: dict[str, Document] = {}
    for doc in documents:
        if doc.id in by_id:
            raise ValueError(f"duplicate document id: {doc.id}")
        by_id[doc.id] = doc
    return by_id


def _source_lines(facts_path: Path, sheets_dir: Path) -> dict[str, str]:
    """Source lines of the fact sheet, then of the national sheets (first line of an id wins)."""
    sources = parse_sources(facts_path.read_text(encoding="utf-8")) if facts_path.exists() else {}
    for sheet in sorted(sheets_dir.glob(NATIONAL_GLOB)):
        for sid, line in parse_sources(sheet.read_text(encoding="utf-8")).items():
            sources.setdefault(sid, line)
    return sources
