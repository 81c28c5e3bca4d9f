"""Durability and shared security state: the master key's check value and the deletion
journal's position, the wrapped key ring, which master key wraps each data key and identity,
rate limits and lockouts shared by every process, server-side console sessions.

Revision ID: 0005_durability
Revises: 0004_liveness
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_durability"
down_revision: str | Sequence[str] | None = "0004_liveness"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "key_check",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("next_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("journal_id", sa.String(length=32), nullable=False),
        sa.Column("journal_seq", sa.Integer(), nullable=False),
        _time("created_at"),
        _time("rotated_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_check")),
    )
    op.create_table(
        "key_ring",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("kek", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_key_ring")),
    )
    op.create_table(
        "throttle_state",
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("stamp", sa.Float(), nullable=False),
        sa.Column("hits", sa.Text(), nullable=False),
        sa.Column("until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_throttle_state")),
    )
    op.create_index(op.f("ix_throttle_state_stamp"), "throttle_state", ["stamp"], unique=False)
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        _time("created_at"),
        _time("expires_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
    )
    op.create_index(op.f("ix_web_sessions_key_id"), "web_sessions", ["key_id"], unique=False)
    op.create_index(
        op.f("ix_web_sessions_expires_at"), "web_sessions", ["expires_at"], unique=False
    )
    with op.batch_alter_table("data_keys") as batch:
        batch.add_column(sa.Column("kek", sa.String(length=64), nullable=True))
    with op.batch_alter_table("identities") as batch:
        batch.add_column(sa.Column("kek", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("identities") as batch:
        batch.drop_column("kek")
    with op.batch_alter_table("data_keys") as batch:
        batch.drop_column("kek")
    op.drop_table("web_sessions")
    op.drop_table("throttle_state")
    op.drop_table("key_ring")
    op.drop_table("key_check")
