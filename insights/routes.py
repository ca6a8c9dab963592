"""The insights API of the console (``/api/operator/insights/*``): admins and editors read,
only admins mark. The summary is a **contract** (tools outside the code read it)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, StringConstraints

from core import audit
from core.clock import today
from core.deps import DatabaseDep, SettingsDep, service
from core.operators import Admin, InsightReader, client_ip
from insights import report
from insights.clusters import Clusterer
from insights.models import InsightMark

router = APIRouter(prefix="/api/operator/insights", tags=["insights"])

Days = Annotated[int, Query(ge=1, le=366, description="the last N days, today included")]
RetrieverDep = Annotated[Any, Depends(service("retriever"))]
_clusterer_service = service("insight_clusterer", optional=True)
CSV_COLUMNS = ("day", "channel", "topic", "outcome", "entry_id", "confidence", "feedback", "text")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Outcomes(BaseModel):
    answered: int
    referred: int
    fallback: int
    scam_warning: int
    guide: int


class Summary(BaseModel):
    """**Contract**: messages, outcomes and 没用 count of the last N days."""

    messages: int
    outcomes: Outcomes
    unhelpful: int


class Day(BaseModel):
    day: str
    by_channel: dict[str, int]
    outcomes: Outcomes


class Daily(BaseModel):
    days: list[Day]


class TopicRate(BaseModel):
    topic: str
    answers: int
    unhelpful: int
    rate: float


class EntryRate(BaseModel):
    entry_id: str
    title: str
    answers: int
    unhelpful: int
    rate: float


class Unhelpful(BaseModel):
    by_topic: list[TopicRate]
    by_entry: list[EntryRate]


class NearEntry(BaseModel):
    entry_id: str
    title: str


class QueueCluster(BaseModel):
    key: str
    size: int
    examples: list[str]
    outcome_counts: dict[str, int]
    nearest_entries: list[NearEntry]


class Queue(BaseModel):
    clusters: list[QueueCluster]


class MarkRequest(BaseModel):
    cluster_key: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8,64}$")]
    mark: Literal["new_entry", "answered_by", "out_of_scope"]
    entry_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,80}$")] | None = None


class MarkView(BaseModel):
    id: int
    cluster_key: str
    mark: str
    entry_id: str | None
    operator: str


@router.get("/summary", response_model=Summary)
def get_summary(
    _: InsightReader, database: DatabaseDep, settings: SettingsDep, days: Days = 7
) -> Any:
    """Messages, outcomes and 没用 of the last ``days`` days (contract)."""
    return report.summary(database, today(settings), days)


@router.get("/daily", response_model=Daily)
def get_daily(
    _: InsightReader, database: DatabaseDep, settings: SettingsDep, days: Days = 7
) -> Any:
    """Messages per day by channel, and outcomes per day; every day of the window."""
    return report.daily(database, today(settings), days)


def _title(retriever: Any, entry_id: str) -> str:
    doc = retriever.corpus.by_id.get(entry_id)
    return str(doc.title) if doc is not None else entry_id


@router.get("/unhelpful", response_model=Unhelpful)
def get_unhelpful(
    _: InsightReader,
    database: DatabaseDep,
    settings: SettingsDep,
    retriever: RetrieverDep,
    days: Days = 30,
    min_answers: Annotated[int, Query(ge=1, le=100000)] = 3,
) -> Any:
    """没用 rate of the answers by topic and by entry (entries with ``min_answers`` or more),
    worst first."""
    return report.unhelpful(
        database, today(settings), days, min_answers, lambda e: _title(retriever, e)
    )


def _nearest(retriever: Any, text: str) -> list[dict[str, str]]:
    result = retriever.search(text, top_k=6)
    entries = [h.document for h in result.hits if h.document.kind == "entry"][:3]
    return [{"entry_id": d.id, "title": d.title} for d in entries]


def clusterer_for(request: Request, retriever: Any, settings: SettingsDep) -> Clusterer:
    """The app's clusterer (with its embedding cache), or one over the retriever's model."""
    found = _clusterer_service(request)
    if isinstance(found, Clusterer):
        return found
    return Clusterer(retriever.embedder, settings.insights_cluster_similarity)


@router.get("/queue", response_model=Queue)
def get_queue(
    request: Request,
    _: InsightReader,
    database: DatabaseDep,
    settings: SettingsDep,
    retriever: RetrieverDep,
    days: Days = 7,
) -> Any:
    """Referrals and fallbacks clustered by meaning, largest first; marked ones left out."""
    clusterer = clusterer_for(request, retriever, settings)
    clusters = report.queue(database, today(settings), days, clusterer)
    return {
        "clusters": [
            {
                "key": c.key,
                "size": c.size,
                "examples": c.examples(),
                "outcome_counts": dict(c.outcomes),
                "nearest_entries": _nearest(retriever, c.leader),
            }
            for c in clusters
        ]
    }


@router.post("/marks", status_code=201, response_model=MarkView)
def post_mark(
    body: MarkRequest,
    request: Request,
    op: Admin,
    database: DatabaseDep,
    retriever: RetrieverDep,
) -> Any:
    """Mark a cluster (new entry needed, answered by an entry, out of scope); audited."""
    entry_id = body.entry_id if body.mark == "answered_by" else None
    if body.mark == "answered_by":
        doc = retriever.corpus.by_id.get(body.entry_id or "")
        if doc is None or doc.kind != "entry":
            raise HTTPException(
                422, detail="请填写知识库里已有的条目编号（answered_by 需要 entry_id）"
            )
    with database.session() as s:
        mark = InsightMark(
            cluster_key=body.cluster_key, mark=body.mark, entry_id=entry_id, operator=op.username
        )
        s.add(mark)
        audit.record(
            s,
            op.username,
            op.role,
            "insights_mark",
            body.cluster_key,
            {"mark": body.mark, "entry_id": entry_id},
            client_ip(request),
        )
        s.flush()
        return MarkView(
            id=mark.id,
            cluster_key=mark.cluster_key,
            mark=mark.mark,
            entry_id=entry_id,
            operator=op.username,
        )


def csv_cell(value: Any) -> str:
    """A cell no spreadsheet runs as a formula (``=``, ``+``, ``-``, ``@`` get a ``'``)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(rows: Iterator[list[Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@router.get("/export.csv", response_class=StreamingResponse)
def get_export(
    _: InsightReader, database: DatabaseDep, settings: SettingsDep, days: Days = 30
) -> StreamingResponse:
    """The log rows of the window as CSV (UTF-8 with BOM, so spreadsheets read Chinese)."""
    rows = list(report.export_rows(database, today(settings), days))
    body = ["\ufeff", *_csv(iter(rows))]
    return StreamingResponse(
        iter(body),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="question-log.csv"'},
    )
