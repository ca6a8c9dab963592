"""Tables of the insights feature: the privacy-safe question log and the queue marks.

``question_log`` holds one row per resident message: the redacted text exactly as it went
to Rasa (never the raw text), the channel, the topic, what the bot did and the 有用/没用
feedback. It has no sender id and no time of day: ``conversation_key`` is an HMAC of the
sender id under a secret that lives only in the memory of the process that wrote the row
(:mod:`insights.recorder`), so rows of one conversation can be grouped but never traced back.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.orm import Base

OUTCOMES = ("answered", "referred", "fallback", "scam_warning", "guide", "other")
MARKS = ("new_entry", "answered_by", "out_of_scope")
FEEDBACK = ("helpful", "unhelpful")


class QuestionLog(Base):
    """One resident message and what the bot did with it."""

    __tablename__ = "question_log"
    __table_args__ = (Index("ix_question_log_conversation_entry", "conversation_key", "entry_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)  # Asia/Shanghai date, no time
    channel: Mapped[str] = mapped_column(String(16))  # "web" or "wechat"
    conversation_key: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)  # redacted, as sent to Rasa
    topic: Mapped[str | None] = mapped_column(String(32), nullable=True)
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    entry_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    feedback: Mapped[str | None] = mapped_column(String(16), nullable=True)


class InsightMark(Base):
    """An operator's decision on one cluster of the unanswered queue (also audited)."""

    __tablename__ = "insight_marks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_key: Mapped[str] = mapped_column(String(64), index=True)
    mark: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    operator: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
