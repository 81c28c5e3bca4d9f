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
from facegate.service.templates import bump_gallery
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
    now = ctx.now()
    purged = keys = 0
    touched: set[str] = set()
    while True:
        with ctx.unit() as session:
            batch = list(
                session.scalars(select(m.Template).where(m.Template.expires_at <= now).limit(BATCH))
            )
            if not batch:
                break
            pairs = {(row.subject_id, row.deployment_id) for row in batch}
            for row in batch:
                ctx.index.remove_template(row.id)
                session.delete(row)
            session.flush()
            for subject_id, deployment_id in pairs:
                remaining = session.scalar(
                    select(func.count())
                    .select_from(m.Template)
                    .where(
                        m.Template.subject_id == subject_id,
                        m.Template.deployment_id == deployment_id,
                    )
                )
                if not remaining:
                    ctx.vault.shred(session, subject_id, deployment_id)
                    keys += 1
            note_removed_pairs(session, pairs)
            for deployment_id in {d for _, d in pairs}:
                deployment = session.get(m.Deployment, deployment_id)
                if deployment is not None:
                    bump_gallery(session, deployment)
                    ctx.index_versions.pop(deployment_id, None)
                touched.add(deployment_id)
            purged += len(batch)
        if on_progress:
            on_progress(len(batch))
    report = SweepReport(purged, keys, len(touched))
    with ctx.unit() as session:
        record(
            ctx,
            session,
            actor=actor,
            action="retention.sweep",
            objects={k: str(v) for k, v in report.to_dict().items()},
            articles=law.rule("storage.retention_minimum").articles,
        )
    return report
