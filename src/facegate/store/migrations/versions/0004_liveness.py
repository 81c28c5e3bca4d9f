"""Deployments choose their liveness check: off, passive (the default) or active.

Revision ID: 0004_liveness
Revises: 0003_merge
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_liveness"
down_revision: str | Sequence[str] | None = "0003_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing deployments get the passive check too: refusing printed and on-screen faces is
    # a necessary security measure (Measures art. 14), not an opt-in.
    with op.batch_alter_table("deployments") as batch:
        batch.add_column(sa.Column("liveness", sa.Text(), nullable=False, server_default="passive"))


def downgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        batch.drop_column("liveness")
