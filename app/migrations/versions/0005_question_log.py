"""question log and insight marks: the privacy-safe log of resident questions (issue 16)

Revision ID: 0005_question_log
Revises: 0004_outbox_settled_at
Create Date: 2026-12-02 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_question_log"
down_revision: str | None = "0004_outbox_settled_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "question_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("conversation_key", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("entry_id", sa.String(length=80), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("feedback", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_question_log_day", "question_log", ["day"])
    op.create_index("ix_question_log_outcome", "question_log", ["outcome"])
    op.create_index(
        "ix_question_log_conversation_entry", "question_log", ["conversation_key", "entry_id"]
    )
    op.create_table(
        "insight_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_key", sa.String(length=64), nullable=False),
        sa.Column("mark", sa.String(length=16), nullable=False),
        sa.Column("entry_id", sa.String(length=80), nullable=True),
        sa.Column("operator", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_insight_marks_cluster_key", "insight_marks", ["cluster_key"])


def downgrade() -> None:
    op.drop_index("ix_insight_marks_cluster_key", table_name="insight_marks")
    op.drop_table("insight_marks")
    op.drop_index("ix_question_log_conversation_entry", table_name="question_log")
    op.drop_index("ix_question_log_outcome", table_name="question_log")
    op.drop_index("ix_question_log_day", table_name="question_log")
    op.drop_table("question_log")
