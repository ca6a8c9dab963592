"""Retention of the question log: rows older than ``insights_retention_days`` are deleted.

The app purges on start-up and then once a day (:func:`purge_daily`, in its lifespan);
``python -m insights purge`` does the same from the command line.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from sqlalchemy import delete

from core.database import Database
from insights.models import QuestionLog

log = logging.getLogger(__name__)

DAY_S = 24 * 3600


def cutoff(today: dt.date, days: int) -> dt.date:
    """The oldest day kept: rows of ``today`` and the ``days - 1`` days before it stay."""
    return today - dt.timedelta(days=days - 1)


def purge(database: Database, today: dt.date, days: int) -> int:
    """Delete the rows older than ``days`` days; how many were deleted."""
    with database.session() as s:
        result = s.execute(delete(QuestionLog).where(QuestionLog.day < cutoff(today, days)))
        deleted = int(getattr(result, "rowcount", 0) or 0)
    if deleted:
        log.info("question log: %d rows older than %d days deleted", deleted, days)
    return deleted


async def purge_daily(
    database: Database,
    today: dt.date | None,
    days: int,
    stop: asyncio.Event,
    every_s: float = DAY_S,
) -> None:
    """Purge now and then every ``every_s`` seconds until ``stop`` is set (off the event
    loop; a failure is logged and tried again next time). ``today`` pins the date (tests);
    None reads the one clock each time."""
    from core.clock import today as clock_today

    while not stop.is_set():
        try:
            await asyncio.to_thread(purge, database, today or clock_today(), days)
        except Exception:
            log.exception("question log: purge failed; trying again in %.0f s", every_s)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)
