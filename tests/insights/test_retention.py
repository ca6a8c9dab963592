"""Retention: rows older than ``insights_retention_days`` are deleted, newer ones stay."""

from __future__ import annotations

import asyncio
import datetime as dt

from insights.retention import purge, purge_daily
from tests.insights.support import DAY, add_rows, log_rows


def _days(database) -> list[dt.date]:  # type: ignore[no-untyped-def]
    return sorted(r.day for r in log_rows(database))


def test_purge_deletes_old_rows_and_keeps_new_ones(database) -> None:  # type: ignore[no-untyped-def]
    ages = [0, 1, 179, 180, 181, 400]
    add_rows(database, *({"day": DAY - dt.timedelta(days=a)} for a in ages))
    assert purge(database, DAY, 180) == 3
    assert _days(database) == sorted(DAY - dt.timedelta(days=a) for a in (0, 1, 179))
    assert purge(database, DAY, 180) == 0


async def test_the_app_purges_on_start_and_then_on_schedule(database) -> None:  # type: ignore[no-untyped-def]
    add_rows(database, {"day": DAY - dt.timedelta(days=10)}, {"day": DAY})
    stop = asyncio.Event()
    task = asyncio.create_task(purge_daily(database, DAY, 7, stop, every_s=0.05))
    for _ in range(100):
        if _days(database) == [DAY]:
            break
        await asyncio.sleep(0.02)
    assert _days(database) == [DAY]  # purged on start
    add_rows(database, {"day": DAY - dt.timedelta(days=30)})
    for _ in range(100):
        if _days(database) == [DAY]:
            break
        await asyncio.sleep(0.02)
    assert _days(database) == [DAY]  # and again later
    stop.set()
    await asyncio.wait_for(task, timeout=5)


def test_python_m_insights_purge(database, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from core.settings import get_settings
    from insights.__main__ import main

    add_rows(database, {"day": DAY - dt.timedelta(days=200)}, {"day": DAY})
    monkeypatch.setenv("YINFA_DATABASE_URL", str(database.engine.url))
    monkeypatch.setenv("YINFA_TODAY", DAY.isoformat())
    get_settings.cache_clear()
    try:
        assert main(["purge"]) == 0
        assert "deleted 1 " in capsys.readouterr().out
        assert _days(database) == [DAY]
        assert main(["purge", "--days", "0"]) == 2
    finally:
        get_settings.cache_clear()
