"""Templates in the store and the in-memory index, kept in step across processes.

Every change to a deployment's gallery is written to the gallery change log
(``facegate.store.gallery_log``) in the transaction that makes it, and bumps
``deployments.gallery_version`` (the vault does both when it seals or destroys templates). A
process applies its own change to its index after commit when its index was at the version just
before; otherwise, and for every change another process made, it replays the log's delta from its
index's version before the next search. Only a gap in the log (or a reset) reloads a deployment.

Cold start: a process that holds nothing of a deployment yet opens its encrypted snapshot
(``facegate.store.index_snapshot``), replays the log from the snapshot's version and checks that
it then holds exactly the vault's unexpired template ids; any failure (no snapshot, key destroyed
by a removal, tampered, a gap in the log, different ids) loads the deployment from the vault
instead, and a deployment of at least ``GateContext.snapshot_from`` templates loaded from the
vault (or changed since its snapshot, at ``Gate.close``) is snapshotted again.
"""

from __future__ import annotations

import logging
from datetime import datetime
from itertools import compress

import numpy as np
from sqlalchemy import ColumnElement, CompoundSelect, func, select, union_all
from sqlalchemy.orm import Session

from facegate.service import snapshot_keeper
from facegate.service.context import GateContext
from facegate.service.individuals import note_removed
from facegate.store import gallery_digest, gallery_log
from facegate.store import models as m
from facegate.store.index import ShardState
from facegate.store.index_snapshot import (
    SnapshotStale,
    SnapshotUnusable,
    check_current,
    commit_snapshot,
    key_is_live,
    read_header,
    read_snapshot,
    seal_snapshot,
    snapshot_path,
    sole_writer,
)
from facegate.store.vault import OpenTemplate

log = logging.getLogger(__name__)
_BATCH = 10_000


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
    the change log from the version the index holds; with nothing held yet, start from the
    deployment's snapshot; failing both, load the deployment from the vault."""
    held = ctx.index_versions.get(deployment.id)
    current = deployment.gallery_version
    if held == current:
        return
    if held is None and _restore(ctx, session, deployment, at):
        ctx.index_versions[deployment.id] = current
        snapshot_keeper.watch(ctx, deployment.id)
        return
    delta = None
    if held is not None:
        delta = gallery_log.changes_since(session, deployment.id, held, current)
    if delta is None:
        ctx.index.clear(deployment.id)
        loaded = _load(ctx, session, deployment.id, at)
        ctx.index_versions[deployment.id] = current
        if loaded >= ctx.snapshot_from and ctx.snapshot_dir is not None:
            with sole_writer(ctx.snapshot_dir, deployment.id, ctx) as mine:
                if mine:  # else another process's keeper is writing it now
                    save_snapshot(ctx, deployment.id)
    else:
        _apply(ctx, session, deployment.id, at, delta)
        ctx.index_versions[deployment.id] = current
    snapshot_keeper.watch(ctx, deployment.id)


def _apply(
    ctx: GateContext, session: Session, deployment_id: str, at: datetime, delta: gallery_log.Delta
) -> None:
    ctx.index.remove_templates(delta.removed)
    for chunk in gallery_log.chunks(delta.added):
        _load(ctx, session, deployment_id, at, m.Template.id.in_(chunk), retune=False)
    ctx.index.retune(deployment_id)


def _restore(ctx: GateContext, session: Session, deployment: m.Deployment, at: datetime) -> bool:
    """Load the deployment from its snapshot, brought up to date by the change log and checked
    against the vault; False (nothing held) when it cannot be used."""
    if ctx.snapshot_dir is None:
        return False
    path = snapshot_path(ctx.snapshot_dir, deployment.id)
    if not path.is_file():
        return False
    try:
        header, state = read_snapshot(session, ctx.vault, path, deployment.id)
        if header.model != ctx.engine.model_id:
            raise SnapshotUnusable("the snapshot holds another model's templates")
        delta = gallery_log.changes_since(
            session, deployment.id, header.gallery_version, deployment.gallery_version
        )
        if delta is None:
            raise SnapshotUnusable("the change log does not reach back to the snapshot")
        ctx.index.load_shard(deployment.id, state)
        _apply(ctx, session, deployment.id, at, delta)
        # Nothing changed since the snapshot: the index holds exactly its rows, whose ids are
        # at hand (no need to read 1M ids back out of the index).
        held = _held_digest(ctx, deployment.id, at) if delta else _state_digest(state, at)
        if held != _stored_digest(ctx, session, deployment, at):
            raise SnapshotUnusable("the snapshot does not hold the vault's templates")
    except SnapshotUnusable as exc:
        ctx.index.clear(deployment.id)
        log.warning("index snapshot of deployment %s not used: %s", deployment.id, exc)
        return False
    ctx.snapshot_versions[deployment.id] = header.gallery_version
    return True


