"""Templates in the store and the in-memory index, kept in step across processes.

Every change to a deployment's gallery bumps ``deployments.gallery_version`` in the same
transaction. A process applies its own change to its index only if the version moved by
exactly that change; otherwise (another process wrote in between) the deployment's part of the
index is reloaded from the vault before the next search.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate.service.context import GateContext
from facegate.service.facts import aware
from facegate.service.individuals import note_removed
from facegate.store import models as m


def bump_gallery(session: Session, deployment: m.Deployment) -> tuple[int, int]:
    """Increment the deployment's gallery version; (before, after)."""
    before = deployment.gallery_version
    deployment.gallery_version = before + 1
    return before, before + 1


def bump_galleries(ctx: GateContext, session: Session, deployment_ids: Iterable[str]) -> None:
    """Bump each deployment's gallery version; this process reloads them before searching."""
    for deployment_id in set(deployment_ids):
        deployment = session.get(m.Deployment, deployment_id)
        if deployment is not None:
            bump_gallery(session, deployment)
            ctx.index_versions.pop(deployment_id, None)


def shred_templates(
    ctx: GateContext, session: Session, subject_id: str, deployment_id: str | None
) -> int:
    """Destroy the subject's data key(s) and templates; bumps each affected gallery."""
    query = select(m.Template.deployment_id).where(m.Template.subject_id == subject_id)
    if deployment_id is not None:
        query = query.where(m.Template.deployment_id == deployment_id)
    affected = set(session.scalars(query))
    destroyed = ctx.vault.shred(session, subject_id, deployment_id)
    controllers: set[str] = set()
    for dep_id in affected:
        deployment = session.get(m.Deployment, dep_id)
        if deployment is not None:
            bump_gallery(session, deployment)
            ctx.index_versions.pop(dep_id, None)  # reload before the next search
            controllers.add(deployment.controller_id)
    note_removed(session, subject_id, controllers)
    return destroyed


def sync_index(ctx: GateContext, session: Session, deployment: m.Deployment, at: datetime) -> None:
    """Make this process's index hold exactly the deployment's stored, unexpired templates."""
    if ctx.index_versions.get(deployment.id) == deployment.gallery_version:
        return
    ctx.index.clear(deployment.id)
    # Only this engine's model: templates of another model are never compared with its faces.
    rows = session.scalars(
        select(m.Template).where(
            m.Template.deployment_id == deployment.id,
            m.Template.expires_at > at,
            m.Template.engine == ctx.engine.model_id,
        )
    )
    for row in rows:
        expires_at = aware(row.expires_at)
        assert expires_at is not None
        ctx.index.add(
            deployment.id, row.id, row.subject_id, ctx.vault.open_template(session, row), expires_at
        )
    ctx.index_versions[deployment.id] = deployment.gallery_version


def note_own_change(ctx: GateContext, deployment_id: str, before: int, after: int) -> bool:
    """After commit: may this process apply its own change to the index incrementally?"""
    if ctx.index_versions.get(deployment_id) == before:
        ctx.index_versions[deployment_id] = after
        return True
    ctx.index_versions.pop(deployment_id, None)
    return False


def shred_deployment(
    ctx: GateContext, session: Session, deployment_id: str, subject_ids: set[str] | None = None
) -> tuple[int, int]:
    """Destroy the templates and data keys of every subject of the deployment (or of those in
    ``subject_ids``): (subjects, templates destroyed)."""
    query = select(m.DataKey.subject_id).where(
        m.DataKey.deployment_id == deployment_id, m.DataKey.destroyed_at.is_(None)
    )
    holders = set(session.scalars(query)) | set(
        session.scalars(
            select(m.Template.subject_id).where(m.Template.deployment_id == deployment_id)
        )
    )
    if subject_ids is not None:
        holders &= subject_ids
    destroyed = 0
    for subject_id in sorted(holders):
        destroyed += shred_templates(ctx, session, subject_id, deployment_id)
        ctx.index.remove_subject(subject_id, deployment_id)
    return len(holders), destroyed
