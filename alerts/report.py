"""What an alert officer sees about one alert: its reach before publishing, and how its
delivery went after (the console's delivery dashboard).

Everything here reads the outbox and subscription tables; nothing is written. The remaining
WeChat template-message quota comes through one port, :data:`RemainingQuota`
(``() -> int | None``; ``None`` means unknown), which the caller passes in.

The timeline has one cumulative series per channel and final status (delivered,
undeliverable, failed, cancelled) that occurs, timed by when each row settled
(``settled_at``; ``delivered_at`` for delivered rows settled before that column existed, so
older undelivered rows are counted but not on the timeline). The milestones are about
deliveries only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Integer, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from alerts.models import Alert, OutboxItem, OutboxStatus, Subscription
from alerts.outbox import FINAL
from core.clock import as_utc, utcnow

# The remaining WeChat template messages for today, or None when unknown.
RemainingQuota = Callable[[], int | None]

MILESTONES = (50, 90, 100)

# Timeline bucket sizes in seconds; the smallest that gives at most MAX_BUCKETS points.
BUCKETS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400)
MAX_BUCKETS = 120

ReasonCode = Literal["window", "user_gone", "partial", "no_sender", "bot", "other"]
_REASONS: tuple[tuple[ReasonCode, re.Pattern[str]], ...] = (
    ("window", re.compile(r"48-hour window|45015")),
    ("user_gone", re.compile(r"43004|40003|unsubscribed or unknown")),
    ("partial", re.compile(r"sent \d+ of \d+ parts")),
    ("no_sender", re.compile(r"no WeChat sender")),
    ("bot", re.compile(r"^bot: ")),
)


def unknown_quota() -> int | None:
    """The default :data:`RemainingQuota`: the quota is not known."""
    return None


class Reach(BaseModel):
    """Who an alert would reach if it were published now, by channel.

    ``wechat_in_window`` subscribers wrote within ``window_h`` hours and get a
    customer-service message; ``wechat_outside_window`` ones need a template message, which
    ``template_quota`` (None: unknown) may not cover today. ``short_today`` is how many of
    them the quota does not cover (None when the quota is unknown).
    """

    web: int
    wechat_in_window: int
    wechat_outside_window: int
    total: int
    window_h: float
    template_quota: int | None
    short_today: int | None
    warn: bool


class Reason(BaseModel):
    """How many rows ended with ``status`` for one reason (``text`` is the recorded one)."""

    status: OutboxStatus
    code: ReasonCode
    text: str
    count: int


class Retries(BaseModel):
    """Rows tried more than once, the attempts beyond the first, and rows waiting to retry."""

    retried: int
    extra_attempts: int
    waiting: int
    next_retry_at: str | None


class Milestone(BaseModel):
    """Time from publishing until ``share`` % of the recipients (``needed``) had it."""

    share: int
    needed: int
    seconds: float | None


class Series(BaseModel):
    """Cumulative count of one channel's rows in one final status at each time of the
    timeline."""

    channel: str
    status: OutboxStatus
    counts: list[int]


class Timeline(BaseModel):
    """``seconds`` after publishing, from 0 every ``bucket_s``; each series has one count per
    time: the rows that reached the status before it."""

    bucket_s: int
    seconds: list[int]
    series: list[Series]


class DeliveryReport(BaseModel):
    """The delivery dashboard of one alert."""

    alert_id: int
    public_code: str
    published_at: str | None
    total: int
    counts: dict[str, dict[str, int]]
    corrections: dict[str, int]
    reasons: list[Reason]
    retries: Retries
    milestones: list[Milestone]
    timeline: Timeline
    template_quota: int | None
    generated_at: str


def _iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value else None


def _audience(alert: Alert) -> ColumnElement[bool]:
    """Active subscriptions the alert goes to: the same rule as ``lifecycle.publish``."""
    where: list[ColumnElement[bool]] = [Subscription.active.is_(True)]
    if alert.districts:
        where.append(
            or_(Subscription.district.is_(None), Subscription.district.in_(alert.districts))
        )
    return and_(*where)


def reach(
    session: Session,
    alert: Alert,
    *,
    window_h: float,
    template_quota: int | None = None,
    now: datetime | None = None,
) -> Reach:
    """How many subscribers ``alert`` reaches now on each channel, and whether the WeChat
    template quota left today (``template_quota``; None: unknown) covers the rest.

    The window rule is the worker's (``alerts.subscriptions.within_window``): a WeChat
    subscriber is in the window when they wrote at most ``window_h`` hours ago.
    """
    since = (now or utcnow()) - timedelta(hours=window_h)
    in_window = and_(
        Subscription.last_inbound_at.is_not(None), Subscription.last_inbound_at >= since
    )
    row = session.execute(
        select(
            func.count().filter(Subscription.channel == "web"),
            func.count().filter(Subscription.channel == "wechat", in_window),
            func.count().filter(Subscription.channel == "wechat", ~in_window),
        ).where(_audience(alert))
    ).one()
    web, inside, outside = (int(n or 0) for n in row)
    short = None if template_quota is None else max(outside - max(template_quota, 0), 0)
    return Reach(
        web=web,
        wechat_in_window=inside,
        wechat_outside_window=outside,
        total=web + inside + outside,
        window_h=window_h,
        template_quota=template_quota,
        short_today=short,
        warn=outside > 0 and (short is None or short > 0),
    )


def classify(text: str | None) -> ReasonCode:
    """The kind of reason a recorded ``last_error`` gives."""
    for code, pattern in _REASONS:
        if text and pattern.search(text):
            return code
    return "other"


def _counts(session: Session, alert_id: int) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """Alert rows by channel and status; correction rows by status."""
    counts: dict[str, dict[str, int]] = {}
    corrections: dict[str, int] = {}
    for kind, channel, status, n in session.execute(
        select(OutboxItem.kind, OutboxItem.channel, OutboxItem.status, func.count())
        .where(OutboxItem.alert_id == alert_id)
        .group_by(OutboxItem.kind, OutboxItem.channel, OutboxItem.status)
    ):
        if kind == "alert":
            counts.setdefault(channel, {})[status] = int(n)
        else:
            corrections[status] = corrections.get(status, 0) + int(n)
    return counts, corrections


def _reasons(session: Session, alert_id: int) -> list[Reason]:
    """Why alert rows ended undeliverable or failed, most frequent first."""
    rows = session.execute(
        select(OutboxItem.status, OutboxItem.last_error, func.count())
        .where(
            OutboxItem.alert_id == alert_id,
            OutboxItem.kind == "alert",
            OutboxItem.status.in_((OutboxStatus.UNDELIVERABLE, OutboxStatus.FAILED)),
        )
        .group_by(OutboxItem.status, OutboxItem.last_error)
    )
    reasons = [
        Reason(status=OutboxStatus(status), code=classify(text), text=text or "", count=int(n))
        for status, text, n in rows
    ]
    return sorted(reasons, key=lambda r: (-r.count, r.status, r.text))


def _retries(session: Session, alert_id: int) -> Retries:
    """Rows of the alert (and its corrections) that needed more than one attempt."""
    again = OutboxItem.attempts > 1
    waiting = and_(OutboxItem.status == OutboxStatus.PENDING, OutboxItem.attempts > 0)
    retried, extra, waits, next_at = session.execute(
        select(
            func.count().filter(again),
            func.coalesce(func.sum(case((again, OutboxItem.attempts - 1), else_=0)), 0),
            func.count().filter(waiting),
            func.min(case((waiting, OutboxItem.next_attempt_at))),
        ).where(OutboxItem.alert_id == alert_id)
    ).one()
    if isinstance(next_at, str):  # SQLite returns MIN() of a CASE as text
        next_at = datetime.fromisoformat(next_at)
    return Retries(
        retried=int(retried or 0),
        extra_attempts=int(extra or 0),
        waiting=int(waits or 0),
        next_retry_at=_iso(next_at),
    )


def _delivered(alert_id: int) -> Any:
    return and_(
        OutboxItem.alert_id == alert_id,
        OutboxItem.kind == "alert",
        OutboxItem.status == OutboxStatus.DELIVERED,
        OutboxItem.delivered_at.is_not(None),
    )


def _milestones(
    session: Session, alert_id: int, total: int, published: datetime | None
) -> list[Milestone]:
    """Seconds from publishing to the delivery that reached 50, 90 and 100 % of ``total``
    (one sort of the deliveries: their rank by time, kept at the ranks needed)."""
    needed = {share: math.ceil(total * share / 100) for share in MILESTONES}
    at: dict[int, datetime] = {}
    if published is not None and total:
        ranked = (
            select(
                OutboxItem.delivered_at.label("at"),
                func.row_number()
                .over(order_by=(OutboxItem.delivered_at, OutboxItem.id))
                .label("rank"),
            )
            .where(_delivered(alert_id))
            .subquery()
        )
        for rank, when in session.execute(
            select(ranked.c.rank, ranked.c.at).where(ranked.c.rank.in_(set(needed.values())))
        ):
            at[int(rank)] = as_utc(when)  # type: ignore[assignment]
    out = []
    for share, n in needed.items():
        when = at.get(n)
        seconds = None
        if when is not None and published is not None:
            seconds = max((when - published).total_seconds(), 0.0)
        out.append(Milestone(share=share, needed=n, seconds=seconds))
    return out


def _epoch(session: Session, column: Any) -> Any:
    """``column`` as whole seconds since 1970 (UTC) in this database's SQL."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%s", column), Integer)
    return cast(func.floor(func.extract("epoch", column)), Integer)


