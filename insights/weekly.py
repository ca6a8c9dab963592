"""The weekly summary an admin prints or saves as PDF (``/operator/insights/weekly``, data from
``GET /api/operator/insights/weekly?end=YYYY-MM-DD``).

A week is the seven days (Asia/Shanghai) ending on ``end`` (default: today, ``core.clock``).
It says how many messages came, the answer rate (answered ÷ (answered + referred +
fallback): the messages that needed the knowledge base), the 没用 rate (没用 clicks ÷
answered), the topics asked most, the unanswered queue, the entries added that week and the
fraud alerts published that week with whom they reached.

New entries: an entry may carry ``added: YYYY-MM-DD`` (knowledge/SCHEMA.md); the summary lists
the entries whose date falls in the week. Entries written before the field existed have none
and are never counted as new (git history is not available to the running app).

Alerts come through the port ``core.ports.AlertsSent`` (the composition root binds
``alerts.sent.sent_between``), since features do not import each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import TIMEZONE, today, utcnow
from core.deps import DatabaseDep, SettingsDep, service
from core.operators import InsightReader
from core.ports import AlertsSent, SentAlert
from insights.models import QuestionLog
from insights.outcomes import COUNTED

WEEK_DAYS = 7
TOP_TOPICS = 8
# The outcomes of messages that needed the knowledge base (the answer rate's whole).
NEEDED_KNOWLEDGE = ("answered", "referred", "fallback")


class Week(BaseModel):
    """Seven days ending on ``end`` (both included), and their bounds as UTC instants."""

    start: dt.date
    end: dt.date
    since: dt.datetime
    until: dt.datetime

    @classmethod
    def ending(cls, end: dt.date) -> Week:
        start = end - dt.timedelta(days=WEEK_DAYS - 1)
        midnight = dt.time(0, tzinfo=TIMEZONE)
        return cls(
            start=start,
            end=end,
            since=dt.datetime.combine(start, midnight).astimezone(dt.timezone.utc),
            until=dt.datetime.combine(end + dt.timedelta(days=1), midnight).astimezone(
                dt.timezone.utc
            ),
        )

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(WEEK_DAYS)]


class NewEntry(BaseModel):
    entry_id: str
    title: str
    topic: str | None
    added: dt.date


class ChannelReach(BaseModel):
    recipients: int
    delivered: int


class AlertLine(BaseModel):
    """One alert published in the week: subscribers it was owed to and reached, per channel."""

    public_code: str
    title: str
    published_at: str | None
    status: str
    recipients: int
    delivered: int
    by_channel: dict[str, ChannelReach]


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def new_entries(documents: Iterable[Any], week: Week) -> list[NewEntry]:
    """Entries whose ``added`` date falls in the week, newest first."""
    found = []
    for doc in documents:
        added = _as_date((getattr(doc, "meta", None) or {}).get("added"))
        if getattr(doc, "kind", "") == "entry" and added and week.start <= added <= week.end:
            found.append(NewEntry(entry_id=doc.id, title=doc.title, topic=doc.topic, added=added))
    return sorted(found, key=lambda e: (e.added, e.entry_id), reverse=True)


def alert_lines(sent: Iterable[SentAlert]) -> list[AlertLine]:
    """Each alert's reach: every outbox row is a recipient, delivered ones reached them."""
    lines = []
    for a in sent:
        by = {
            channel: ChannelReach(
                recipients=sum(statuses.values()), delivered=statuses.get("delivered", 0)
            )
            for channel, statuses in sorted(a.reach.items())
        }
        lines.append(
            AlertLine(
                public_code=a.public_code,
                title=a.title,
                published_at=a.published_at.isoformat() if a.published_at else None,
                status=a.status,
                recipients=sum(c.recipients for c in by.values()),
                delivered=sum(c.delivered for c in by.values()),
                by_channel=by,
            )
        )
    return lines


class DayLine(BaseModel):
    day: dt.date
    messages: int
    answered: int
    answer_rate: float | None


class TopicLine(BaseModel):
    topic: str | None
    messages: int
    answered: int
    unhelpful: int


class WeeklySummary(BaseModel):
    """The weekly summary (``answer_rate`` and ``unhelpful_rate`` are None without answers)."""

    start: dt.date
    end: dt.date
    messages: int
    outcomes: dict[str, int]
    answer_rate: float | None
    unhelpful: int
    unhelpful_rate: float | None
    days: list[DayLine]
    top_topics: list[TopicLine]
    unanswered: int  # referred or fallback: the queue's questions of the week
    new_entries: list[NewEntry]
    alerts: list[AlertLine]
    generated_at: str


