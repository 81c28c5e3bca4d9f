"""64-bit sequence numbers on PostgreSQL: the audit chain, the sync logs, the gallery change
log (and the sequence that numbers it) and the deletion journal's position. PostgreSQL's
INTEGER is 32-bit (2.1 billion audit events); SQLite's INTEGER is already 64-bit, so nothing
changes there.

Revision ID: 0015_wide_sequences
Revises: 0014_index_snapshots
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_wide_sequences"
down_revision: str | Sequence[str] | None = "0014_index_snapshots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("audit_events", "seq"),
    ("audit_head", "last_seq"),
    ("sync_streams", "last_seq"),
    ("sync_events", "seq"),
    ("sync_peer", "down_applied_seq"),
    ("sync_peer", "up_acknowledged_seq"),
    ("edge_devices", "down_acknowledged_seq"),
    ("edge_devices", "up_applied_seq"),
    ("edge_devices", "audit_seq"),
    ("key_check", "journal_seq"),
    ("gallery_changes", "seq"),
)
NUMBERED = (("gallery_changes", "seq"),)  # a serial column: its sequence is an integer too


def _change(old: sa.types.TypeEngine[int], new: sa.types.TypeEngine[int]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(table, column, type_=new, existing_type=old, existing_nullable=False)
    kind = "bigint" if isinstance(new, sa.BigInteger) else "integer"
    for table, column in NUMBERED:
        name = op.get_bind().scalar(
            sa.text(f"SELECT pg_get_serial_sequence('{table}', '{column}')")
        )
        if name:
            op.execute(f"ALTER SEQUENCE {name} AS {kind}")


def upgrade() -> None:
    _change(sa.Integer(), sa.BigInteger())


def downgrade() -> None:
    _change(sa.BigInteger(), sa.Integer())
