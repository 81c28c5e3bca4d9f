"""Legal fidelity (issue 12): capture mode, retention justification, the legal basis for having
no alternative, suspension and purpose-change times on deployments; the purpose-and-method
snapshot on consents; the "14 or older" attestation and erasure time on subjects; approved
legal bases and transfer recipients.

Existing consents are bound to their deployment's purpose and method as they are now.

Revision ID: 0009_legal
Revises: 0008_identification
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from facegate.law.consent import consent_snapshot_hash

revision: str = "0009_legal"
down_revision: str | Sequence[str] | None = "0008_identification"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, default: str = "") -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=False, server_default=default)


def upgrade() -> None:
    op.add_column("deployments", _text("capture_mode", "explicit_act"))
    op.add_column("deployments", _text("retention_justification"))
    op.add_column("deployments", _text("alternative_legal_basis"))
    op.add_column("deployments", _time("suspended_at", nullable=True))
    op.add_column("deployments", _time("purpose_changed_at", nullable=True))
    op.add_column(
        "consents",
        sa.Column("purpose_snapshot", sa.String(length=64), nullable=False, server_default=""),
    )
    op.add_column(
        "subjects",
        sa.Column("age_attested", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("subjects", _time("deleted_at", nullable=True))
    op.create_table(
        "legal_bases",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("controller_id", sa.String(length=32), nullable=False),
        sa.Column("use", sa.Text(), nullable=False),
        sa.Column("law", sa.Text(), nullable=False),
        sa.Column("article", sa.Text(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.Text(), nullable=False),
        _time("proposed_at"),
        sa.Column("approved_by", sa.Text(), nullable=False),
        _time("approved_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["controller_id"],
            ["controllers.id"],
            name=op.f("fk_legal_bases_controller_id_controllers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_bases")),
    )
    op.create_index(
        op.f("ix_legal_bases_controller_id"), "legal_bases", ["controller_id"], unique=False
    )
    op.create_table(
        "transfer_recipients",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("controller_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("registered_by", sa.Text(), nullable=False),
        _time("registered_at"),
        _time("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["controller_id"],
            ["controllers.id"],
            name=op.f("fk_transfer_recipients_controller_id_controllers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_recipients")),
    )
    op.create_index(
        op.f("ix_transfer_recipients_controller_id"),
        "transfer_recipients",
        ["controller_id"],
        unique=False,
    )
    _bind_existing_consents()


def _bind_existing_consents() -> None:
    connection = op.get_bind()
    deployments = sa.table(
        "deployments",
        sa.column("id", sa.String),
        sa.column("purpose_type", sa.Text),
        sa.column("purpose", sa.Text),
        sa.column("method", sa.Text),
        sa.column("capture_mode", sa.Text),
        sa.column("transfer_mode", sa.Text),
    )
    consents = sa.table(
        "consents",
        sa.column("deployment_id", sa.String),
        sa.column("purpose_snapshot", sa.String),
    )
    for row in connection.execute(sa.select(deployments)).mappings().all():
        connection.execute(
            consents.update()
            .where(consents.c.deployment_id == row["id"])
            .values(purpose_snapshot=consent_snapshot_hash(dict(row)))
        )


def downgrade() -> None:
    op.drop_table("transfer_recipients")
    op.drop_table("legal_bases")
    with op.batch_alter_table("subjects") as batch:
        batch.drop_column("deleted_at")
        batch.drop_column("age_attested")
    with op.batch_alter_table("consents") as batch:
        batch.drop_column("purpose_snapshot")
    with op.batch_alter_table("deployments") as batch:
        for name in (
            "purpose_changed_at",
            "suspended_at",
            "alternative_legal_basis",
            "retention_justification",
            "capture_mode",
        ):
            batch.drop_column(name)
