"""Retention: templates expire with their deployment's retention period; the sweep purges them.

Expired templates never match even before the sweep (the index and every query skip them);
the sweep removes the rows and destroys a data key once no template needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from facegate import law
from facegate.service.context import GateContext, record
from facegate.service.individuals import note_removed_pairs
from facegate.service.templates import bump_galleries
from facegate.store import models as m

BATCH = 500


@dataclass(frozen=True)
class SweepReport:
    expired_templates: int
    keys_destroyed: int
    deployments: int

    def to_dict(self) -> dict[str, int]:
        return {
            "expired_templates": self.expired_templates,
            "keys_destroyed": self.keys_destroyed,
            "deployments": self.deployments,
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
            bump_galleries(ctx, session, batch_deployments)
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
    return SweepReport(purged, keys, len(touched))
