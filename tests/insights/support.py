"""Helpers of the insights tests: the real app with a stand-in Rasa, and log rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from core.conversation import Conversation
from core.database import Database
from insights.models import QuestionLog
from insights.recorder import QuestionRecorder
from tests.security.conftest import build_app, security_settings

DAY = dt.date(2026, 11, 30)


class EchoRasa:
    """Stands in for the Rasa server: says back what it received (the worst case for
    privacy: whatever reaches Rasa could reach the log) and marks the turn a referral."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []

    async def send_message(self, sender_id: str, text: str) -> list[dict[str, Any]]:
        self.received.append((sender_id, text))
        return [
            {"recipient_id": sender_id, "text": f"您问的是：{text}"},
            {
                "recipient_id": sender_id,
                "custom": {"outcome": {"kind": "referred", "confidence": 0.3, "topic": "meal"}},
            },
        ]

    async def status(self) -> dict[str, str]:
        return {"model_file": "test-model.tar.gz"}


def chat_app(tmp_path: Path, retriever: object, **settings: Any) -> FastAPI:
    """The real app (``create_app``, real chat and feedback routes) whose conversation is
    the real ``Conversation`` over :class:`EchoRasa`, recording into the question log."""
    app = build_app(security_settings(tmp_path, **settings), retriever)
    recorder = QuestionRecorder(app.state.database, lambda: DAY)
    rasa = EchoRasa()
    app.state.rasa = rasa
    app.state.conversation = Conversation(rasa, after_turn=recorder)  # type: ignore[arg-type]
    app.state.question_recorder = recorder
    app.state.answer_feedback = recorder.feedback
    return app


def log_rows(database: Database) -> list[QuestionLog]:
    with database.session() as s:
        rows = list(s.query(QuestionLog).order_by(QuestionLog.id))
        s.expunge_all()
        return rows


def add_rows(database: Database, *rows: dict[str, Any]) -> None:
    """Log rows with defaults (web, ``DAY``, answered)."""
    with database.session() as s:
        for i, values in enumerate(rows):
            row: dict[str, Any] = {
                "day": DAY,
                "channel": "web",
                "conversation_key": f"k{i}",
                "text": "问题",
                "outcome": "answered",
            }
            row.update(values)
            s.add(QuestionLog(**row))
