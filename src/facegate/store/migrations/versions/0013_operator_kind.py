"""The controller's operator kind (cii / central_organ / other), which decides the clock of
incident reporting under 《国家网络安全事件报告管理办法》 art. 4. Existing controllers are
"other" (4 hours), as the service assumed until now.

Revision ID: 0013_operator_kind
Revises: 0012_daily_views
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_operator_kind"
down_revision: str | Sequence[str] | None = "0012_daily_views"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "controllers",
        sa.Column("operator_kind", sa.Text(), nullable=False, server_default="other"),
    )


def downgrade() -> None:
    with op.batch_alter_table("controllers") as batch:
        batch.drop_column("operator_kind")
