"""The audit log: who did what, when (written by the console and the alert desk)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.clock import as_utc, utcnow
from core.database import Database
from core.orm import Base
from core.redact import redact


class AuditEntry(Base):
    """Who did what, when. Written for every operator action; read by admins."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(48), index=True)
    target: Mapped[str] = mapped_column(String(128), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(64), default="")


def record(
    session: Session,
    actor: str,
    role: str,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
    ip: str = "",
) -> AuditEntry:
    """Add one entry to the session (committed with the action it records)."""
    entry = AuditEntry(
        at=utcnow(),
        actor=actor[:64],
        role=role[:16],
        action=action[:48],
        target=target[:128],
        detail=detail or {},
        ip=ip[:64],
    )
    session.add(entry)
    return entry


def write(database: Database, *args: Any, **kwargs: Any) -> None:
    """Record one entry in its own transaction."""
    with database.session() as s:
        record(s, *args, **kwargs)


def redacted(text: str, limit: int = 200) -> str:
    """Search text for the log: personal numbers masked, cut to ``limit``."""
    return redact(text[:limit]).text


def entries(
    database: Database,
    *,
    limit: int = 100,
    before_id: int | None = None,
    actor: str | None = None,
    action_prefix: str | None = None,
    target: str | None = None,
) -> list[AuditEntry]:
    """Newest entries first, filtered."""
    with database.session() as s:
        q = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if before_id:
            q = q.where(AuditEntry.id < before_id)
        if actor:
            q = q.where(AuditEntry.actor == actor)
        if action_prefix:
            q = q.where(AuditEntry.action.startswith(action_prefix))
        if target:
            q = q.where(AuditEntry.target == target)
        rows = list(s.scalars(q))
        s.expunge_all()
        return rows


def iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value else None