def bucket_size(span_s: float) -> int:
    """The smallest of :data:`BUCKETS` that covers ``span_s`` in at most MAX_BUCKETS."""
    for size in BUCKETS:
        if span_s < size * MAX_BUCKETS:
            return size
    return BUCKETS[-1]


def _settled_at() -> Any:
    """When a row reached its final status; ``delivered_at`` for rows settled before
    ``settled_at`` existed (the migration copies it; this covers rows of older code)."""
    return func.coalesce(OutboxItem.settled_at, OutboxItem.delivered_at)


def _settled(alert_id: int) -> Any:
    """Alert rows of ``alert_id`` in a final status with a known time."""
    return and_(
        OutboxItem.alert_id == alert_id,
        OutboxItem.kind == "alert",
        OutboxItem.status.in_(FINAL),
        _settled_at().is_not(None),
    )


def _timeline(session: Session, alert_id: int, published: datetime | None) -> Timeline:
    """Cumulative rows per channel and final status, in buckets from the publishing time."""
    last = session.scalar(select(func.max(_settled_at())).where(_settled(alert_id)))
    if isinstance(last, str):  # SQLite may return MAX() of COALESCE() as text
        last = datetime.fromisoformat(last)
    last = as_utc(last)
    if published is None or last is None:
        return Timeline(bucket_s=1, seconds=[], series=[])
    size = bucket_size(max((last - published).total_seconds(), 0.0))
    offset = (_epoch(session, _settled_at()) - int(published.timestamp())) / size
    index = cast(func.floor(offset), Integer)
    per: dict[tuple[str, OutboxStatus], dict[int, int]] = {}
    for channel, status, i, n in session.execute(
        select(OutboxItem.channel, OutboxItem.status, index, func.count())
        .where(_settled(alert_id))
        .group_by(OutboxItem.channel, OutboxItem.status, index)
    ):
        per.setdefault((channel, OutboxStatus(status)), {})[max(int(i), 0)] = int(n)
    buckets = max((i for by in per.values() for i in by), default=0) + 1
    series = []
    for channel, status in sorted(per, key=lambda k: (k[0], FINAL.index(k[1]))):
        running, counts = 0, [0]
        for i in range(buckets):
            running += per[channel, status].get(i, 0)
            counts.append(running)
        series.append(Series(channel=channel, status=status, counts=counts))
    return Timeline(bucket_s=size, seconds=[i * size for i in range(buckets + 1)], series=series)


def delivery_report(
    session: Session, alert: Alert, *, template_quota: int | None = None
) -> DeliveryReport:
    """The dashboard of ``alert``: counts, reasons, retries, milestones and the timeline."""
    counts, corrections = _counts(session, alert.id)
    total = sum(n for by in counts.values() for n in by.values())
    published = as_utc(alert.published_at)
    return DeliveryReport(
        alert_id=alert.id,
        public_code=alert.public_code,
        published_at=_iso(published),
        total=total,
        counts=counts,
        corrections=corrections,
        reasons=_reasons(session, alert.id),
        retries=_retries(session, alert.id),
        milestones=_milestones(session, alert.id, total, published),
        timeline=_timeline(session, alert.id, published),
        template_quota=template_quota,
        generated_at=utcnow().isoformat(),
    )