def _held_digest(ctx: GateContext, deployment_id: str, at: datetime) -> tuple[int, int]:
    """How many unexpired templates the index holds for the deployment, and their digest."""
    held = ctx.index.live_ids(deployment_id, at)
    return len(held), gallery_digest.digest(held)


def _state_digest(state: ShardState, at: datetime) -> tuple[int, int]:
    """How many of a snapshot's templates are unexpired at ``at``, and their digest."""
    live = (state.expires > at.timestamp()).tolist()
    ids = list(compress(state.template_ids, live))
    return len(ids), gallery_digest.digest(ids)


def _stored_digest(
    ctx: GateContext, session: Session, deployment: m.Deployment, at: datetime
) -> tuple[int, int]:
    """How many unexpired templates of this engine's model the vault holds for the deployment,
    and their digest, without reading every id: the count and digest the change log keeps for
    the whole gallery, less the templates the index leaves out (expired, or another model's),
    which are the only ids read. The gallery's count is also taken from the templates
    themselves (an index-only count), so a template added or deleted behind the log's back is
    noticed."""
    count, value = session.execute(
        select(m.Deployment.gallery_count, m.Deployment.gallery_digest).where(
            m.Deployment.id == deployment.id
        )
    ).one()
    stored = session.scalar(
        select(func.count())
        .select_from(m.Template)
        .where(m.Template.deployment_id == deployment.id)
    )
    if stored != count:
        raise SnapshotUnusable(
            f"the vault holds {stored} templates, the change log counts {count}: changed "
            "outside the log"
        )
    left_out = list(session.scalars(left_out_ids(deployment.id, ctx.engine.model_id, at)))
    return count - len(left_out), gallery_digest.combine(value, gallery_digest.digest(left_out))


def left_out_ids(deployment_id: str, model: str, at: datetime) -> CompoundSelect[str]:
    """The ids of the deployment's templates an index of ``model`` leaves out at ``at``: another
    model's, or expired. Three disjoint range scans of ``ix_templates_deployment_engine_expires``
    (models sorting before ``model``, after it, and ``model``'s expired), which read only the
    rows they return; ``engine != model`` would read every row of the deployment (1M at scale)."""
    ids = select(m.Template.id).where(m.Template.deployment_id == deployment_id)
    return union_all(
        ids.where(m.Template.engine < model),
        ids.where(m.Template.engine > model),
        ids.where(m.Template.engine == model, m.Template.expires_at <= at),
    )


def save_snapshot(ctx: GateContext, deployment_id: str) -> bool:
    """Write the deployment's snapshot from this process's index (at the version it holds);
    False when there is nothing to write."""
    version = ctx.index_versions.get(deployment_id)
    state = ctx.index.shard_state(deployment_id)
    if ctx.snapshot_dir is None or version is None or state is None:
        return False
    # Sealed with no transaction open (seconds at 1M templates); the write transaction only
    # checks for removals since ``version``, stores the key and moves the file into place.
    try:
        with ctx.db.transaction(readonly=True) as session:
            check_current(session, deployment_id, version)  # not worth sealing: stale already
    except SnapshotStale as exc:
        log.info("index snapshot of deployment %s not written: %s", deployment_id, exc)
        return False
    sealed = seal_snapshot(ctx.snapshot_dir, deployment_id, version, ctx.engine.model_id, state)
    try:
        with ctx.db.transaction() as session:
            commit_snapshot(session, ctx.vault, sealed)
    except SnapshotStale as exc:
        log.info("index snapshot of deployment %s not written: %s", deployment_id, exc)
        return False
    finally:
        sealed.discard()
    ctx.snapshot_versions[deployment_id] = version
    return True


