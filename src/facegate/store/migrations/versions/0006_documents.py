"""Documents: the overall conclusion of an impact assessment (risk level, whether processing
may proceed, its conditions), reviewed like every drafted statement; a deployment's free text in
English beside its Chinese (the English documents use it; Chinese documents never show it).

Revision ID: 0006_documents
Revises: 0005_durability
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_documents"
down_revision: str | Sequence[str] | None = "0005_durability"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("conclusion", sa.JSON(), nullable=True))
    with op.batch_alter_table("deployments") as batch:
        batch.add_column(sa.Column("english", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        batch.drop_column("english")
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("conclusion")
