"""Access control of the REST service: API keys and security events.

Revision ID: 0002_access
Revises: 0001
Create Date: 2025-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_access"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=False)


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        _text("role"),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=32), nullable=True),
        sa.Column("subject_id", sa.String(length=32), nullable=True),
        _text("label"),
        _time("created_at"),
        _time("last_used_at", nullable=True),
        _time("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_api_keys_device_id_devices")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_api_keys_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
    )
    op.create_index(op.f("ix_api_keys_device_id"), "api_keys", ["device_id"], unique=False)
    op.create_index(op.f("ix_api_keys_subject_id"), "api_keys", ["subject_id"], unique=False)
    op.create_table(
        "security_events",
        sa.Column("id", sa.String(length=32), nullable=False),
        _time("at"),
        _text("kind"),
        _text("key_id"),
        _text("role"),
        _text("device_id"),
        _text("subject_id"),
        _text("source"),
        _text("detail"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_events")),
    )
    op.create_index(op.f("ix_security_events_at"), "security_events", ["at"], unique=False)
    op.create_index(op.f("ix_security_events_kind"), "security_events", ["kind"], unique=False)


def downgrade() -> None:
    op.drop_table("security_events")
    op.drop_table("api_keys")
