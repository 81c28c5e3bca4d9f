"""Making impact assessments stale: when anything they weighed changes, or after a major
incident (M9, ``pipia.renew``); and noting a change of purpose or method that people must
consent to again (``consent.purpose_change``). Called inside the caller's transaction, so the
change and the staleness commit (or roll back) together."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate import law
from facegate.law.consent import CONSENT_SNAPSHOT_FIELDS
from facegate.law.pipia import RENEWAL_FIELDS, PipiaStatus, snapshot_hash
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
    """What the deployment's assessment and its people's consents depend on, as plain strings
    (fields the deployment does not have yet are left out)."""
    names = dict.fromkeys((*RENEWAL_FIELDS, *CONSENT_SNAPSHOT_FIELDS))
    return {name: _plain(getattr(row, name)) for name in names if hasattr(row, name)}


def _plain(value: object) -> str:
    return "" if value is None else str(value).strip()


def note_deployment_change(
    ctx: GateContext, session: Session, row: m.Deployment, before: Mapping[str, str], *, actor: str
) -> None:
    """After ``row`` was updated (``before`` from :func:`purpose_and_method`):

    - anything the assessment weighed changed (``RENEWAL_FIELDS``): its assessments go stale
      at once (``pipia.renew``); if the purpose or method changed, a new notice version is due;
    - the purpose-and-method snapshot people consented to changed: their consents no longer
      cover the processing until renewed (``consent.purpose_change``).
    """
    after = purpose_and_method(row)
    now = ctx.now()
    changed = sorted(k for k in RENEWAL_FIELDS if k in after and after[k] != before.get(k, ""))
    if changed:
        reason = f"the {' and '.join(f.replace('_', ' ') for f in changed)} changed"
        staled = mark_pipias_stale(session, row.id, reason, at=now)
        if snapshot_hash(after) != snapshot_hash(before):
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
    if law.consent_snapshot_hash(before) != law.consent_snapshot_hash(after):
        row.purpose_changed_at = now
        record(
            ctx,
            session,
            actor=actor,
            action="consent.purpose_change",
            objects={
                "deployment": row.id,
                "renew_by": law.reconsent_deadline(now, ctx.reconsent_days).isoformat(),
            },
            articles=law.rule("consent.purpose_change").articles,
            decision="info",
        )
