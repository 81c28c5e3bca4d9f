"""Initial schema: registry, subjects and identities, vault, consents, credentials, audit.

Revision ID: 0001
Revises:
Create Date: 2025-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64


def _id(name: str = "id") -> sa.Column[str]:
    return sa.Column(name, sa.String(length=32), nullable=False)


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=False)


def _flag(name: str) -> sa.Column[bool]:
    return sa.Column(name, sa.Boolean(), nullable=False)


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def _pk(table: str, column: str = "id") -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(column, name=op.f(f"pk_{table}"))


def _indexes(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "controllers",
        _id(),
        _text("name"),
        _text("contact"),
        _text("address"),
        _text("dpo"),
        _time("created_at"),
        _pk("controllers"),
    )
    op.create_table(
        "deployments",
        _id(),
        _id("controller_id"),
        _text("name"),
        _text("purpose_type"),
        _text("purpose"),
        _text("necessity"),
        _text("method"),
        _text("why_not_verify"),
        _text("location_type"),
        _flag("public_place"),
        _text("sector"),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("alternatives", sa.JSON(), nullable=False),
        _text("transfer_mode"),
        _text("transfer_legal_basis"),
        _text("lawful_basis"),
        _flag("written_consent_required"),
        _flag("exterior_camera"),
        sa.Column("mlps_level", sa.Integer(), nullable=True),
        _text("entrusted_processor"),
        sa.Column("notice_version", sa.Integer(), nullable=False),
        sa.Column("gallery_version", sa.Integer(), nullable=False),
        _text("status"),
        _time("created_at"),
        _time("updated_at"),
        _fk("deployments", "controller_id", "controllers"),
        _pk("deployments"),
    )
    _indexes("deployments", "controller_id")
    op.create_table(
        "devices",
        _id(),
        _id("deployment_id"),
        _text("name"),
        _text("location_description"),
        _text("location_type"),
        _flag("public_place"),
        _flag("signage_confirmed"),
        _flag("active"),
        _time("created_at"),
        _fk("devices", "deployment_id", "deployments"),
        _pk("devices"),
    )
    _indexes("devices", "deployment_id")
    op.create_table(
        "subjects",
        _id(),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        _time("created_at"),
        _pk("subjects"),
    )
    op.create_table(
        "identities",
        _id("subject_id"),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        _fk("identities", "subject_id", "subjects"),
        _pk("identities", "subject_id"),
    )
    op.create_table(
        "data_keys",
        _id(),
        _id("subject_id"),
        _id("deployment_id"),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        _time("created_at"),
        _time("destroyed_at", nullable=True),
        _fk("data_keys", "deployment_id", "deployments"),
        _fk("data_keys", "subject_id", "subjects"),
        _pk("data_keys"),
    )
    _indexes("data_keys", "deployment_id", "subject_id")
    op.create_table(
        "templates",
        _id(),
        _id("subject_id"),
        _id("deployment_id"),
        _id("data_key_id"),
        _text("engine"),
        _text("model_version"),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        _time("expires_at"),
        _time("created_at"),
        _fk("templates", "data_key_id", "data_keys"),
        _fk("templates", "deployment_id", "deployments"),
        _fk("templates", "subject_id", "subjects"),
        _pk("templates"),
    )
    _indexes("templates", "data_key_id", "deployment_id", "expires_at", "subject_id")
    op.create_table(
        "consents",
        _id(),
        _id("subject_id"),
        _id("deployment_id"),
        _text("scope"),
        _text("given_by"),
        _text("guardian_relation"),
        _text("form"),
        _text("notice_hash"),
        _flag("alternative_offered"),
        _flag("pre_ticked"),
        _flag("bundled"),
        _time("given_at"),
        _time("withdrawn_at", nullable=True),
        _fk("consents", "deployment_id", "deployments"),
        _fk("consents", "subject_id", "subjects"),
        _pk("consents"),
    )
    _indexes("consents", "deployment_id", "subject_id")
    op.create_table(
        "consent_refusals",
        _id(),
        sa.Column("subject_id", sa.String(length=32), nullable=True),
        _id("deployment_id"),
        _time("refused_at"),
        _text("channel"),
        _fk("consent_refusals", "deployment_id", "deployments"),
        _fk("consent_refusals", "subject_id", "subjects"),
        _pk("consent_refusals"),
    )
    _indexes("consent_refusals", "deployment_id", "subject_id")
    op.create_table(
        "credentials",
        _id(),
        _id("subject_id"),
        _id("deployment_id"),
        _text("kind"),
        _text("secret_hash"),
        sa.Column("lookup_digest", sa.String(length=64), nullable=True),
        _time("created_at"),
        _time("revoked_at", nullable=True),
        _fk("credentials", "deployment_id", "deployments"),
        _fk("credentials", "subject_id", "subjects"),
        _pk("credentials"),
    )
    _indexes("credentials", "deployment_id", "lookup_digest", "subject_id")
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        _time("at"),
        _text("actor"),
        _text("action"),
        _text("objects"),
        _text("decision"),
        _text("articles"),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        _pk("audit_events", "seq"),
    )
    audit_head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        _pk("audit_head"),
    )
    op.bulk_insert(audit_head, [{"id": 1, "last_seq": 0, "last_hash": GENESIS_HASH}])


def downgrade() -> None:
    for table in (
        "audit_head",
        "audit_events",
        "credentials",
        "consent_refusals",
        "consents",
        "templates",
        "data_keys",
        "identities",
        "subjects",
        "devices",
        "deployments",
        "controllers",
    ):
        op.drop_table(table)
