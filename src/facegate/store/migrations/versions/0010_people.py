"""People and staff (issue 15): person records (blind indexes; identity sealed in
``identities`` as before), one-time enrolment codes (keyed digests), named console users
(argon2id password, sealed TOTP secret), and console sessions of a named user.

Revision ID: 0010_people
Revises: 0009_legal
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_people"
down_revision: str | Sequence[str] | None = "0009_legal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _id(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(length=32), nullable=nullable)


def _text(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Text(), nullable=False)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def _index(table: str, column: str, *, unique: bool = False) -> None:
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=unique)


def upgrade() -> None:
    op.create_table(
        "people",
        _id("id"),
        _id("controller_id"),
        _id("subject_id"),
        _text("kind"),
        sa.Column("name_index", sa.String(length=64), nullable=False),
        sa.Column("card_index", sa.String(length=64), nullable=True),
        _text("created_by"),
        _time("created_at"),
        _time("updated_at"),
        _fk("people", "controller_id", "controllers"),
        _fk("people", "subject_id", "subjects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    _index("people", "controller_id")
    _index("people", "subject_id", unique=True)
    _index("people", "name_index")
    _index("people", "card_index")
    op.create_table(
        "enrolment_codes",
        _id("id"),
        _id("deployment_id"),
        _id("subject_id"),
        _id("consent_id"),
        sa.Column("digest", sa.String(length=64), nullable=False),
        _text("issued_by"),
        _time("issued_at"),
        _time("expires_at"),
        _time("redeemed_at", nullable=True),
        _id("redeemed_device_id", nullable=True),
        _time("revoked_at", nullable=True),
        _fk("enrolment_codes", "deployment_id", "deployments"),
        _fk("enrolment_codes", "subject_id", "subjects"),
        _fk("enrolment_codes", "consent_id", "consents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment_codes")),
    )
    for column in ("deployment_id", "subject_id", "consent_id", "expires_at"):
        _index("enrolment_codes", column)
    _index("enrolment_codes", "digest", unique=True)
    op.create_table(
        "console_users",
        _id("id"),
        sa.Column("username", sa.String(length=64), nullable=False),
        _text("display_name"),
        _text("role"),
        _text("password_hash"),
        sa.Column("totp_nonce", sa.LargeBinary(), nullable=False),
        sa.Column("totp_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("totp_last_step", sa.Integer(), nullable=False),
        sa.Column("totp_confirmed", sa.Boolean(), nullable=False),
        _text("created_by"),
        _time("created_at"),
        _time("password_changed_at"),
        _time("last_login_at", nullable=True),
        _time("disabled_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_users")),
    )
    _index("console_users", "username", unique=True)
    with op.batch_alter_table("web_sessions") as batch:
        batch.add_column(sa.Column("user_id", sa.String(length=32), nullable=True))
        batch.create_index(batch.f("ix_web_sessions_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("web_sessions") as batch:
        batch.drop_index(batch.f("ix_web_sessions_user_id"))
        batch.drop_column("user_id")
    op.drop_table("console_users")
    op.drop_table("enrolment_codes")
    op.drop_table("people")
