"""Whom a fraud alert can reach on WeChat today, and the daily quota of template messages.

Subscribers who wrote within the last 48 hours get a customer-service message; the others
get a template message, which WeChat limits per day (``45009`` once the quota is spent).
This module keeps that quota in the database (``wechat_template_quota``, one row per quota
day) so every worker process and the console see the same numbers:

* :func:`remaining_template_quota` -- what is left today, and whether sends are paused;
* :func:`wechat_reach` -- for one alert: in the window, outside it (template), not
  deliverable, and how many of those outside cannot be reached before the quota resets;
* :func:`record_template_sent`, :func:`pause_templates`, :func:`defer_until` -- used by the
  delivery worker (``alerts.worker``).

A quota day starts at ``wechat_template.quota_reset`` (Asia/Shanghai). The counter holds
the template messages this app sent that day; WeChat's 45009 is the authority and sets it
to spent until the next reset, whatever the counter says.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Date, DateTime, Integer, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from alerts.models import Alert, OutboxItem, OutboxStatus, Subscription
from core.clock import TIMEZONE, utcnow
from core.database import Database
from core.orm import Base
from core.settings import PLACEHOLDER, Settings, WeChatTemplateSettings

log = logging.getLogger(__name__)

QUOTA_REACHED = 45009  # WeChat: the daily quota of this API is spent
INVALID_TEMPLATE = 40037  # WeChat does not know the template id
PAUSED = "paused"  # how a paused row's reason starts (``alert_outbox.last_error``)


class TemplateQuotaDay(Base):
    """Template messages sent on one quota day, and whether WeChat said the quota is spent."""

    __tablename__ = "wechat_template_quota"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    used: Mapped[int] = mapped_column(Integer, default=0)
    exhausted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


@dataclass(frozen=True)
class TemplateQuota:
    """The template quota of the current quota day.

    Attributes:
        day: the quota day (its date in Asia/Shanghai, counted from the reset time).
        daily_quota: the setting ``wechat_template.daily_quota``.
        used: template messages sent this quota day.
        remaining: what may still be sent before ``resets_at`` (0 once WeChat said 45009).
        paused: WeChat answered 45009; template sends wait until ``resets_at``.
        resets_at: the next reset, in UTC.
    """

    day: dt.date
    daily_quota: int
    used: int
    remaining: int
    paused: bool
    resets_at: dt.datetime


@dataclass(frozen=True)
class WeChatReach:
    """How one alert reaches its WeChat subscribers (active ones in its districts).

    Attributes:
        in_window: wrote within the window: a customer-service message.
        outside_window: a template message (0 when template messages are off).
        not_deliverable: outside the window while template messages are off.
        beyond_quota_today: of ``outside_window``, how many the remaining quota cannot
            reach before the next reset (they get it after the reset).
        quota: the template quota now.
    """

    in_window: int
    outside_window: int
    not_deliverable: int
    beyond_quota_today: int
    quota: TemplateQuota

    @property
    def reaches_everyone_today(self) -> bool:
        """Whether every WeChat subscriber can get the alert before the quota resets."""
        return self.not_deliverable == 0 and self.beyond_quota_today == 0


def templates_enabled(settings: Settings) -> bool:
    """Whether template messages are configured (a template id and the account's secret)."""
    return bool(settings.wechat_template.id) and settings.wechat_app_secret != PLACEHOLDER


def quota_day(reset: dt.time, now: dt.datetime | None = None) -> dt.date:
    """The quota day ``now`` falls in: days start at ``reset``, Asia/Shanghai time."""
    local = (now or utcnow()).astimezone(TIMEZONE)
    start = dt.datetime.combine(local.date(), reset, tzinfo=TIMEZONE)
    return local.date() if local >= start else local.date() - dt.timedelta(days=1)


def next_reset(reset: dt.time, now: dt.datetime | None = None) -> dt.datetime:
    """When the quota day of ``now`` ends (UTC)."""
    day = quota_day(reset, now) + dt.timedelta(days=1)
    return dt.datetime.combine(day, reset, tzinfo=TIMEZONE).astimezone(dt.timezone.utc)


def _quota(database: Database, settings: WeChatTemplateSettings, now: dt.datetime) -> TemplateQuota:
    day = quota_day(settings.quota_reset, now)
    with database.session() as s:
        row = s.get(TemplateQuotaDay, day)
        used = row.used if row else 0
        paused = bool(row and row.exhausted_at)
    remaining = 0 if paused else max(settings.daily_quota - used, 0)
    return TemplateQuota(
        day, settings.daily_quota, used, remaining, paused, next_reset(settings.quota_reset, now)
    )


def remaining_template_quota(
    database: Database, settings: Settings, now: dt.datetime | None = None
) -> TemplateQuota:
    """The template quota of the current quota day (for the console and the worker)."""
    return _quota(database, settings.wechat_template, now or utcnow())


def _bump(database: Database, day: dt.date, **values: object) -> None:
    """Apply ``values`` to the quota row of ``day``, creating it first if needed."""
    for _ in range(2):
        with database.session() as s:
            result = s.execute(
                update(TemplateQuotaDay).where(TemplateQuotaDay.day == day).values(**values)
            )
            if result.rowcount:  # type: ignore[attr-defined]
                return
        try:
            with database.session() as s:
                s.add(TemplateQuotaDay(day=day, used=0, updated_at=utcnow()))
        except IntegrityError:
            pass  # another worker created it: update it now
    raise RuntimeError(f"could not update the template quota of {day}")


def record_template_sent(
    database: Database, settings: WeChatTemplateSettings, now: dt.datetime | None = None
) -> None:
    """Count one template message sent."""
    now = now or utcnow()
    day = quota_day(settings.quota_reset, now)
    _bump(database, day, used=TemplateQuotaDay.used + 1, updated_at=now)


def pause_templates(
    database: Database, settings: WeChatTemplateSettings, now: dt.datetime | None = None
) -> dt.datetime:
    """WeChat said 45009: template sends pause until the next reset, which is returned."""
    now = now or utcnow()
    day = quota_day(settings.quota_reset, now)
    with database.session() as s:
        row = s.get(TemplateQuotaDay, day)
        already = row is not None and row.exhausted_at is not None
    if not already:
        _bump(database, day, exhausted_at=now, updated_at=now)
    return next_reset(settings.quota_reset, now)


def paused_until(
    database: Database, settings: WeChatTemplateSettings, now: dt.datetime | None = None
) -> dt.datetime | None:
    """The next reset while template sends are paused, else ``None``."""
    quota = _quota(database, settings, now or utcnow())
    return quota.resets_at if quota.paused else None


def pause_reason(resumes_at: dt.datetime) -> str:
    """What a paused outbox row records as its reason."""
    local = resumes_at.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")
    return f"{PAUSED}: WeChat {QUOTA_REACHED} template quota reached; resumes {local} Asia/Shanghai"


def defer_until(database: Database, item: OutboxItem, when: dt.datetime, reason: str) -> None:
    """Put a claimed row back to ``pending`` until ``when``, without spending an attempt."""
    with database.session() as s:
        s.execute(
            update(OutboxItem)
            .where(OutboxItem.id == item.id)
            .values(
                status=OutboxStatus.PENDING,
                attempts=max(item.attempts - 1, 0),
                next_attempt_at=when,
                lease_until=None,
                last_error=reason[:300],
            )
        )


def wechat_reach(
    database: Database, settings: Settings, alert_id: int, now: dt.datetime | None = None
) -> WeChatReach:
    """How alert ``alert_id`` reaches its WeChat subscribers now (before or after publishing).

    Raises:
        LookupError: there is no such alert.
    """
    now = now or utcnow()
    since = now - dt.timedelta(hours=settings.alerts.wechat_window_h)
    with database.session() as s:
        alert = s.get(Alert, alert_id)
        if alert is None:
            raise LookupError(f"no alert {alert_id}")
        query = select(Subscription.last_inbound_at >= since, func.count()).where(
            Subscription.channel == "wechat", Subscription.active.is_(True)
        )
        if alert.districts:
            query = query.where(
                or_(Subscription.district.is_(None), Subscription.district.in_(alert.districts))
            )
        counts = {True: 0, False: 0}  # NULL (never wrote) and older both count as outside
        for recent, n in s.execute(query.group_by(Subscription.last_inbound_at >= since)):
            counts[bool(recent)] += int(n)
    inside, outside = counts[True], counts[False]
    quota = _quota(database, settings.wechat_template, now)
    if not templates_enabled(settings):
        return WeChatReach(inside, 0, outside, 0, quota)
    return WeChatReach(inside, outside, 0, max(outside - quota.remaining, 0), quota)


class TemplateSender(Protocol):
    """Sends an alert as a template message (``channels.wechat.templates.AlertTemplates``).

    Contract: returns what was sent (stored in the receipt); a failure raises an exception
    whose ``errcode`` attribute is WeChat's code (45009 quota spent, 43004 unsubscribed,
    40037 unknown template id, 0 or none for transport failures).
    """

    async def send_alert(
        self, openid: str, *, kind: str, code: str, title: str, body: str
    ) -> dict[str, object]: ...


class TemplatesPaused(Exception):
    """WeChat's daily template quota is spent; template sends wait until ``resumes_at``."""

    def __init__(self, resumes_at: dt.datetime) -> None:
        super().__init__(pause_reason(resumes_at))
        self.resumes_at = resumes_at


@dataclass(frozen=True)
class TemplateRoute:
    """Template messages for the delivery worker: the sender, its settings and the quota."""

    sender: TemplateSender
    settings: WeChatTemplateSettings
    database: Database

    async def paused_until(self) -> dt.datetime | None:
        """The next reset while template sends are paused, else ``None``."""
        return await asyncio.to_thread(paused_until, self.database, self.settings)

    async def send(
        self, openid: str, *, kind: str, code: str, title: str, body: str
    ) -> dict[str, object]:
        """Send one template message and count it.

        Raises:
            TemplatesPaused: WeChat answered 45009; sends are paused until the reset.
            Exception: any other failure of the sender, unchanged (``errcode`` attribute).
        """
        try:
            sent = await self.sender.send_alert(
                openid, kind=kind, code=code, title=title, body=body
            )
        except Exception as exc:
            errcode = int(getattr(exc, "errcode", 0) or 0)
            if errcode == QUOTA_REACHED:
                resumes = await asyncio.to_thread(pause_templates, self.database, self.settings)
                log.warning("WeChat template quota reached: paused until %s", resumes)
                raise TemplatesPaused(resumes) from exc
            if errcode == INVALID_TEMPLATE:
                log.error("WeChat rejects the template id (40037): check YINFA_WECHAT_TEMPLATE_ID")
            raise
        await asyncio.to_thread(record_template_sent, self.database, self.settings)
        return sent
