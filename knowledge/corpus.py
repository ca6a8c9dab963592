"""Load the knowledge data (plan clauses, entries, sources and their registry) into a :class:`Corpus`.

Sources are fact lines of ``sources/facts.md`` (``S1``..``S58``) and of every
``sources/national-*.md`` (``N…`` ids, same format). Every source has an item in a registry
(``sources/*.yml``): how far its fact reaches (``scope``: ``yangquan``, ``shanxi``,
``national`` or ``elsewhere``), and the ``plain`` title residents see. Operators see the
full source line.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.clauses import parse_plan
from knowledge.documents import Document

PLAN_FILE = Path("sources") / "plan.md"
FACTS_FILE = Path("sources") / "facts.md"
SOURCES_DIR = Path("sources")
NATIONAL_GLOB = "national-*.md"
NUMBERS_FILE = Path("numbers.yml")
SCOPES = ("yangquan", "shanxi", "national", "elsewhere")
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
    for where, item in _yaml_list_items(sources_dir, "*.yml", "sources"):
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
    for where, item in _yaml_list_items(entries_dir, "*.y*ml", "entries"):
        if not isinstance(item, dict):
            raise ValueError(f"{where}: expected a mapping")
        documents.append(_entry_document(item, where))
    return documents


def _yaml_list_items(directory: Path, pattern: str, what: str) -> Iterator[tuple[str, Any]]:
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
    for sheet in sorted((knowledge_dir / SOURCES_DIR).glob(NATIONAL_GLOB)):
        for sid, line in parse_sources(sheet.read_text(encoding="utf-8")).items():
            sources.setdefault(sid, line)
    return Corpus(
        documents=documents,
        by_id=by_id,
        clauses=clauses,
        entries=entries,
        version=content_version(knowledge_dir),
        knowledge_dir=knowledge_dir,
        sources=sources,
        registry=load_registry(knowledge_dir / SOURCES_DIR),
    )
