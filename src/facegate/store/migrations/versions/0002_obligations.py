"""Obligations: per-controller stored individuals, filings, the filing checklist, incidents.

The per-controller set is back-filled from the templates already stored.

Revision ID: 0002_obligations
Revises: 0001
Create Date: 2026-01-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_obligations"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(name: str = "id") -> sa.Column[str]:
    return sa.Column(name, sa.String(length=32), nullable=False)


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=False)


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _controller_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["controller_id"], ["controllers.id"], name=op.f(f"fk_{table}_controller_id_controllers")
    )


def upgrade() -> None:
    op.create_table(
        "controller_individuals",
        _id("controller_id"),
        _id("subject_id"),
        _time("since"),
        _controller_fk("controller_individuals"),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_controller_individuals_subject_id_subjects"),
        ),
        sa.PrimaryKeyConstraint(
            "controller_id", "subject_id", name=op.f("pk_controller_individuals")
        ),
    )
    op.create_table(
        "controller_counts",
        _id("controller_id"),
        sa.Column("individuals", sa.Integer(), nullable=False),
        _time("threshold_reached_at", nullable=True),
        _controller_fk("controller_counts"),
        sa.PrimaryKeyConstraint("controller_id", name=op.f("pk_controller_counts")),
    )
    op.create_table(
        "filing_obligations",
        _id(),
        _id("controller_id"),
        _text("kind"),
        _text("trigger_key"),
        sa.Column("triggered_on", sa.Date(), nullable=False),
        sa.Column("individuals", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        _text("due_source"),
        _text("status"),
        _text("reference"),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("filed_snapshot", sa.JSON(), nullable=True),
        _time("submitted_at", nullable=True),
        _time("accepted_at", nullable=True),
        _time("disposed_at", nullable=True),
        sa.Column("templates_destroyed", sa.Integer(), nullable=True),
        _time("created_at"),
        _controller_fk("filing_obligations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filing_obligations")),
        sa.UniqueConstraint(
            "controller_id", "kind", "trigger_key", name="uq_filing_obligations_trigger"
        ),
    )
    op.create_index(
        op.f("ix_filing_obligations_controller_id"),
        "filing_obligations",
        ["controller_id"],
        unique=False,
    )
    op.create_table(
        "filing_checklist",
        _id("controller_id"),
        _text("item"),
        _text("ticked_by"),
        _time("ticked_at"),
        _controller_fk("filing_checklist"),
        sa.PrimaryKeyConstraint("controller_id", "item", name=op.f("pk_filing_checklist")),
    )
    op.create_table(
        "incidents",
        _id(),
        _id("controller_id"),
        _text("severity"),
        _text("description"),
        _time("occurred_at"),
        _text("categories"),
        _text("cause"),
        _text("harm"),
        _text("measures"),
        _text("remedies"),
        _text("contact"),
        sa.Column("deployment_ids", sa.JSON(), nullable=False),
        sa.Column("pipia_staled", sa.JSON(), nullable=False),
        _text("recorded_by"),
        _time("recorded_at"),
        _controller_fk("incidents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index(
        op.f("ix_incidents_controller_id"), "incidents", ["controller_id"], unique=False
    )
    # Back-fill who is stored per controller from the templates already there.
    op.execute(
        "INSERT INTO controller_individuals (controller_id, subject_id, since) "
        "SELECT d.controller_id, t.subject_id, MIN(t.created_at) FROM templates t "
        "JOIN deployments d ON d.id = t.deployment_id GROUP BY d.controller_id, t.subject_id"
    )
    op.execute(
        "INSERT INTO controller_counts (controller_id, individuals) "
        "SELECT controller_id, COUNT(*) FROM controller_individuals GROUP BY controller_id"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_incidents_controller_id"), table_name="incidents")
    op.drop_table("incidents")
    op.drop_table("filing_checklist")
    op.drop_index(op.f("ix_filing_obligations_controller_id"), table_name="filing_obligations")
    op.drop_table("filing_obligations")
    op.drop_table("controller_counts")
    op.drop_table("controller_individuals")
