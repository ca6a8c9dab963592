"""Put a fraud-alert banner row into an app database, for web-chat tests.

The ``alerts`` table belongs to the alert-broadcasting feature. When it does not exist yet,
this helper creates a minimal one with the columns :mod:`alerts.banner` reads. When it
exists with more required columns, they are filled with harmless values of their type.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    insert,
    inspect,
    select,
)

TABLE = "alerts"


def _placeholder(column: Column[Any]) -> Any:
    """A value for a required column this helper knows nothing about."""
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return "test"
    if python_type is bool:
        return False
    if python_type is int:
        return 0
    if python_type is float:
        return 0.0
    if python_type is datetime:
        return datetime.now(timezone.utc)
    if python_type is date:
        return date.today()
    return "test"


def _table(engine: Any) -> Table:
    metadata = MetaData()
    if inspect(engine).has_table(TABLE):
        return Table(TABLE, metadata, autoload_with=engine)
    table = Table(
        TABLE,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("public_code", String(32), nullable=False),
        Column("title", String(200), nullable=False),
        Column("body", Text, nullable=False),
        Column("status", String(20), nullable=False),
        Column("expires_at", DateTime(timezone=True)),
        Column("published_at", DateTime(timezone=True)),
        Column("archived", Boolean, default=False),
    )
    metadata.create_all(engine)
    return table


def insert_banner(
    database_url: str,
    *,
    public_code: str,
    title: str,
    body: str,
    status: str = "published",
    expires_at: datetime | None = None,
) -> None:
    """Insert one alert row (creating a minimal ``alerts`` table when there is none)."""
    engine = create_engine(database_url)
    try:
        table = _table(engine)
        values: dict[str, Any] = {
            "public_code": public_code,
            "title": title,
            "body": body,
            "status": status,
            "expires_at": expires_at,
        }
        if expires_at is None and not table.c.expires_at.nullable:
            values["expires_at"] = datetime.now(timezone.utc) + timedelta(days=30)
        if "published_at" in table.c:
            values["published_at"] = datetime.now(timezone.utc)
        for column in table.c:
            if column.name in values or column.nullable or column.primary_key:
                continue
            if column.default is not None or column.server_default is not None:
                continue
            values[column.name] = _placeholder(column)
        with engine.begin() as conn:
            conn.execute(insert(table).values(**values))
    finally:
        engine.dispose()


def clear_banners(database_url: str) -> None:
    """Delete every alert row (the table is kept)."""
    engine = create_engine(database_url)
    try:
        if inspect(engine).has_table(TABLE):
            table = Table(TABLE, MetaData(), autoload_with=engine)
            with engine.begin() as conn:
                conn.execute(delete(table))
    finally:
        engine.dispose()


def push_web_alert(
    database_url: str, *, sender_id: str, public_code: str, messages: list[dict[str, Any]]
) -> None:
    """Record a delivered alert for one web user, as the alert worker does.

    The live stream (``GET /api/events``) sends each row of ``alert_receipts`` to its user.
    """
    engine = create_engine(database_url)
    try:
        metadata = MetaData()
        alerts = Table(TABLE, metadata, autoload_with=engine)
        receipts = Table("alert_receipts", metadata, autoload_with=engine)
        with engine.begin() as conn:
            alert_id = conn.execute(
                select(alerts.c.id).where(alerts.c.public_code == public_code)
            ).scalar_one()
            conn.execute(
                insert(receipts).values(
                    idempotency_key=f"test:{public_code}:{sender_id}",
                    alert_id=alert_id,
                    kind="alert",
                    channel="web",
                    user_id=sender_id,
                    payload={"kind": "alert", "alert_code": public_code, "messages": messages},
                    created_at=datetime.now(timezone.utc),
                )
            )
    finally:
        engine.dispose()
