"""Keys of the encrypted gallery index snapshots (issue 13): one wrapped random key per snapshot
file, destroyed whenever a template leaves its deployment's gallery.

Revision ID: 0014_index_snapshots
Revises: 0013_operator_kind
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_index_snapshots"
down_revision: str | Sequence[str] | None = "0013_operator_kind"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "index_snapshot_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("deployment_id", sa.String(length=32), nullable=False),
        sa.Column("gallery_version", sa.Integer(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("kek", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_index_snapshot_keys_deployment_id_deployments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_snapshot_keys")),
    )
    op.create_index(
        op.f("ix_index_snapshot_keys_deployment_id"),
        "index_snapshot_keys",
        ["deployment_id"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_index_snapshot_keys_deployment_id"), table_name="index_snapshot_keys")
    op.drop_table("index_snapshot_keys")
