"""The gallery change log (issue 13): one row per template added to or removed from a
deployment's gallery, keyed by the deployment's gallery version, so other processes apply deltas
instead of reloading.

Existing galleries have no entries: a process holding an older version finds a gap and reloads
once, then follows the log.

Revision ID: 0011_gallery_log
Revises: 0010_people
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_gallery_log"
down_revision: str | Sequence[str] | None = "0010_people"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gallery_changes",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deployment_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("template_id", sa.String(length=32), nullable=True),
        sa.Column("subject_id", sa.String(length=32), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_gallery_changes_deployment_id_deployments"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_gallery_changes")),
    )
    op.create_index(
        "ix_gallery_changes_deployment_version",
        "gallery_changes",
        ["deployment_id", "version"],
    )


def downgrade() -> None:
    op.drop_index("ix_gallery_changes_deployment_version", table_name="gallery_changes")
    op.drop_table("gallery_changes")
