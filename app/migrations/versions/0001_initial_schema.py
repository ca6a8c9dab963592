"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-12-01 23:09:21.110146
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Per table: the columns indexed one by one, as Alembic names them (ix_<table>_<column>).
INDEXED: dict[str, tuple[str, ...]] = {
    "alert_subscriptions": ("active",),
    "alerts": ("public_code", "status"),
    "audit_log": ("action", "actor", "at"),
    "feedback": ("sender_id",),
    "wechat_message_claims": ("claimed_at",),
    "wechat_nonces": ("seen_at",),
    "alert_outbox": ("alert_id", "claim_token"),
    "operator_sessions": ("operator_id",),
}
UNIQUE_INDEXES = {"ix_alerts_public_code"}
# Per table: indexes over several columns, by their own names.
NAMED_INDEXES: dict[str, dict[str, list[str]]] = {
    "alert_outbox": {"ix_outbox_due": ["status", "next_attempt_at"]},
    "alert_receipts": {"ix_receipt_user": ["channel", "user_id", "id"]},
}


def _column(name: str, type_: Any, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=nullable)


def _integer(name: str) -> sa.Column[Any]:
    return _column(name, sa.Integer())


def _id() -> sa.Column[Any]:
    return _integer("id")


def _string(name: str, length: int, *, nullable: bool = False) -> sa.Column[Any]:
    return _column(name, sa.String(length=length), nullable=nullable)


def _time(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return _column(name, sa.DateTime(timezone=True), nullable=nullable)


def _signed(step: str, *, nullable: bool = True) -> list[sa.Column[Any]]:
    """``<step>_by`` (who, 64 characters) and ``<step>_at`` (when) of an alert's step."""
    return [_string(f"{step}_by", 64, nullable=nullable), _time(f"{step}_at", nullable=nullable)]


def _addressee(*after_alert: sa.Column[Any]) -> list[sa.Column[Any]]:
    """The idempotency key, alert, kind, channel and user of an outbox row or a receipt
    (with ``after_alert`` placed after the alert, as the models have them)."""
    return [
        _string("idempotency_key", 96),
        _integer("alert_id"),
        *after_alert,
        _string("kind", 16),
        _string("channel", 16),
        _string("user_id", 128),
    ]


def _tables() -> list[tuple[str, list[SchemaItem]]]:
    """Every table in the order of creation, with its columns and constraints (made afresh
    on each call: a column belongs to one table)."""
    return [
        (
            "alert_subscriptions",
            [
                _id(),
                _string("channel", 16),
                _string("user_id", 128),
                _string("district", 16, nullable=True),
                _column("active", sa.Boolean()),
                _time("subscribed_at"),
                _time("unsubscribed_at", nullable=True),
                _time("last_inbound_at", nullable=True),
                sa.PrimaryKeyConstraint("id"),
                sa.UniqueConstraint("channel", "user_id", name="uq_subscription_user"),
            ],
        ),
        (
            "alerts",
            [
                _id(),
                _string("public_code", 16),
                _string("title", 40),
                _string("body", 200),
                _string("scam_type", 32),
                _column("districts", sa.JSON()),
                _string("status", 16),
                _time("expires_at"),
                *_signed("created", nullable=False),
                *_signed("approved"),
                *_signed("published"),
                *_signed("retracted"),
                _string("retract_note", 200, nullable=True),
                sa.PrimaryKeyConstraint("id"),
            ],
        ),
        (
            "audit_log",
            [
                _id(),
                _time("at"),
                _string("actor", 64),
                _string("role", 16),
                _string("action", 48),
                _string("target", 128),
                _column("detail", sa.JSON()),
                _string("ip", 64),
                sa.PrimaryKeyConstraint("id"),
            ],
        ),
        (
            "feedback",
            [
                _id(),
                _string("sender_id", 80),
                _string("message_id", 80),
                _column("useful", sa.Boolean()),
                _column("answer_text", sa.Text()),
                _time("created_at"),
                sa.PrimaryKeyConstraint("id"),
            ],
        ),
        (
            "operators",
            [
                _id(),
                _string("username", 64),
                _string("password_hash", 256),
                _string("role", 16),
                _column("active", sa.Boolean()),
                _time("created_at"),
                _time("disabled_at", nullable=True),
                sa.PrimaryKeyConstraint("id"),
                sa.UniqueConstraint("username"),
            ],
        ),
        (
            "wechat_message_claims",
            [
                _string("key", 255),
                _column("claimed_at", sa.Float()),
                sa.PrimaryKeyConstraint("key"),
            ],
        ),
        (
            "wechat_nonces",
            [
                _string("nonce", 64),
                _string("fingerprint", 255),
                _column("seen_at", sa.Float()),
                sa.PrimaryKeyConstraint("nonce"),
            ],
        ),
        (
            "alert_outbox",
            [
                _id(),
                *_addressee(_integer("subscription_id")),
                _string("status", 16),
                _integer("attempts"),
                _time("next_attempt_at"),
                _time("lease_until", nullable=True),
                _string("claim_token", 40, nullable=True),
                _string("last_error", 300, nullable=True),
                _time("created_at"),
                _time("delivered_at", nullable=True),
                sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"]),
                sa.ForeignKeyConstraint(["subscription_id"], ["alert_subscriptions.id"]),
                sa.PrimaryKeyConstraint("id"),
                sa.UniqueConstraint("idempotency_key"),
            ],
        ),
        (
            "alert_receipts",
            [
                _id(),
                *_addressee(),
                _column("payload", sa.JSON()),
                _time("created_at"),
                sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"]),
                sa.PrimaryKeyConstraint("id"),
                sa.UniqueConstraint("idempotency_key"),
            ],
        ),
        (
            "operator_sessions",
            [
                _string("token_hash", 64),
                _integer("operator_id"),
                _time("created_at"),
                _time("expires_at"),
                sa.ForeignKeyConstraint(["operator_id"], ["operators.id"]),
                sa.PrimaryKeyConstraint("token_hash"),
            ],
        ),
    ]


def _create_indexes(table: str) -> None:
    if table not in INDEXED and table not in NAMED_INDEXES:
        return
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in INDEXED.get(table, ()):
            name = batch_op.f(f"ix_{table}_{column}")
            batch_op.create_index(name, [column], unique=name in UNIQUE_INDEXES)
        for index, columns in NAMED_INDEXES.get(table, {}).items():
            batch_op.create_index(index, columns, unique=False)


def _drop_indexes(table: str) -> None:
    if table not in INDEXED and table not in NAMED_INDEXES:
        return
    with op.batch_alter_table(table, schema=None) as batch_op:
        for index in reversed(NAMED_INDEXES.get(table, {})):
            batch_op.drop_index(index)
        for column in reversed(INDEXED.get(table, ())):
            batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))


def upgrade() -> None:
    for table, items in _tables():
        op.create_table(table, *items)
        _create_indexes(table)


def downgrade() -> None:
    for table, _items in reversed(_tables()):
        _drop_indexes(table)
        op.drop_table(table)
