"""Console search: what an operator reads to a caller, with clause, departments and sources."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, Field

from knowledge.corpus import Corpus
from knowledge.documents import Document


class RetrieverLike(Protocol):
    corpus: Corpus

    def search(self, query: str, top_k: int = 5, **kwargs: Any) -> Any: ...


class ClauseView(BaseModel):
    id: str = Field(max_length=16)
    title: str
    text: str


class SourceView(BaseModel):
    """A source as operators see it: the full source line, its date, and how far it reaches."""

    id: str = Field(max_length=8)
    title: str
    date: str | None = None
    scope: str | None = None  # yangquan | shanxi | national | elsewhere
    plain: str | None = None  # what residents see


class LookupHit(BaseModel):
    """One result: the script to read out, and what it rests on."""

    id: str
    kind: str
    title: str
    script: str
    clauses: list[ClauseView]
    departments: list[str]
    sources: list[SourceView]
    score: float


class LookupResponse(BaseModel):
    query: str
    normalized_query: str
    confident: bool
    took_ms: float
    hits: list[LookupHit]


def script_of(doc: Document) -> str:
    """The plain-language text an operator reads to the caller."""
    parts = [doc.full_text()]
    parts.extend(f"{n}. {step}" for n, step in enumerate(doc.steps, start=1))
    return "\n".join(p for p in parts if p)


def hit_view(corpus: Corpus, doc: Document, score: float) -> LookupHit:
    clause_ids = list(doc.clause_ids) or ([doc.id] if doc.kind == "clause" else [])
    clauses = [corpus.by_id[c] for c in clause_ids if c in corpus.by_id]
    departments: list[str] = []
    for clause in clauses:
        for dept in clause.departments:
            if dept not in departments:
                departments.append(dept)
    sources = []
    for sid in doc.sources:
        try:
            title, when = corpus.source_info(sid)
        except KeyError:
            continue
        record = corpus.source_record(sid)
        sources.append(
            SourceView(id=sid, title=title, date=when, scope=record.scope, plain=record.plain)
        )
    return LookupHit(
        id=doc.id,
        kind=doc.kind,
        title=doc.title,
        script=script_of(doc),
        clauses=[ClauseView(id=c.id, title=c.title, text=c.text) for c in clauses],
        departments=departments,
        sources=sources,
        score=round(score, 4),
    )


def lookup(retriever: RetrieverLike, query: str, top_k: int = 8) -> LookupResponse:
    """Search the knowledge base the way the bot does and shape it for the console."""
    import time

    started = time.perf_counter()
    result = retriever.search(query, top_k=top_k)
    hits = [hit_view(retriever.corpus, h.document, h.score) for h in result.hits]
    return LookupResponse(
        query=query,
        normalized_query=result.normalized_query,
        confident=bool(result.confident),
        took_ms=round((time.perf_counter() - started) * 1000, 1),
        hits=hits,
    )
