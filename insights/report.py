"""The numbers of the insights page, read from the question log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import case, func, select

from core.database import Database
from insights.clusters import Cluster, Clusterer, leaders_of
from insights.models import InsightMark, QuestionLog
from insights.outcomes import COUNTED

UNANSWERED = ("referred", "fallback")
MAX_QUEUE_ROWS = 5000  # the newest unanswered rows clustered at most


def first_day(today: dt.date, days: int) -> dt.date:
    """The first day of the last ``days`` days, today included."""
    return today - dt.timedelta(days=days - 1)


def _zeros() -> dict[str, int]:
    return dict.fromkeys(COUNTED, 0)


def summary(database: Database, today: dt.date, days: int) -> dict[str, Any]:
    """``{"messages", "outcomes": {5 kinds}, "unhelpful"}`` of the last ``days`` days."""
    since = first_day(today, days)
    with database.session() as s:
        by_outcome = s.execute(
            select(QuestionLog.outcome, func.count())
            .where(QuestionLog.day >= since)
            .group_by(QuestionLog.outcome)
        ).all()
        unhelpful = s.scalar(
            select(func.count())
            .select_from(QuestionLog)
            .where(QuestionLog.day >= since, QuestionLog.feedback == "unhelpful")
        )
    outcomes = _zeros()
    for outcome, n in by_outcome:
        if outcome in outcomes:
            outcomes[outcome] = int(n)
    return {
        "messages": sum(int(n) for _, n in by_outcome),
        "outcomes": outcomes,
        "unhelpful": int(unhelpful or 0),
    }


def daily(database: Database, today: dt.date, days: int) -> dict[str, Any]:
    """Every day of the window (zeros included): messages by channel, outcomes."""
    since = first_day(today, days)
    with database.session() as s:
        rows = s.execute(
            select(QuestionLog.day, QuestionLog.channel, QuestionLog.outcome, func.count())
            .where(QuestionLog.day >= since)
            .group_by(QuestionLog.day, QuestionLog.channel, QuestionLog.outcome)
        ).all()
    table = {
        since + dt.timedelta(days=i): {"by_channel": {"web": 0, "wechat": 0}, "outcomes": _zeros()}
        for i in range(days)
    }
    for day, channel, outcome, n in rows:
        entry = table.get(day)
        if entry is None:
            continue
        entry["by_channel"][channel] = entry["by_channel"].get(channel, 0) + int(n)
        if outcome in entry["outcomes"]:
            entry["outcomes"][outcome] += int(n)
    return {"days": [{"day": d.isoformat(), **v} for d, v in sorted(table.items())]}


def _rated(rows: list[tuple[str | None, int, int]], key: str) -> list[dict[str, Any]]:
    out = [
        {key: name, "answers": int(n), "unhelpful": int(bad), "rate": round(bad / n, 4)}
        for name, n, bad in rows
        if name and n
    ]
    return sorted(out, key=lambda r: (-r["rate"], -r["unhelpful"], r[key]))


def unhelpful(
    database: Database,
    today: dt.date,
    days: int,
    min_answers: int,
    title_of: Callable[[str], str],
) -> dict[str, Any]:
    """没用 rate of the answers by topic and by entry, worst first."""
    since = first_day(today, days)
    bad = func.sum(case((QuestionLog.feedback == "unhelpful", 1), else_=0))
    answered = (QuestionLog.day >= since, QuestionLog.outcome == "answered")
    with database.session() as s:
        topics = s.execute(
            select(QuestionLog.topic, func.count(), bad)
            .where(*answered)
            .group_by(QuestionLog.topic)
        ).all()
        entries = s.execute(
            select(QuestionLog.entry_id, func.count(), bad)
            .where(*answered)
            .group_by(QuestionLog.entry_id)
            .having(func.count() >= min_answers)
        ).all()
    by_entry = _rated([(e, n, b or 0) for e, n, b in entries], "entry_id")
    for row in by_entry:
        row["title"] = title_of(row["entry_id"])
    return {
        "by_topic": _rated([(t, n, b or 0) for t, n, b in topics], "topic"),
        "by_entry": by_entry,
    }


def export_rows(database: Database, today: dt.date, days: int) -> Iterator[list[Any]]:
    """The log rows of the window, oldest first, as CSV cells (no conversation key)."""
    since = first_day(today, days)
    with database.session() as s:
        query = (
            select(
                QuestionLog.day,
                QuestionLog.channel,
                QuestionLog.topic,
                QuestionLog.outcome,
                QuestionLog.entry_id,
                QuestionLog.confidence,
                QuestionLog.feedback,
                QuestionLog.text,
            )
            .where(QuestionLog.day >= since)
            .order_by(QuestionLog.id)
        )
        for row in s.execute(query).yield_per(1000):
            yield list(row)


def queue(database: Database, today: dt.date, days: int, clusterer: Clusterer) -> list[Cluster]:
    """Unanswered clusters of the window, largest first, marked ones left out."""
    since = first_day(today, days)
    unanswered = (QuestionLog.outcome.in_(UNANSWERED), ~QuestionLog.text.startswith("/"))
    with database.session() as s:
        newest = s.execute(
            select(QuestionLog.text, QuestionLog.outcome)
            .where(QuestionLog.day >= since, *unanswered)
            .order_by(QuestionLog.id.desc())
            .limit(MAX_QUEUE_ROWS)
        ).all()
        marked = set(s.scalars(select(InsightMark.cluster_key).distinct()))
        logged: Iterable[str] = (
            s.scalars(select(QuestionLog.text).where(*unanswered).distinct()) if marked else []
        )
        resolved = leaders_of(marked, logged)
    rows = [(t, o) for t, o in reversed(newest)]
    clusters = clusterer.cluster(rows, resolved_leaders=resolved)
    return [c for c in clusters if not c.resolved and c.key not in marked]
