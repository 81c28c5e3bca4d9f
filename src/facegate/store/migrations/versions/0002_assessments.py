"""Impact assessments (PIPIA) and versioned transparency notices.

Revision ID: 0002_assessments
Revises: 0001
Create Date: 2025-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_assessments"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(name: str = "id") -> sa.Column[str]:
    return sa.Column(name, sa.String(length=32), nullable=False)


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=False)


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _deployment_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["deployment_id"], ["deployments.id"], name=op.f(f"fk_{table}_deployment_id_deployments")
    )


def upgrade() -> None:
    op.create_table(
        "assessments",
        _id(),
        _id("deployment_id"),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("snapshot_hash", sa.String(length=64), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("aspects", sa.JSON(), nullable=False),
        _text("status"),
        _text("created_by"),
        _text("approver"),
        _text("approver_role"),
        _time("approved_at", nullable=True),
        _time("stale_at", nullable=True),
        _text("stale_reason"),
        _time("created_at"),
        _deployment_fk("assessments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
        sa.UniqueConstraint("deployment_id", "number", name=op.f("uq_assessments_deployment_id")),
    )
    op.create_index(
        op.f("ix_assessments_deployment_id"), "assessments", ["deployment_id"], unique=False
    )
    op.create_table(
        "notice_versions",
        _id(),
        _id("deployment_id"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        _text("published_by"),
        _time("published_at"),
        _deployment_fk("notice_versions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_versions")),
        sa.UniqueConstraint(
            "deployment_id", "version", name=op.f("uq_notice_versions_deployment_id")
        ),
    )
    op.create_index(
        op.f("ix_notice_versions_deployment_id"),
        "notice_versions",
        ["deployment_id"],
        unique=False,
    )
    op.create_index(op.f("ix_notice_versions_sha256"), "notice_versions", ["sha256"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_notice_versions_sha256"), table_name="notice_versions")
    op.drop_index(op.f("ix_notice_versions_deployment_id"), table_name="notice_versions")
    op.drop_table("notice_versions")
    op.drop_index(op.f("ix_assessments_deployment_id"), table_name="assessments")
    op.drop_table("assessments")
