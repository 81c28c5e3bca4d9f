"""The gallery's count and order-independent digest of template ids, per deployment, kept by the
change log on every write: a cold start checks its index snapshot against them instead of reading
every template id back (issue 13). Filled here from the templates already stored.

Revision ID: 0017_gallery_digest
Revises: 0016_deletion_journals
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from facegate.store.gallery_digest import digest

revision: str = "0017_gallery_digest"
down_revision: str | Sequence[str] | None = "0016_deletion_journals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        batch.add_column(
            sa.Column("gallery_count", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch.add_column(
            sa.Column("gallery_digest", sa.BigInteger(), server_default="0", nullable=False)
        )
    bind = op.get_bind()
    deployments = sa.table(
        "deployments",
        sa.column("id", sa.String),
        sa.column("gallery_count", sa.BigInteger),
        sa.column("gallery_digest", sa.BigInteger),
    )
    templates = sa.table("templates", sa.column("id", sa.String), sa.column("deployment_id"))
    held = bind.execute(sa.select(templates.c.deployment_id).distinct()).scalars().all()
    for deployment_id in held:
        ids = bind.execute(
            sa.select(templates.c.id).where(templates.c.deployment_id == deployment_id)
        ).scalars()
        listed = list(ids)
        bind.execute(
            sa.update(deployments)
            .where(deployments.c.id == deployment_id)
            .values(gallery_count=len(listed), gallery_digest=digest(listed))
        )


def downgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        batch.drop_column("gallery_digest")
        batch.drop_column("gallery_count")
