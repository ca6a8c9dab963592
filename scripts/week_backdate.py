"""Spread one run's question-log rows over the last days (``simulate_week.py --backdate``).

The app writes each row with today's date (``core.clock``); a simulated week sent in a few
minutes would all land on one day. This moves only the rows written since the run started
(ids above the highest id before it), a whole conversation (``conversation_key``) to one
day, ``0 .. days-1`` days back from the day the app wrote. It changes dates, nothing else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time

from sqlalchemy import create_engine, text


def last_id(database_url: str) -> int:
    """The highest question-log id now (0 for an empty table)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(text("SELECT coalesce(max(id), 0) FROM question_log")).scalar() or 0
            )
    finally:
        engine.dispose()


def settle(database_url: str, quiet_s: float = 5.0, timeout_s: float = 120.0) -> int:
    """Wait until no new row has come for ``quiet_s`` seconds (the app writes its log rows on
    its own thread, and WeChat answers after the request returned); the last id."""
    deadline = time.monotonic() + timeout_s
    last, since = last_id(database_url), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet_s:
        time.sleep(1)
        now = last_id(database_url)
        if now != last:
            last, since = now, time.monotonic()
    return last


def days_back(conversation_key: str, days: int, seed: int) -> int:
    """A stable day offset for one conversation (the same run gives the same spread)."""
    digest = hashlib.sha256(f"{seed}:{conversation_key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % days


def backdate(database_url: str, after_id: int, days: int, seed: int) -> int:
    """Move the rows with ``id > after_id`` back by their conversation's offset; returns how
    many rows were moved."""
    engine = create_engine(database_url)
    moved = 0
    try:
        with engine.begin() as conn:
            rows = conn.execute(
                text("SELECT id, day, conversation_key FROM question_log WHERE id > :after"),
                {"after": after_id},
            ).all()
            for row_id, day, key in rows:
                back = days_back(str(key), days, seed)
                if not back:
                    continue
                written = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
                conn.execute(
                    text("UPDATE question_log SET day = :day WHERE id = :id"),
                    {"day": written - dt.timedelta(days=back), "id": row_id},
                )
                moved += 1
    finally:
        engine.dispose()
    return moved
