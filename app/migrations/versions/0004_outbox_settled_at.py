"""outbox settled_at: when a row reached its final status (issue 15, delivery chart)

Revision ID: 0004_outbox_settled_at
Revises: 0003_wechat_template_quota
Create Date: 2026-12-02 05:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_outbox_settled_at"
down_revision: str | None = "0003_wechat_template_quota"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert_outbox") as batch:
        batch.add_column(sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True))
    # Rows settled before this revision: only delivered ones recorded a time.
    op.execute(
        "UPDATE alert_outbox SET settled_at = delivered_at "
        "WHERE settled_at IS NULL AND delivered_at IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("alert_outbox") as batch:
        batch.drop_column("settled_at")
