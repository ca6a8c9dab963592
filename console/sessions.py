"""Login sessions: a random token in an HttpOnly cookie, signed with the session secret;
the database keeps only the token's SHA-256, so a leaked table cannot be replayed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from console.models import Operator, OperatorSession
from core.clock import as_utc, utcnow
from core.database import Database
from core.operators import OperatorView

COOKIE_NAME = "yinfa_operator"
SESSION_TTL = timedelta(hours=8)


def _sign(token: str, secret: str) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()[:32]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(database: Database, operator_id: int, secret: str) -> str:
    """Open a session; returns the cookie value."""
    token = secrets.token_urlsafe(32)
    with database.session() as s:
        s.add(
            OperatorSession(
                token_hash=_digest(token),
                operator_id=operator_id,
                created_at=utcnow(),
                expires_at=utcnow() + SESSION_TTL,
            )
        )
    return f"{token}.{_sign(token, secret)}"


def _token(cookie: str, secret: str) -> str | None:
    token, _, signature = cookie.rpartition(".")
    if not token or not hmac.compare_digest(signature, _sign(token, secret)):
        return None
    return token


def resolve(database: Database, cookie: str | None, secret: str) -> OperatorView | None:
    """The active operator of a session cookie, or ``None``."""
    if not cookie or len(cookie) > 200:
        return None
    token = _token(cookie, secret)
    if token is None:
        return None
    with database.session() as s:
        row = s.execute(
            select(OperatorSession, Operator)
            .join(Operator, Operator.id == OperatorSession.operator_id)
            .where(OperatorSession.token_hash == _digest(token))
        ).one_or_none()
        if row is None:
            return None
        session, op = row
        if not op.active or (as_utc(session.expires_at) or utcnow()) <= utcnow():
            return None
        return OperatorView(id=op.id, username=op.username, role=op.role, active=op.active)


def end(database: Database, cookie: str | None, secret: str) -> None:
    """Close the session of a cookie (no error when there is none)."""
    token = _token(cookie or "", secret)
    if token is None:
        return
    with database.session() as s:
        s.execute(delete(OperatorSession).where(OperatorSession.token_hash == _digest(token)))
