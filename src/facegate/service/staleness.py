"""Making impact assessments stale: when the purpose or method changes, or after a major
incident (M9, ``pipia.renew``). Called inside the caller's transaction, so the change and the
staleness commit (or roll back) together."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate import law
from facegate.law.pipia import SNAPSHOT_FIELDS, PipiaStatus, snapshot_hash
from facegate.service.context import GateContext, record
from facegate.store import models as m
from facegate.store.assessment_models import Assessment
from facegate.store.types import utc_now


def mark_pipias_stale(
    session: Session, deployment_id: str, reason: str, *, at: datetime | None = None
) -> list[str]:
    """Make every live (draft or approved) assessment of the deployment stale, with ``reason``;
    the ids of those made stale. Processing stops until a new assessment is approved.

    For other use cases (a major incident stales the assessments of the deployments it
    touches): call it in the transaction that records the cause, and audit the ids returned.
    """
    rows = session.scalars(
        select(Assessment).where(
            Assessment.deployment_id == deployment_id,
            Assessment.status != PipiaStatus.STALE.value,
        )
    )
    staled = []
    for row in rows:
        row.status = PipiaStatus.STALE.value
        row.stale_reason = reason
        row.stale_at = at or utc_now()
        staled.append(row.id)
    return staled


def purpose_and_method(row: m.Deployment) -> dict[str, str]:
    return {name: str(getattr(row, name) or "").strip() for name in SNAPSHOT_FIELDS}


def note_deployment_change(
    ctx: GateContext, session: Session, row: m.Deployment, before: Mapping[str, str], *, actor: str
) -> None:
    """After ``row`` was updated: if its purpose or method differ from ``before`` (see
    :func:`purpose_and_method`), its assessments go stale at once and a new notice version is
    due."""
    after = purpose_and_method(row)
    if snapshot_hash(after) == snapshot_hash(before):
        return
    changed = sorted(k for k in SNAPSHOT_FIELDS if after[k] != before.get(k, ""))
    now = ctx.now()
    reason = f"the {' and '.join(f.replace('_', ' ') for f in changed)} changed"
    staled = mark_pipias_stale(session, row.id, reason, at=now)
    row.notice_version = (row.notice_version or 0) + 1
    record(
        ctx,
        session,
        actor=actor,
        action="pipia.stale",
        objects={"deployment": row.id, "assessments": ",".join(staled), "reason": reason},
        articles=law.rule("pipia.renew").articles,
        decision="info",
    )
