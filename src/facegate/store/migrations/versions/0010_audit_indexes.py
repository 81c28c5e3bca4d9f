"""The console's daily views (issue 15): indexes on the audit log's time and action, so the
access-event log, the audit-log viewer and the processing records read a date range or an
action without walking the whole chain.

Revision ID: 0010_audit_indexes
Revises: 0009_legal
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010_audit_indexes"
down_revision: str | Sequence[str] | None = "0009_legal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"], unique=False)
    op.create_index(op.f("ix_audit_events_action"), "audit_events", ["action"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_events_action"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_at"), table_name="audit_events")
