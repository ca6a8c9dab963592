"""Tables of the app database. One class per table; other modules add theirs here."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Feedback(Base):
    """有用/没用 on one bot answer."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(80), index=True)
    message_id: Mapped[str] = mapped_column(String(80))
    useful: Mapped[bool]
    answer_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# Tables of other packages, registered on Base.metadata by importing them here.
import alerts.models  # noqa: E402, F401
import console.models  # noqa: E402, F401
