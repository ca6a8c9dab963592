"""The one clock of the assistant: today's date in Asia/Shanghai, or ``YINFA_TODAY``.

Dated rules (``valid_from``/``valid_until`` of the knowledge entries) are judged against
:func:`today`. ``YINFA_TODAY`` (an ISO date, setting ``today``) is a **contract**: tests and
tools outside the code set it to see the answers of another day.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from core.settings import Settings

TIMEZONE = ZoneInfo("Asia/Shanghai")


def utcnow() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.timezone.utc)


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """``value`` as an aware UTC datetime (SQLite hands back naive ones)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def today(settings: Settings | None = None) -> dt.date:
    """``settings.today`` when set (``YINFA_TODAY``), else the date in Asia/Shanghai."""
    if settings is None:
        from core.settings import get_settings

        settings = get_settings()
    if settings.today is not None:
        return settings.today
    return dt.datetime.now(TIMEZONE).date()
