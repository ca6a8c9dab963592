"""alert renders: the bot's answer to an alert, rendered once per district (issue 15);
receipts say which render they delivered and when its turn entered the conversation

Revision ID: 0002_alert_renders
Revises: 0001
Create Date: 2026-12-02 04:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_alert_renders"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_renders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("district", sa.String(length=16), nullable=False),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("alert_id", "kind", "district", name="uq_alert_render"),
    )
    with op.batch_alter_table("alert_receipts") as batch:
        batch.add_column(sa.Column("render_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            "fk_alert_receipts_render_id", "alert_renders", ["render_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("alert_receipts") as batch:
        batch.drop_constraint("fk_alert_receipts_render_id", type_="foreignkey")
        batch.drop_column("recorded_at")
        batch.drop_column("render_id")
    op.drop_table("alert_renders")
