"""One question-log row per resident turn, written off the event loop.

:class:`QuestionRecorder` is ``core.conversation.Conversation``'s ``after_turn`` hook: it
classifies the turn (:mod:`insights.outcomes`) at once and hands the database write to its
own writer thread as a background task, so the chat never waits for it and a failing
database only costs a log line. One writer keeps the rows in the order of the turns (the
newest row of a conversation is its last turn) and never competes with itself for SQLite. Rows carry no sender id: the conversation key
is an HMAC-SHA256 of the sender id under a random secret made when the process starts and
kept only in its memory (never stored, never logged).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlalchemy import select

from core.conversation import Turn
from core.database import Database
from core.request_id import hex_as_letters
from insights.models import QuestionLog
from insights.outcomes import ResponseSignals, classify, load_signals

log = logging.getLogger(__name__)

KEY_HEX = 16  # 64 bits of the HMAC: enough to group, nothing to trace
MAX_PENDING = 512  # writes in flight; beyond this a row is dropped with a warning


class QuestionRecorder:
    """Writes the question log.

    Args:
        database: the app database.
        today: today's date (Asia/Shanghai, ``core.clock.today``).
        topic_of: the topic of an entry id, for answers whose marker names none.
        signals: the domain's response signals (default: ``domain.yml``).
    """

    def __init__(
        self,
        database: Database,
        today: Callable[[], date],
        topic_of: Callable[[str], str | None] | None = None,
        signals: ResponseSignals | None = None,
    ) -> None:
        self.database = database
        self.today = today
        self.topic_of = topic_of
        self.signals = signals or load_signals()
        self._secret = secrets.token_bytes(32)
        self._pending: set[asyncio.Task[None]] = set()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="question-log")

    def key(self, sender_id: str) -> str:
        """The conversation key of a sender id (this process only)."""
        digest = hmac.new(self._secret, sender_id.encode("utf-8"), hashlib.sha256)
        return hex_as_letters(digest.hexdigest()[:KEY_HEX])  # never reads as a number

    def row(self, turn: Turn) -> QuestionLog:
        """The log row of one turn."""
        outcome = classify(turn.messages, self.signals)
        topic = outcome.topic
        if topic is None and outcome.entry_id and self.topic_of is not None:
            topic = self.topic_of(outcome.entry_id)
        return QuestionLog(
            day=self.today(),
            channel=turn.channel,
            conversation_key=self.key(turn.sender_id),
            text=turn.text,
            topic=topic,
            outcome=outcome.kind,
            entry_id=outcome.entry_id,
            confidence=outcome.confidence,
        )

    def __call__(self, turn: Turn) -> str:
        """The ``after_turn`` hook: classify now, write in the background; the turn's
        outcome kind (for the metrics, so a turn is classified once)."""
        row = self.row(turn)
        if len(self._pending) >= MAX_PENDING:
            log.warning("question log: %d writes pending, one row dropped", len(self._pending))
            return row.outcome
        task = asyncio.get_running_loop().create_task(self._write_off_loop(row))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return row.outcome

    async def _write_off_loop(self, row: QuestionLog) -> None:
        try:
            await asyncio.get_running_loop().run_in_executor(self._writer, self.write, row)
        except Exception:
            log.exception("question log: a row could not be written")

    def write(self, row: QuestionLog) -> None:
        with self.database.session() as s:
            s.add(row)

    async def drain(self) -> None:
        """Wait for the writes in flight (shutdown, tests)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    def close(self) -> None:
        """Stop the writer thread (after :meth:`drain`)."""
        self._writer.shutdown(wait=True)

    def feedback(self, sender_id: str, entry_id: str | None, useful: bool) -> bool:
        """有用/没用: set ``feedback`` on the conversation's newest row for ``entry_id`` (its
        newest row when no entry is named). Whether a row was found; never raises."""
        try:
            with self.database.session() as s:
                query = select(QuestionLog).where(
                    QuestionLog.conversation_key == self.key(sender_id)
                )
                if entry_id:
                    query = query.where(QuestionLog.entry_id == entry_id)
                row = s.scalars(query.order_by(QuestionLog.id.desc()).limit(1)).first()
                if row is None:
                    return False
                row.feedback = "helpful" if useful else "unhelpful"
                return True
        except Exception:
            log.exception("question log: feedback could not be noted")
            return False
