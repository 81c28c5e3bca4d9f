"""Templates in the store and the in-memory index, kept in step across processes.

Every change to a deployment's gallery is written to the gallery change log
(``facegate.store.gallery_log``) in the transaction that makes it, and bumps
``deployments.gallery_version`` (the vault does both when it seals or destroys templates). A
process applies its own change to its index after commit when its index was at the version just
before; otherwise, and for every change another process made, it replays the log's delta from its
index's version before the next search. Only a gap in the log (or a reset) reloads a deployment.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from facegate.service.context import GateContext
from facegate.service.individuals import note_removed
from facegate.store import gallery_log
from facegate.store import models as m


def shred_templates(
    ctx: GateContext, session: Session, subject_id: str, deployment_id: str | None
) -> int:
    """Destroy the subject's data key(s) and templates (the vault logs each gallery's removals,
    which bumps its version)."""
    query = select(m.Template.deployment_id).where(m.Template.subject_id == subject_id)
    if deployment_id is not None:
        query = query.where(m.Template.deployment_id == deployment_id)
    affected = set(session.scalars(query))
    destroyed = ctx.vault.shred(session, subject_id, deployment_id)
    controllers: set[str] = set()
    for dep_id in affected:
        deployment = session.get(m.Deployment, dep_id)
        if deployment is not None:
            controllers.add(deployment.controller_id)
    note_removed(session, subject_id, controllers)
    return destroyed


def sync_index(ctx: GateContext, session: Session, deployment: m.Deployment, at: datetime) -> None:
    """Make this process's index hold exactly the deployment's stored, unexpired templates: replay
    the change log from the version the index holds, or (no version held, or a gap in the log)
    load the deployment from the vault."""
    held = ctx.index_versions.get(deployment.id)
    current = deployment.gallery_version
    if held == current:
        return
    delta = None
    if held is not None:
        delta = gallery_log.changes_since(session, deployment.id, held, current)
    if delta is None:
        ctx.index.clear(deployment.id)
        _load(ctx, session, deployment.id, at)
    else:
        for template_id in delta.removed:
            ctx.index.remove_template(template_id)
        for chunk in gallery_log.chunks(delta.added):
            _load(ctx, session, deployment.id, at, m.Template.id.in_(chunk))
    ctx.index_versions[deployment.id] = current


def _load(
    ctx: GateContext,
    session: Session,
    deployment_id: str,
    at: datetime,
    *where: ColumnElement[bool],
) -> int:
    """Add the deployment's unexpired templates (those matching ``where``) to the index, decrypted
    in bulk; how many."""
    count = 0
    # Only this engine's model: templates of another model are never compared with its faces.
    for opened in ctx.vault.open_templates(
        session,
        m.Template.deployment_id == deployment_id,
        m.Template.expires_at > at,
        m.Template.engine == ctx.engine.model_id,
        *where,
    ):
        ctx.index.add(
            deployment_id, opened.template_id, opened.subject_id, opened.vector, opened.expires_at
        )
        count += 1
    return count


def note_own_change(ctx: GateContext, deployment_id: str, before: int, after: int) -> bool:
    """After commit: may this process apply its own change to the index now? Only when its index
    was at ``before``; otherwise the next ``sync_index`` replays it from the log."""
    if ctx.index_versions.get(deployment_id) == before:
        ctx.index_versions[deployment_id] = after
        return True
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