def open_snapshots(ctx: GateContext, deployment_ids: set[str]) -> int:
    """Before a batch of removals (the retention sweep): load each deployment this process does
    not hold yet from its snapshot while its key is still live (the removals destroy it), so
    that ``refresh_snapshots_of`` can write the next snapshot from the index instead of the
    next start reading the whole vault and retraining the ANN index. How many were opened."""
    if ctx.snapshot_dir is None:
        return 0
    opened = 0
    at = ctx.now()
    for deployment_id in sorted(deployment_ids):
        if deployment_id in ctx.index_versions:
            continue
        path = snapshot_path(ctx.snapshot_dir, deployment_id)
        if not path.is_file():
            continue
        with ctx.unit(readonly=True) as session:
            try:
                if not key_is_live(session, read_header(path)):
                    continue
            except SnapshotUnusable:
                continue
            deployment = session.get(m.Deployment, deployment_id)
            if deployment is None:
                continue
            sync_index(ctx, session, deployment, at)
            opened += 1
    return opened


def refresh_snapshots_of(ctx: GateContext, deployment_ids: set[str]) -> int:
    """After a batch of removals: bring the index of each deployment it holds up to date (the
    removals are in the change log) and write its snapshot again, under a new key, when it is
    large enough to have one; how many were written. Each under the deployment's keeper lock
    (``sole_writer``; the keeper holds it already), skipping one whose lock another process
    holds (it is writing that snapshot now)."""
    if ctx.snapshot_dir is None:
        return 0
    written = 0
    at = ctx.now()
    for deployment_id in sorted(deployment_ids):
        if deployment_id not in ctx.index_versions:
            continue
        with sole_writer(ctx.snapshot_dir, deployment_id, ctx) as mine:
            if not mine:
                continue
            with ctx.unit(readonly=True) as session:
                deployment = session.get(m.Deployment, deployment_id)
                if deployment is None:
                    continue
                sync_index(ctx, session, deployment, at)
            if ctx.index.size(deployment_id) >= ctx.snapshot_from:
                written += save_snapshot(ctx, deployment_id)
    return written


def refresh_snapshots(ctx: GateContext) -> int:
    """Snapshot every large deployment whose index moved since its snapshot (``Gate.close``:
    the snapshot keeper is stopped first); how many were written. Like a keeper, it writes a
    deployment's snapshot only while it holds that deployment's keeper lock (``sole_writer``):
    one whose lock another process (or another Gate of this one) holds is being written by
    it, and is left to it."""
    snapshot_keeper.stop(ctx)
    written = 0
    for deployment_id, version in list(ctx.index_versions.items()):
        if ctx.index.size(deployment_id) < ctx.snapshot_from or ctx.snapshot_dir is None:
            continue
        if ctx.snapshot_versions.get(deployment_id) == version:
            continue
        with sole_writer(ctx.snapshot_dir, deployment_id, ctx) as mine:
            if not mine:
                continue  # another process's keeper is writing it now
            path = snapshot_path(ctx.snapshot_dir, deployment_id)
            try:  # looked at under the lock: its last holder may have just written it
                if path.is_file() and read_header(path).gallery_version == version:
                    continue
            except SnapshotUnusable:
                pass
            written += save_snapshot(ctx, deployment_id)
    return written


def _load(
    ctx: GateContext,
    session: Session,
    deployment_id: str,
    at: datetime,
    *where: ColumnElement[bool],
    retune: bool = True,
) -> int:
    """Add the deployment's unexpired templates (those matching ``where``) to the index, decrypted
    in bulk and added ``_BATCH`` at a time (the ANN index is built once, at the end); how many."""
    count = 0
    batch: list[OpenTemplate] = []

    def flush() -> None:
        if batch:
            ctx.index.add_many(
                deployment_id,
                [t.template_id for t in batch],
                [t.subject_id for t in batch],
                np.stack([t.vector for t in batch]),
                [t.expires_at.timestamp() for t in batch],
                retune=False,
            )
            batch.clear()

    # Only this engine's model: templates of another model are never compared with its faces.
    for opened in ctx.vault.open_templates(
        session,
        m.Template.deployment_id == deployment_id,
        m.Template.expires_at > at,
        m.Template.engine == ctx.engine.model_id,
        *where,
    ):
        batch.append(opened)
        count += 1
        if len(batch) == _BATCH:
            flush()
    flush()
    if retune:
        ctx.index.retune(deployment_id)
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
