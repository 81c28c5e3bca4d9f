"""Edge nodes and their control plane: the sync event logs, each edge's sync state, and the
templates held on edges (ids and dates only).

Revision ID: 0007_edge_sync
Revises: 0006_documents
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_edge_sync"
down_revision: str | Sequence[str] | None = "0006_documents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=False)


def _int(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=False)


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sync_streams",
        sa.Column("stream", sa.String(length=64), nullable=False),
        _int("last_seq"),
        sa.PrimaryKeyConstraint("stream", name=op.f("pk_sync_streams")),
    )
    op.create_table(
        "sync_events",
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        _text("kind"),
        _text("entity"),
        _text("row_id"),
        sa.Column("payload", sa.JSON(), nullable=False),
        _time("at"),
        sa.PrimaryKeyConstraint("stream", "seq", name=op.f("pk_sync_events")),
    )
    op.create_table(
        "sync_peer",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        _text("control_url"),
        _text("device_id"),
        _text("deployment_id"),
        _int("down_applied_seq"),
        _int("up_acknowledged_seq"),
        _time("last_synced_at", nullable=True),
        _time("last_attempt_at", nullable=True),
        _text("last_error"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_peer")),
    )
    op.create_table(
        "edge_devices",
        sa.Column("device_id", sa.String(length=32), nullable=False),
        _int("down_acknowledged_seq"),
        _int("up_applied_seq"),
        _time("last_seen_at", nullable=True),
        _int("audit_seq"),
        sa.Column("audit_hash", sa.String(length=64), nullable=False),
        _int("offline_limit_seconds"),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_edge_devices_device_id_devices")
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_edge_devices")),
    )
    op.create_table(
        "edge_holdings",
        sa.Column("template_id", sa.String(length=32), nullable=False),
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("deployment_id", sa.String(length=32), nullable=False),
        _time("expires_at"),
        _time("reported_at"),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_edge_holdings_device_id_devices")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_edge_holdings_subject_id_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_edge_holdings_deployment_id_deployments"),
        ),
        sa.PrimaryKeyConstraint("template_id", name=op.f("pk_edge_holdings")),
    )
    for column in ("device_id", "subject_id", "deployment_id"):
        op.create_index(op.f(f"ix_edge_holdings_{column}"), "edge_holdings", [column], unique=False)


def downgrade() -> None:
    op.drop_table("edge_holdings")
    op.drop_table("edge_devices")
    op.drop_table("sync_peer")
    op.drop_table("sync_events")
    op.drop_table("sync_streams")
