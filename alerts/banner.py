"""Read side of the fraud-alert banner shown on the web chat.

The alert tables belong to the alert-broadcasting feature. This module only reads the table
``alerts`` when it exists, and needs just these columns: ``public_code``, ``title``, ``body``,
``status`` (``'published'`` rows are shown) and ``expires_at`` (NULL means no expiry). If the
table also has ``published_at`` or ``id``, the newest row wins.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import MetaData, Table, inspect, select

from alerts.models import AlertStatus
from core.database import Database
from core.deps import DatabaseDep

TABLE = "alerts"
REQUIRED_COLUMNS = frozenset({"public_code", "title", "body", "status", "expires_at"})
PUBLISHED = AlertStatus.PUBLISHED
_SCAN_LIMIT = 50


def _as_utc(value: Any) -> datetime | None:
    """A stored expiry as an aware UTC datetime (naive values are taken as UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def current_banner(database: Database, now: datetime | None = None) -> dict[str, Any] | None:
    """The newest published, unexpired alert as a banner, or None.

    Args:
        database: the app database.
        now: the current time (for tests); defaults to the clock.

    Returns:
        ``{"public_code", "title", "body", "expires_at"}`` (``expires_at`` as ISO text or
        None), or None when there is no table, no usable columns, or no current alert.
    """
    now = now or datetime.now(timezone.utc)
    engine = database.engine
    if not inspect(engine).has_table(TABLE):
        return None
    table = Table(TABLE, MetaData(), autoload_with=engine)
    if not set(table.c.keys()) >= REQUIRED_COLUMNS:
        return None
    query = select(table.c.public_code, table.c.title, table.c.body, table.c.expires_at).where(
        table.c.status == PUBLISHED
    )
    order = [table.c[name].desc() for name in ("published_at", "id") if name in table.c]
    query = query.order_by(*order).limit(_SCAN_LIMIT)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    for row in rows:
        expires = _as_utc(row.expires_at)
        if expires is not None and expires <= now:
            continue
        return {
            "public_code": str(row.public_code or ""),
            "title": str(row.title or ""),
            "body": str(row.body or ""),
            "expires_at": expires.isoformat() if expires else None,
        }
    return None


router = APIRouter(tags=["alerts"])


class BannerResponse(BaseModel):
    """The current fraud-alert banner, or ``null``."""

    banner: dict[str, Any] | None


@router.get("/api/alerts/banner", response_model=BannerResponse)
def banner(database: DatabaseDep) -> BannerResponse:
    """The newest published, unexpired fraud alert (sync: runs in the thread pool)."""
    return BannerResponse(banner=current_banner(database))
