"""Retention: templates expire with their deployment's retention period; the sweep purges them.

Expired templates never match even before the sweep (the index and every query skip them);
the sweep removes the rows and destroys a data key once no template needs it. The sweep also
destroys the templates of people who did not consent again within ``reconsent_days`` of a
change of purpose or method (``consent.purpose_change``), and those of a deployment suspended
for longer than ``suspension_max_days`` (PIPL47; M8).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from facegate import law
from facegate.service.consents import subject_consents
from facegate.service.context import GateContext, record
from facegate.service.facts import consents_facts, deployment_facts
from facegate.service.individuals import note_removed_many
from facegate.service.templates import (
    note_own_change,
    open_snapshots,
    refresh_snapshots_of,
    shred_deployment,
)
from facegate.store import gallery_log
from facegate.store import models as m
from facegate.store.outbox import DELETE, holdings_changed
from facegate.store.vault import TemplateRef

CHUNK = 5000
"""Expired templates purged per transaction (a few tenths of a second of the write lock): each
chunk's journal entry names its templates and keys (~35 bytes each, ~350 KB at most), within
what the journal reads back at its tail (1 MiB)."""

INDEX_BATCH = 100_000
"""Purged templates removed from this process's index at once (and after the last chunk): one
pass over an IVF index's lists per batch instead of one per chunk. Until then the purged
templates are still in memory but match nothing (they have expired), and the process's gallery
version stays behind the database, so no snapshot is written from that index
(docs/legal-notes.md)."""


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
    ctx: GateContext,
    *,
    actor: str,
    on_progress: Callable[[int], None] | None = None,
    chunk: int | None = None,
) -> SweepReport:
    """Purge expired templates in chunks of ``chunk`` (default ``CHUNK``), set-based
    (``purge_expired_chunk``). Each chunk deletes its templates, destroys the keys no template
    needs any more, records its audit event and its deletion-journal entry in one transaction,
    so a crash never leaves a purge without its record; a sweep with nothing due records one
    event."""
    now = ctx.now()
    # Snapshots survive the sweep: open them while their keys live, write them again after.
    due = _due_deployments(ctx, now)
    open_snapshots(ctx, due)
    not_renewed = _purge_not_renewed(ctx, now, actor=actor)
    suspended = _purge_long_suspended(ctx, now, actor=actor)
    purged = keys = 0
    touched: set[str] = set()
    chunks = 0
    pending = _IndexRemovals(ctx)
    try:
        while True:
            with ctx.unit() as session:
                done = purge_expired_chunk(
                    ctx, session, now, limit=chunk or CHUNK, number=chunks + 1, actor=actor,
                    first=not chunks,
                )  # fmt: skip
            if done is None:
                break
            chunks += 1
            pending.add(done)
            purged += len(done.templates)
            keys += done.keys_destroyed
            touched |= done.deployments
            if on_progress and done.templates:
                on_progress(len(done.templates))
            if not done.templates:
                break
    finally:
        pending.apply()  # whatever committed, even when a later chunk failed
    refresh_snapshots_of(ctx, due | touched)
    return SweepReport(purged, keys, len(touched), not_renewed, suspended)


class _IndexRemovals:
    """The sweep's committed chunks not yet applied to this process's index: applied together
    once they hold ``INDEX_BATCH`` templates, and at the end. The gallery versions advance only
    then, in order, so that nothing takes the index for up to date before it is."""

    def __init__(self, ctx: GateContext) -> None:
        self.ctx = ctx
        self.template_ids: list[str] = []
        self.versions: list[tuple[str, int]] = []  # (deployment, version after), in order

    def add(self, done: PurgedChunk) -> None:
        self.template_ids.extend(ref.id for ref in done.templates)
        self.versions.extend(done.versions.items())
        if len(self.template_ids) >= INDEX_BATCH:
            self.apply()

    def apply(self) -> None:
        if self.template_ids:
            self.ctx.index.remove_templates(self.template_ids)
        for deployment_id, after in self.versions:
            note_own_change(self.ctx, deployment_id, after - 1, after)  # no replay of it later
        self.template_ids, self.versions = [], []


def _due_deployments(ctx: GateContext, now: datetime) -> set[str]:
    """The deployments the sweep will remove templates from (expired, not renewed after a
    change of purpose, suspended too long): a superset is harmless."""
    cutoff = now - timedelta(days=ctx.suspension_max_days)
    changed = now - timedelta(days=ctx.reconsent_days)
    with ctx.unit(readonly=True) as session:
        expired = session.scalars(
            select(m.Template.deployment_id).where(m.Template.expires_at <= now).distinct()
        )
        others = session.scalars(
            select(m.Deployment.id).where(
                (
                    (m.Deployment.status == "suspended")
                    & m.Deployment.suspended_at.is_not(None)
                    & (m.Deployment.suspended_at <= cutoff)
                )
                | (
                    m.Deployment.purpose_changed_at.is_not(None)
                    & (m.Deployment.purpose_changed_at <= changed)
                )
            )
        )
        return set(expired) | set(others)


@dataclass(frozen=True)
class PurgedChunk:
    templates: list[TemplateRef]
    keys_destroyed: int
    deployments: set[str]
    versions: dict[str, int] = field(default_factory=dict)  # each gallery's version after it


def purge_expired_chunk(
    ctx: GateContext,
    session: Session,
    now: datetime,
    *,
    limit: int,
    number: int,
    actor: str,
    first: bool = False,
) -> PurgedChunk | None:
    """One chunk of the sweep, in the caller's transaction, in a handful of statements
    whatever its size: delete up to ``limit`` expired templates, destroy their data keys that
    no unexpired template needs (crypto-shredding), delete any other template those keys
    sealed, and journal it all (``Vault.purge_expired``: ``DELETE``/``UPDATE ... RETURNING``);
    take the people who hold nothing more from their controllers' filing counts; bump the
    galleries; report the holdings removed (edge node); one ``retention.sweep`` audit event.
    None when nothing is due (and ``first`` is false: a sweep with nothing due still records
    one event)."""
    # The expiry travels only in an edge's holding events: not converted otherwise.
    removed, doomed = ctx.vault.purge_expired(
        session, now, limit=limit, with_expiry=ctx.site == law.SiteRole.EDGE
    )
    if not removed and not first:
        return None
    pairs = {(ref.subject_id, ref.deployment_id) for ref in removed}
    note_removed_many(session, pairs)
    deployments = {d for _, d in pairs}  # each one's removals went to its gallery change log
    holdings_changed(session, ctx.site, DELETE, removed)
    record(
        ctx,
        session,
        actor=actor,
        action="retention.sweep",
        objects={
            "expired_templates": str(len(removed)),
            "keys_destroyed": str(len(doomed)),
            "deployments": str(len(deployments)),
            "batch": str(number),
        },
        articles=law.rule("storage.retention_minimum").articles,
    )
    # Each gallery's removals went to its change log under one new version.
    versions = {d: gallery_log.current_version(session, d) for d in sorted(deployments)}
    return PurgedChunk(removed, len(doomed), deployments, versions)


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
