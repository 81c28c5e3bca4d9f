"""Deletion journals of several hosts on one database: the position of every journal but the
first (which stays in key_check), so that each host's journal is replayed after a restore.

Revision ID: 0016_deletion_journals
Revises: 0015_wide_sequences
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_deletion_journals"
down_revision: str | Sequence[str] | None = "0015_wide_sequences"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deletion_journals",
        sa.Column("journal_id", sa.String(length=32), nullable=False),
        sa.Column(
            "journal_seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("journal_id", name=op.f("pk_deletion_journals")),
    )


def downgrade() -> None:
    op.drop_table("deletion_journals")
