"""The insights tables and queries on a real PostgreSQL server (migration 0005 up and down)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect

from insights import report
from insights.retention import purge
from tests.insights.support import DAY, add_rows
from tests.support.db import open_database


def test_question_log_on_postgresql() -> None:
    from alembic import command

    from app import schema
    from tests.support.postgres import postgres_server

    with postgres_server() as url:
        db = open_database(url)
        try:
            tables = set(inspect(db.engine).get_table_names())
            assert {"question_log", "insight_marks"} <= tables
            add_rows(
                db,
                {
                    "outcome": "answered",
                    "entry_id": "meal-who-can-use",
                    "topic": "meal",
                    "feedback": "unhelpful",
                },
                {"outcome": "answered", "entry_id": "meal-who-can-use", "topic": "meal"},
                {"outcome": "referred", "day": DAY - dt.timedelta(days=300)},
            )
            assert report.summary(db, DAY, 7)["outcomes"]["answered"] == 2
            rates = report.unhelpful(db, DAY, 7, 1, lambda e: e)
            assert rates["by_entry"][0]["rate"] == 0.5
            assert len(report.daily(db, DAY, 366)["days"]) == 366
            assert purge(db, DAY, 180) == 1
            with db.engine.begin() as connection:
                command.downgrade(schema._config(connection), "0004_outbox_settled_at")
            assert "question_log" not in inspect(db.engine).get_table_names()
            schema.upgrade(db)
            assert "question_log" in inspect(db.engine).get_table_names()
        finally:
            db.dispose()