# --- the question log -----------------------------------------------------------------


def _count_if(*conditions: Any) -> Any:
    return func.count().filter(*conditions)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _day_lines(session: Session, week: Week) -> list[DayLine]:
    in_week = QuestionLog.day.between(week.start, week.end)
    rows = session.execute(
        select(
            QuestionLog.day,
            func.count(),
            _count_if(QuestionLog.outcome == "answered"),
            _count_if(QuestionLog.outcome.in_(NEEDED_KNOWLEDGE)),
        )
        .where(in_week)
        .group_by(QuestionLog.day)
    ).all()
    by_day = {_as_date(day): (int(n), int(a), int(k)) for day, n, a, k in rows}
    lines = []
    for day in week.days():
        n, answered, needed = by_day.get(day, (0, 0, 0))
        lines.append(
            DayLine(day=day, messages=n, answered=answered, answer_rate=_rate(answered, needed))
        )
    return lines


def _top_topics(session: Session, week: Week) -> list[TopicLine]:
    count = func.count()
    rows = session.execute(
        select(
            QuestionLog.topic,
            count,
            _count_if(QuestionLog.outcome == "answered"),
            _count_if(QuestionLog.feedback == "unhelpful"),
        )
        .where(QuestionLog.day.between(week.start, week.end), QuestionLog.topic.is_not(None))
        .group_by(QuestionLog.topic)
        .order_by(count.desc(), QuestionLog.topic)
        .limit(TOP_TOPICS)
    ).all()
    return [
        TopicLine(topic=t, messages=int(n), answered=int(a), unhelpful=int(u))
        for t, n, a, u in rows
    ]


def summarize(
    session: Session, week: Week, documents: Iterable[Any], sent: Iterable[SentAlert]
) -> WeeklySummary:
    """The summary of ``week`` from the question log, the entries and the alerts sent."""
    in_week = QuestionLog.day.between(week.start, week.end)
    outcomes: dict[str, int] = {str(kind): 0 for kind in COUNTED}
    for kind, n in session.execute(
        select(QuestionLog.outcome, func.count()).where(in_week).group_by(QuestionLog.outcome)
    ).all():
        if kind in outcomes:
            outcomes[kind] = int(n)
    unhelpful, unhelpful_answers = session.execute(
        select(
            _count_if(QuestionLog.feedback == "unhelpful"),
            _count_if(QuestionLog.feedback == "unhelpful", QuestionLog.outcome == "answered"),
        ).where(in_week)
    ).one()
    days = _day_lines(session, week)
    answered = outcomes["answered"]
    needed = sum(outcomes[k] for k in NEEDED_KNOWLEDGE)
    return WeeklySummary(
        start=week.start,
        end=week.end,
        messages=sum(d.messages for d in days),
        outcomes=outcomes,
        answer_rate=_rate(answered, needed),
        unhelpful=int(unhelpful),
        unhelpful_rate=_rate(int(unhelpful_answers), answered),
        days=days,
        top_topics=_top_topics(session, week),
        unanswered=outcomes["referred"] + outcomes["fallback"],
        new_entries=new_entries(documents, week),
        alerts=alert_lines(sent),
        generated_at=utcnow().isoformat(),
    )


# --- route ----------------------------------------------------------------------------

router = APIRouter(prefix="/api/operator/insights", tags=["insights"])
AlertsSentDep = Annotated[AlertsSent, Depends(service("alerts_sent"))]
Documents = Annotated[Any, Depends(service("retriever"))]


@router.get("/weekly", response_model=WeeklySummary)
def weekly(
    op: InsightReader,
    database: DatabaseDep,
    settings: SettingsDep,
    retriever: Documents,
    alerts_sent: AlertsSentDep,
    end: Annotated[
        dt.date | None, Query(description="last day of the week (default: today)")
    ] = None,
) -> WeeklySummary:
    """The weekly summary for the seven days ending on ``end`` (admins and editors)."""
    week = Week.ending(end or today(settings))
    sent = alerts_sent(week.since, week.until)
    with database.session() as session:
        return summarize(session, week, retriever.documents, sent)
