"""The console's daily views (issue 15): indexes on the audit log's time and action, so the
access-event log, the audit-log viewer and the processing records read a date range or an
action without walking the whole chain; and ``edge_access_counts``, the daily counts of
attempts that each edge node reports with its sync (an edge's attempts are in its own audit
log, not the control plane's).

Revision ID: 0012_daily_views
Revises: 0011_gallery_log
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_daily_views"
down_revision: str | Sequence[str] | None = "0011_gallery_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTCOMES = ("match", "no_match", "alternative", "refused")


def upgrade() -> None:
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"], unique=False)
    op.create_index(op.f("ix_audit_events_action"), "audit_events", ["action"], unique=False)
    op.create_table(
        "edge_access_counts",
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in OUTCOMES),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_edge_access_counts_device_id_devices")
        ),
        sa.PrimaryKeyConstraint("device_id", "day", name=op.f("pk_edge_access_counts")),
    )


def downgrade() -> None:
    op.drop_table("edge_access_counts")
    op.drop_index(op.f("ix_audit_events_action"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_at"), table_name="audit_events")
