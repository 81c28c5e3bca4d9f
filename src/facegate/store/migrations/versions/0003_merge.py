"""Join the three feature branches (access, assessments, obligations) into one head, so the next
migration has a single parent.

Revision ID: 0003_merge
Revises: 0002_access, 0002_assessments, 0002_obligations
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0003_merge"
down_revision: str | Sequence[str] | None = ("0002_access", "0002_assessments", "0002_obligations")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
