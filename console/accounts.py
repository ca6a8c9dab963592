"""Operator accounts: create, disable, list, authenticate."""

from __future__ import annotations

import re

from sqlalchemy import delete, select

from console.models import Operator, OperatorSession
from console.passwords import dummy_hash, hash_password, verify_password
from core.clock import utcnow
from core.database import Database
from core.operators import ROLES, OperatorView

USERNAME_RE = re.compile(r"^[a-z0-9_.-]{3,64}$")


class AccountError(ValueError):
    """An account operation was refused; the message says why."""


def _view(op: Operator) -> OperatorView:
    return OperatorView(id=op.id, username=op.username, role=op.role, active=op.active)


def create(database: Database, username: str, role: str, password: str) -> OperatorView:
    """Create an account.

    Raises:
        AccountError: bad username or role, weak password, or the name is taken.
    """
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise AccountError("username: 3 to 64 of a-z 0-9 _ . -")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        raise AccountError(str(exc)) from exc
    with database.session() as s:
        if s.scalar(select(Operator.id).where(Operator.username == username)) is not None:
            raise AccountError(f"username {username} is taken")
        op = Operator(username=username, role=role, password_hash=password_hash, active=True)
        s.add(op)
        s.flush()
        return _view(op)


def disable(database: Database, username: str) -> OperatorView:
    """Disable an account and end its sessions.

    Raises:
        AccountError: no such account.
    """
    with database.session() as s:
        op = s.scalar(select(Operator).where(Operator.username == username.strip().lower()))
        if op is None:
            raise AccountError(f"no account {username}")
        op.active = False
        op.disabled_at = utcnow()
        s.execute(delete(OperatorSession).where(OperatorSession.operator_id == op.id))
        return _view(op)


def list_accounts(database: Database) -> list[OperatorView]:
    """Every account, by username."""
    with database.session() as s:
        return [_view(op) for op in s.scalars(select(Operator).order_by(Operator.username))]


def authenticate(database: Database, username: str, password: str) -> OperatorView | None:
    """The active account with these credentials, or ``None`` (same time either way)."""
    with database.session() as s:
        op = s.scalar(select(Operator).where(Operator.username == username.strip().lower()))
        if op is None or not op.active:
            verify_password(dummy_hash(), password)
            return None
        if not verify_password(op.password_hash, password):
            return None
        return _view(op)
