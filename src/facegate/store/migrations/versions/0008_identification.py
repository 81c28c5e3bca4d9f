"""Identification accuracy per deployment: the 1:N target FPIR, the FNIR ceiling, the 1:1
target FMR, the ambiguity margin and the planned gallery size (issue 16).

Revision ID: 0008_identification
Revises: 0007_edge_sync
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_identification"
down_revision: str | Sequence[str] | None = "0007_edge_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def columns() -> list[sa.Column[object]]:
    return [
        sa.Column("target_fpir", sa.Float(), nullable=False, server_default="0.01"),
        sa.Column("fnir_ceiling", sa.Float(), nullable=False, server_default="0.1"),
        sa.Column("target_fmr", sa.Float(), nullable=True),
        sa.Column("ambiguity_margin", sa.Float(), nullable=False, server_default="0.03"),
        sa.Column("planned_gallery_size", sa.Integer(), nullable=False, server_default="0"),
    ]


def upgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        for column in columns():
            batch.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        for column in reversed(columns()):
            batch.drop_column(column.name)
