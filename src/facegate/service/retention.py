"""Retention: templates expire with their deployment's retention period; the sweep purges them.

Expired templates never match even before the sweep (the index and every query skip them);
the sweep removes the rows and destroys a data key once no template needs it. The sweep also
destroys the templates of people who did not consent again within ``reconsent_days`` of a
change of purpose or method (``consent.purpose_change``), and those of a deployment suspended
for longer than ``suspension_max_days`` (PIPL47; M8).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from facegate import law
from facegate.service.consents import subject_consents
from facegate.service.context import GateContext, record
from facegate.service.facts import consents_facts, deployment_facts
from facegate.service.individuals import note_removed_pairs
from facegate.service.templates import shred_deployment
from facegate.store import models as m

BATCH = 500


@dataclass(frozen=True)
class SweepReport:
    expired_templates: int
    keys_destroyed: int
    deployments: int
    not_renewed: int = 0  # templates of people who did not consent again after a change
    suspended: int = 0  # templates of deployments suspended beyond the set period

    def to_dict(self) -> dict[str, int]:
        return {
            "expired_templates": self.expired_templates,
            "keys_destroyed": self.keys_destroyed,
            "deployments": self.deployments,
            "not_renewed": self.not_renewed,
            "suspended": self.suspended,
        }


def due_count(ctx: GateContext) -> int:
    with ctx.db.transaction() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(m.Template)
                .where(m.Template.expires_at <= ctx.now())
            )
            or 0
        )


def sweep(
    ctx: GateContext, *, actor: str, on_progress: Callable[[int], None] | None = None
) -> SweepReport:
    """Purge expired templates in batches. Each batch deletes its templates, destroys the keys
    no template needs any more and records its audit event in one transaction (journalled), so
    a crash never leaves a purge without its record; a sweep with nothing due records one."""
    now = ctx.now()
    not_renewed = _purge_not_renewed(ctx, now, actor=actor)
    suspended = _purge_long_suspended(ctx, now, actor=actor)
    purged = keys = 0
    touched: set[str] = set()
    batches = 0
    while True:
        with ctx.unit() as session:
            batch = list(
                session.scalars(select(m.Template).where(m.Template.expires_at <= now).limit(BATCH))
            )
            if not batch and batches:
                break
            pairs = {(row.subject_id, row.deployment_id) for row in batch}
            doomed_keys: list[m.DataKey] = []
            for subject_id, deployment_id in pairs:
                remaining = session.scalar(
                    select(func.count())
                    .select_from(m.Template)
                    .where(
                        m.Template.subject_id == subject_id,
                        m.Template.deployment_id == deployment_id,
                        m.Template.expires_at > now,
                    )
                )
                if not remaining:
                    doomed_keys.extend(
                        session.scalars(
                            select(m.DataKey).where(
                                m.DataKey.subject_id == subject_id,
                                m.DataKey.deployment_id == deployment_id,
                                m.DataKey.destroyed_at.is_(None),
                            )
                        )
                    )
            deleted = ctx.vault.destroy_keys(session, doomed_keys, batch)
            note_removed_pairs(session, pairs)
            batch_deployments = {d for _, d in pairs}
            record(
                ctx,
                session,
                actor=actor,
                action="retention.sweep",
                objects={
                    "expired_templates": str(deleted),
                    "keys_destroyed": str(len(doomed_keys)),
                    "deployments": str(len(batch_deployments)),
                    "batch": str(batches + 1),
                },
                articles=law.rule("storage.retention_minimum").articles,
            )
        batches += 1
        for row in batch:
            ctx.index.remove_template(row.id)
        for key_row in doomed_keys:
            ctx.index.remove_subject(key_row.subject_id, key_row.deployment_id)
        purged += deleted
        keys += len(doomed_keys)
        touched |= batch_deployments
        if on_progress and deleted:
            on_progress(deleted)
        if not batch:
            break
    return SweepReport(purged, keys, len(touched), not_renewed, suspended)


def _purge_not_renewed(ctx: GateContext, now: datetime, *, actor: str) -> int:
    """After a change of purpose or method, the people who have not consented again within
    ``reconsent_days`` lose their templates (PIPL14 para. 2, PIPL47)."""
    destroyed = 0
    cutoff = now - timedelta(days=ctx.reconsent_days)
    with ctx.unit() as session:
        changed = session.scalars(
            select(m.Deployment).where(
                m.Deployment.purpose_changed_at.is_not(None),
                m.Deployment.purpose_changed_at <= cutoff,
            )
        ).all()
        for deployment in changed:
            facts = deployment_facts(deployment)
            holders = set(
                session.scalars(
                    select(m.Template.subject_id).where(m.Template.deployment_id == deployment.id)
                )
            )
            lapsed = set()
            for subject_id in holders:
                consents = consents_facts(subject_consents(session, subject_id, deployment.id))
                consent = law.valid_processing_consent(consents, subject_id, deployment.id, now)
                if not law.check_consent_current(consent, facts).allowed:
                    lapsed.add(subject_id)
            if not lapsed:
                continue
            destroyed += _purge(
                ctx, session, deployment.id, lapsed, "consent.not_renewed",
                "consent.purpose_change", actor=actor,
            )  # fmt: skip
    return destroyed


def _purge_long_suspended(ctx: GateContext, now: datetime, *, actor: str) -> int:
    """A deployment suspended for longer than ``suspension_max_days`` no longer needs its face
    data: destroyed as on stopping (PIPL47; M8)."""
    destroyed = 0
    cutoff = now - timedelta(days=ctx.suspension_max_days)
    with ctx.unit() as session:
        for deployment in session.scalars(
            select(m.Deployment).where(
                m.Deployment.status == "suspended",
                m.Deployment.suspended_at.is_not(None),
                m.Deployment.suspended_at <= cutoff,
            )
        ).all():
            destroyed += _purge(
                ctx, session, deployment.id, None, "deployment.suspension_lapsed",
                "storage.retention_minimum", actor=actor,
            )  # fmt: skip
    return destroyed


def _purge(
    ctx: GateContext,
    session: Session,
    deployment_id: str,
    subject_ids: set[str] | None,
    action: str,
    rule_code: str,
    *,
    actor: str,
) -> int:
    """Destroy the templates (of ``subject_ids``, or all) of a deployment; audited when any."""
    subjects, count = shred_deployment(ctx, session, deployment_id, subject_ids)
    if subjects:
        record(
            ctx,
            session,
            actor=actor,
            action=action,
            objects={
                "deployment": deployment_id,
                "subjects": str(subjects),
                "templates_destroyed": str(count),
            },
            articles=law.rule(rule_code).articles,
        )
    return count
