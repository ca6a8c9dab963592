"""Question-log rows written straight into the table, for tests of the insights views.

The real path (a resident message through the app) is tested by the browser test and the
recorder's own tests; these rows only give the views a known week to show.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from core.database import Database


@dataclass(frozen=True)
class Row:
    day: dt.date
    outcome: str
    text: str = "老年助餐怎么报名"
    channel: str = "web"
    topic: str | None = "meal"
    entry_id: str | None = None
    confidence: float | None = None
    feedback: str | None = None


def insert(database: Database, rows: list[Row]) -> None:
    """Insert ``rows`` into ``question_log`` (each with its own conversation key)."""
    from insights.models import QuestionLog

    with database.session() as s:
        s.add_all(
            QuestionLog(
                day=r.day,
                channel=r.channel,
                conversation_key=uuid.uuid4().hex,
                text=r.text,
                topic=r.topic,
                outcome=r.outcome,
                entry_id=r.entry_id,
                confidence=r.confidence,
                feedback=r.feedback,
            )
            for r in rows
        )
