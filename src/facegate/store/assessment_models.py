"""Tables of impact assessments (PIPIA) and transparency notices.

An assessment's four aspects are kept as JSON (``{aspect: {"findings": [{"en", "zh"}],
"measures": [...]}}``), together with the snapshot of the purpose and method it assessed. A
notice version keeps the exact content people were shown, its SHA-256 (what consents bind
to) and the facts it was generated from (to tell when it no longer matches the deployment).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from facegate.store.models import ID, Base, new_id
from facegate.store.types import utc_now


class Assessment(Base, kw_only=True):
    """A personal information protection impact assessment (M9, PIPL55-56)."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("deployment_id", "number"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default_factory=new_id)
    deployment_id: Mapped[str] = mapped_column(ID, ForeignKey("deployments.id"), index=True)
    number: Mapped[int]  # 1, 2, ... per deployment, in the order they were made
    snapshot_hash: Mapped[str] = mapped_column(String(64))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    aspects: Mapped[dict[str, Any]] = mapped_column(JSON)
    # {"risk_level", "may_proceed", "conditions": [{"en", "zh"}], "confirmed"} (see
    # law.pipia.Conclusion); None for assessments made before conclusions were recorded
    conclusion: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    status: Mapped[str] = mapped_column(default="draft")
    created_by: Mapped[str] = mapped_column(default="")
    approver: Mapped[str] = mapped_column(default="")
    approver_role: Mapped[str] = mapped_column(default="")
    approved_at: Mapped[datetime | None] = mapped_column(default=None)
    stale_at: Mapped[datetime | None] = mapped_column(default=None)
    stale_reason: Mapped[str] = mapped_column(default="")
    created_at: Mapped[datetime] = mapped_column(default_factory=utc_now)


class NoticeVersion(Base, kw_only=True):
    """One published version of a deployment's notice (M5, PIPL17)."""

    __tablename__ = "notice_versions"
    __table_args__ = (UniqueConstraint("deployment_id", "version"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default_factory=new_id)
    deployment_id: Mapped[str] = mapped_column(ID, ForeignKey("deployments.id"), index=True)
    version: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_by: Mapped[str] = mapped_column(default="")
    published_at: Mapped[datetime] = mapped_column(default_factory=utc_now)
