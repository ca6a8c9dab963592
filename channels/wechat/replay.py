"""Replay protection: seen nonces and claimed messages, with expiry.

Two implementations of one small protocol:

- :class:`SqlReplayGuard` keeps the state in the app database (``core.database.Database``), so
  every app replica shares it and a restart does not forget it. Use this in the app.
- :class:`MemoryReplayGuard` keeps it in this process only (tests, single-process dev).

A nonce is remembered with a *fingerprint* of the request it came with (the message's
dedupe key). WeChat re-sends an unanswered callback up to three times; if a retry carries the
same nonce, it also carries the same message, and is let through to de-duplication, which
gives it the first attempt's answer without a second bot turn. A known nonce with any other
message is a replay and is refused.
"""

from __future__ import annotations

import asyncio
import enum
from collections import OrderedDict
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Float, String, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core.orm import Base

if TYPE_CHECKING:
    from core.database import Database

NONCE_TTL_S = 600.0  # timestamps are accepted within +-300 s, so a nonce must outlive both
MESSAGE_TTL_S = 3600.0
NONCE_TABLE = "wechat_nonces"
CLAIM_TABLE = "wechat_message_claims"  # WeChat retries within ~15 s; an hour is generous


class NonceVerdict(enum.Enum):
    """What a nonce check found."""

    NEW = "new"
    SAME_MESSAGE = "same_message"  # seen before with the same message: a WeChat retry
    REUSED = "reused"  # seen before with another message: a replay


class ReplayGuard(Protocol):
    """Where seen nonces and claimed message keys are kept."""

    async def check_nonce(self, nonce: str, fingerprint: str, now: float) -> NonceVerdict:
        """Record ``nonce`` (if new) and tell whether it was seen within its TTL."""
        ...

    async def claim_message(self, key: str, now: float) -> bool:
        """Claim a message's dedupe key; False when it was already claimed (a retry)."""
        ...


class _Expiring:
    """A bounded insertion-ordered map whose entries expire after ``ttl`` seconds."""

    def __init__(self, ttl: float, max_entries: int) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._items: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def _purge(self, now: float) -> None:
        while self._items:
            key, (seen, _) = next(iter(self._items.items()))
            if now - seen < self.ttl and len(self._items) <= self.max_entries:
                break
            del self._items[key]

    def get(self, key: str, now: float) -> str | None:
        self._purge(now)
        item = self._items.get(key)
        return None if item is None else item[1]

    def put(self, key: str, value: str, now: float) -> None:
        self._items[key] = (now, value)
        self._items.move_to_end(key)
        self._purge(now)


class MemoryReplayGuard:
    """In-process replay guard with expiry; state is lost on restart and not shared.

    Args:
        nonce_ttl: seconds a nonce is remembered.
        message_ttl: seconds a message key is remembered.
        max_entries: bound on each map; the oldest entries go first.
    """

    def __init__(
        self,
        nonce_ttl: float = NONCE_TTL_S,
        message_ttl: float = MESSAGE_TTL_S,
        max_entries: int = 100_000,
    ) -> None:
        self._nonces = _Expiring(nonce_ttl, max_entries)
        self._messages = _Expiring(message_ttl, max_entries)

    async def check_nonce(self, nonce: str, fingerprint: str, now: float) -> NonceVerdict:
        seen = self._nonces.get(nonce, now)
        if seen is None:
            self._nonces.put(nonce, fingerprint, now)
            return NonceVerdict.NEW
        return NonceVerdict.SAME_MESSAGE if seen == fingerprint else NonceVerdict.REUSED

    async def claim_message(self, key: str, now: float) -> bool:
        if self._messages.get(key, now) is not None:
            return False
        self._messages.put(key, "1", now)
        return True


class WeChatNonce(Base):
    """A nonce seen on a WeChat callback, with the message key it came with."""

    __tablename__ = NONCE_TABLE

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(255))
    seen_at: Mapped[float] = mapped_column(Float, index=True)


class WeChatMessageClaim(Base):
    """A WeChat message (MsgId, or sender + time for events) that got its bot turn."""

    __tablename__ = CLAIM_TABLE

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    claimed_at: Mapped[float] = mapped_column(Float, index=True)


class SqlReplayGuard:
    """Replay guard stored in the app database, shared by all replicas.

    Args:
        db: the app database; its tables are created by :meth:`open` (or by
            ``Database.open`` once this module is imported).
        nonce_ttl: seconds a nonce is remembered.
        message_ttl: seconds a message key is remembered.
        purge_every: seconds between deletions of expired rows.
    """

    def __init__(
        self,
        db: Database,
        nonce_ttl: float = NONCE_TTL_S,
        message_ttl: float = MESSAGE_TTL_S,
        purge_every: float = 60.0,
    ) -> None:
        self.db = db
        self.nonce_ttl = nonce_ttl
        self.message_ttl = message_ttl
        self.purge_every = purge_every
        self._last_purge = 0.0

    def open(self) -> None:
        """Create this guard's tables if missing."""
        tables = [Base.metadata.tables[t] for t in (NONCE_TABLE, CLAIM_TABLE)]
        Base.metadata.create_all(self.db.engine, tables=tables)

    def _maybe_purge(self, now: float) -> None:
        if now - self._last_purge < self.purge_every:
            return
        self._last_purge = now
        with self.db.session() as s:
            s.execute(delete(WeChatNonce).where(WeChatNonce.seen_at < now - self.nonce_ttl))
            s.execute(
                delete(WeChatMessageClaim).where(
                    WeChatMessageClaim.claimed_at < now - self.message_ttl
                )
            )

    def _check_nonce(self, nonce: str, fingerprint: str, now: float) -> NonceVerdict:
        self._maybe_purge(now)
        try:
            with self.db.session() as s:
                s.add(WeChatNonce(nonce=nonce, fingerprint=fingerprint, seen_at=now))
            return NonceVerdict.NEW
        except IntegrityError:
            pass
        with self.db.session() as s:
            row = s.get(WeChatNonce, nonce)
            if row is None or now - row.seen_at >= self.nonce_ttl:
                s.execute(
                    update(WeChatNonce)
                    .where(WeChatNonce.nonce == nonce)
                    .values(fingerprint=fingerprint, seen_at=now)
                )
                if row is None:
                    s.add(WeChatNonce(nonce=nonce, fingerprint=fingerprint, seen_at=now))
                return NonceVerdict.NEW
            same = row.fingerprint == fingerprint
        return NonceVerdict.SAME_MESSAGE if same else NonceVerdict.REUSED

    def _claim(self, key: str, now: float) -> bool:
        try:
            with self.db.session() as s:
                s.add(WeChatMessageClaim(key=key, claimed_at=now))
            return True
        except IntegrityError:
            pass
        with self.db.session() as s:
            # An expired claim may be taken again; the UPDATE is atomic per row.
            result = s.execute(
                update(WeChatMessageClaim)
                .where(WeChatMessageClaim.key == key)
                .where(WeChatMessageClaim.claimed_at < now - self.message_ttl)
                .values(claimed_at=now)
            )
            return bool(getattr(result, "rowcount", 0))

    async def check_nonce(self, nonce: str, fingerprint: str, now: float) -> NonceVerdict:
        return await asyncio.to_thread(self._check_nonce, nonce, fingerprint[:255], now)

    async def claim_message(self, key: str, now: float) -> bool:
        return await asyncio.to_thread(self._claim, key[:255], now)
