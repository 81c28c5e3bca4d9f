"""Tables of the obligations: who is stored per controller (filing.threshold), the filings
and their follow-ups, the operator's checklist of scans, and security incidents.

Processing records have no table: they are derived from the audit log.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from facegate.store.models import ID, Base, new_id
from facegate.store.types import utc_now


class ControllerIndividual(Base, kw_only=True):
    """One row per (controller, subject) while the subject has a stored template under any of
    the controller's deployments: the de-duplicated set ``filing.threshold`` counts."""

    __tablename__ = "controller_individuals"

    controller_id: Mapped[str] = mapped_column(ID, ForeignKey("controllers.id"), primary_key=True)
    subject_id: Mapped[str] = mapped_column(ID, ForeignKey("subjects.id"), primary_key=True)
    since: Mapped[datetime] = mapped_column(default_factory=utc_now)


class ControllerCount(Base, kw_only=True):
    """The size of a controller's set, kept in step with it, and when it first reached the
    filing threshold (set once)."""

    __tablename__ = "controller_counts"

    controller_id: Mapped[str] = mapped_column(ID, ForeignKey("controllers.id"), primary_key=True)
    individuals: Mapped[int] = mapped_column(default=0)
    threshold_reached_at: Mapped[datetime | None] = mapped_column(default=None)


class FilingObligation(Base, kw_only=True):
    """A filing to make: the first one (threshold), a change, or a cancellation."""

    __tablename__ = "filing_obligations"
    __table_args__ = (
        UniqueConstraint(
            "controller_id", "kind", "trigger_key", name="uq_filing_obligations_trigger"
        ),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default_factory=new_id)
    controller_id: Mapped[str] = mapped_column(ID, ForeignKey("controllers.id"), index=True)
    kind: Mapped[str]
    trigger_key: Mapped[str]
    triggered_on: Mapped[date]
    individuals: Mapped[int]
    due: Mapped[date]
    due_provisional: Mapped[bool] = mapped_column(Boolean)
    due_source: Mapped[str]
    status: Mapped[str] = mapped_column(default="open")
    reference: Mapped[str] = mapped_column(default="")
    changes: Mapped[list[str]] = mapped_column(JSON, default_factory=list)
    filed_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    disposed_at: Mapped[datetime | None] = mapped_column(default=None)
    templates_destroyed: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default_factory=utc_now)


class FilingChecklistItem(Base, kw_only=True):
    """A scanned document the operator has ready for the controller's filing."""

    __tablename__ = "filing_checklist"

    controller_id: Mapped[str] = mapped_column(ID, ForeignKey("controllers.id"), primary_key=True)
    item: Mapped[str] = mapped_column(primary_key=True)
    ticked_by: Mapped[str]
    ticked_at: Mapped[datetime] = mapped_column(default_factory=utc_now)


class Incident(Base, kw_only=True):
    """A leak, tampering or loss, with what its notifications must say (PIPL57)."""

    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default_factory=new_id)
    controller_id: Mapped[str] = mapped_column(ID, ForeignKey("controllers.id"), index=True)
    severity: Mapped[str]
    description: Mapped[str]
    occurred_at: Mapped[datetime]
    categories: Mapped[str]
    cause: Mapped[str]
    harm: Mapped[str]
    measures: Mapped[str]
    remedies: Mapped[str]
    contact: Mapped[str]
    deployment_ids: Mapped[list[str]] = mapped_column(JSON, default_factory=list)
    pipia_staled: Mapped[list[str]] = mapped_column(JSON, default_factory=list)
    recorded_by: Mapped[str]
    recorded_at: Mapped[datetime] = mapped_column(default_factory=utc_now)
