"""Bulk enrolment: many (subject, embedding) rows into one deployment, written in batches.

Every row passes the law as a single enrolment does (``recognition.enrol``): the subject's
valid separate consent for this deployment (a guardian's under 14), given on the notice now in
force and under the current purpose and method, the transmission consent where photos travel,
and the gallery's accuracy at its new size; the deployment must be active with a current
impact assessment and a published notice. What differs is only how the work is done:

- what concerns the deployment (active, its device, PIPIA and notice, the site's face checks)
  is decided once per batch, in the batch's transaction; a refusal there refuses the whole
  call (``law.Refused``, audited once), before anything of the batch is written;
- what concerns each person is read for the whole batch in two queries (subjects, consents)
  and decided row by row by the same pure rules; a refused row is reported with its rule code,
  articles and message, audited as a refused ``enrol``, and the other rows go on;
- the writes are set-based: the data keys found or created together, each embedding sealed
  under its subject's own key (``Vault.seal_templates``), the templates inserted with one
  statement, the filing count moved once (``note_stored_many``), one ``enrol`` audit event per
  template chained in one go (``AuditLog.append_many``), the gallery version moved once.

The engine is not part of this: the caller brings embeddings of the Gate's engine's model
(``facegate import`` computes them on every core). A face already enrolled under another
subject of the deployment is refused as ``duplicate_identity``, as in ``enrol``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate import law
from facegate.law.notice import check_consent_notice
from facegate.law.operational import deployment_active, device_serves
from facegate.service.accuracy import accuracy_decision
from facegate.service.context import GateContext, require
from facegate.service.errors import BadRequest
from facegate.service.facts import consent_facts, deployment_facts, device_facts
from facegate.service.individuals import note_stored_many
from facegate.service.notices import latest_notice, published
from facegate.service.registry import get_deployment, get_device, prerequisites_decision
from facegate.service.sites import face_checks_decision
from facegate.service.templates import note_own_change, sync_index
from facegate.store import models as m
from facegate.store.audit import AuditEntry
from facegate.store.outbox import UPSERT, holdings_changed
from facegate.store.people_models import Person
from facegate.store.sets import among

BATCH = 1000
"""Rows per transaction."""
_CONSENT_COLUMNS = [
    m.Consent.subject_id,
    m.Consent.deployment_id,
    m.Consent.scope,
    m.Consent.given_by,
    m.Consent.guardian_relation,
    m.Consent.form,
    m.Consent.notice_hash,
    m.Consent.alternative_offered,
    m.Consent.pre_ticked,
    m.Consent.bundled,
    m.Consent.given_at,
    m.Consent.withdrawn_at,
    m.Consent.purpose_snapshot,
]


@dataclass(frozen=True)
class BulkRow:
    """One face to enrol: whose, the embedding (of the Gate's engine's model), a label the
    caller knows it by (a CSV line, a file name) and, when the caller screened the capture for
    liveness, whether it was live."""

    subject_id: str
    embedding: npt.ArrayLike
    ref: str = ""
    live: bool | None = None


@dataclass(frozen=True)
class RefusedRow:
    ref: str
    subject_id: str
    code: str  # the rule's code (e.g. "consent.separate") or the error's ("duplicate_identity")
    articles: tuple[str, ...]
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "subject_id": self.subject_id,
            "code": self.code,
            "articles": list(self.articles),
            "message": self.message,
        }


@dataclass
class BulkReport:
    deployment_id: str
    enrolled: int = 0
    batches: int = 0
    refused: list[RefusedRow] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "deployment_id": self.deployment_id,
            "enrolled": self.enrolled,
            "batches": self.batches,
            "refused": [r.to_dict() for r in self.refused],
        }


def _batches(rows: Iterable[BulkRow], size: int) -> Iterator[list[BulkRow]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def bulk_enrol(
    ctx: GateContext,
    deployment_id: str,
    rows: Iterable[BulkRow],
    *,
    actor: str,
    device_id: str | None = None,
    channel: law.Channel | None = None,
    batch: int = BATCH,
    on_progress: Callable[[int], None] | None = None,
    model: tuple[str, str] | None = None,
) -> BulkReport:
    """Enrol every lawful row, ``batch`` rows per transaction; report the refused ones.
    ``on_progress(n)`` after each batch with the number of rows it handled. ``model``: the
    (model id, model version) of the engine that computed the embeddings, when not this
    Gate's own engine (worker processes); it must be the model this Gate is configured for."""
    report = BulkReport(deployment_id)
    if model is None:
        model = (ctx.engine.model_id, ctx.engine.model_version)
        threshold = ctx.engine.threshold
    else:
        card = ctx.model_card
        if model[0] != card.model_id:
            raise BadRequest(
                f"the embeddings are of model {model[0]}, this site recognises with "
                f"{card.model_id}: they would never be compared",
                details={"model": model[0], "expected": card.model_id},
            )
        threshold = card.threshold
    with ctx.unit(readonly=True) as session:
        sync_index(ctx, session, get_deployment(session, deployment_id), ctx.now())
    for rows_of_batch in _batches(rows, batch):
        now = ctx.now()
        with ctx.unit() as session:
            deployment = get_deployment(session, deployment_id)
            before, after, stored = _write_batch(
                ctx, session, deployment, rows_of_batch, report, now,
                actor=actor, device_id=device_id, channel=channel,
                model=model, threshold=threshold,
            )  # fmt: skip
        report.batches += 1
        report.enrolled += len(stored)
        if stored and note_own_change(ctx, deployment_id, before, after):
            for template_id, subject_id, vector, expires_at in stored:
                ctx.index.add(deployment_id, template_id, subject_id, vector, expires_at)
        if on_progress:
            on_progress(len(rows_of_batch))
    return report


Stored = tuple[str, str, npt.NDArray[np.float32], datetime]


def _write_batch(
    ctx: GateContext,
    session: Session,
    deployment: m.Deployment,
    rows: Sequence[BulkRow],
    report: BulkReport,
    now: datetime,
    *,
    actor: str,
    device_id: str | None,
    channel: law.Channel | None,
    model: tuple[str, str],
    threshold: float,
) -> tuple[int, int, list[Stored]]:
    facts = deployment_facts(deployment)
    device = get_device(session, device_id) if device_id else None
    objects = {"deployment": deployment.id, "device": device_id or "", "rows": str(len(rows))}
    # What concerns the deployment, once: refuses the whole call, before anything is written.
    require(
        _deployment_decision(ctx, session, deployment, device, channel),
        actor=actor,
        action="enrol.bulk",
        objects=objects,
    )
    subject_ids = sorted({r.subject_id for r in rows})
    # Columns, not ORM objects: the facts the law reads, for the whole batch in two queries.
    subjects: dict[str, law.SubjectFacts] = {}
    consents: dict[str, list[law.ConsentFacts]] = {}
    for sid, born, attested in session.execute(
        select(m.Subject.id, m.Subject.date_of_birth, m.Subject.age_attested).where(
            among(session, m.Subject.id, subject_ids), m.Subject.deleted_at.is_(None)
        )
    ):
        subjects[sid] = law.SubjectFacts(sid, born, bool(attested))
    for consent in session.execute(
        select(*_CONSENT_COLUMNS)
        .where(
            m.Consent.deployment_id == deployment.id,
            among(session, m.Consent.subject_id, subject_ids),
        )
        .order_by(m.Consent.given_at)
    ):
        consents.setdefault(consent.subject_id, []).append(
            consent_facts(cast(m.Consent, consent))  # a row has the same attributes
        )
    notice = published(latest_notice(session, deployment.id))
    transmits = law.transmits_photos(facts, ctx.site)

    refused: list[tuple[BulkRow, RefusedRow]] = []
    accepted: list[tuple[BulkRow, npt.NDArray[np.float32]]] = []

    def refuse(row: BulkRow, code: str, articles: Sequence[str], message: str) -> None:
        refused.append((row, RefusedRow(row.ref, row.subject_id, code, tuple(articles), message)))

    for row in rows:
        subject = subjects.get(row.subject_id)
        if subject is None:
            refuse(row, "unknown_subject", (), f"no subject {row.subject_id!r}")
            continue
        held = tuple(consents.get(row.subject_id, ()))
        standing = law.valid_processing_consent(held, subject.id, deployment.id, now)
        decision = law.Decision.combine(
            law.check_enrolment(facts, None, subject, held, now),
            law.check_transmission(facts, held, subject.id, now, ctx.site)
            if transmits
            else law.Decision.allow(),
            check_consent_notice(standing, notice),
            _presentation(facts, row.live),
        )
        if not decision.allowed:
            first = decision.reasons[0]
            articles = tuple(dict.fromkeys(a for r in decision.reasons for a in r.articles))
            message = "; ".join(r.message for r in decision.reasons)
            refuse(row, first.code, articles, message)
            continue
        vector = np.asarray(row.embedding, dtype=np.float32)
        if vector.ndim != 1 or vector.size == 0 or not np.all(np.isfinite(vector)):
            refuse(row, "embedding_invalid", (), "the embedding is not a finite 1-d vector")
            continue
        accepted.append((row, vector))

    accepted = _without_duplicates(ctx, deployment.id, accepted, threshold, now, refuse)
    if accepted:
        accuracy = accuracy_decision(ctx, session, deployment, adding=len(accepted))
        if not accuracy.allowed:
            reason = accuracy.reasons[0]
            for row, _ in accepted:
                refuse(row, reason.code, reason.articles, reason.message)
            accepted = []

    before = after = deployment.gallery_version
    stored: list[Stored] = []
    events: list[AuditEntry] = []
    if accepted:
        expires_at = law.template_expires_at(now, deployment.retention_days)
        refs, (before, after) = ctx.vault.seal_templates(
            session,
            deployment.id,
            [(row.subject_id, m.new_sequential_id(), vector) for row, vector in accepted],
            engine=model[0],
            model_version=model[1],
            expires_at=expires_at,
            created_at=now,
        )
        note_stored_many(session, deployment.controller_id, (r.subject_id for r in refs), now)
        holdings_changed(session, ctx.site, UPSERT, refs)
        articles = law.rule("consent.separate").articles
        for ref, (_, vector) in zip(refs, accepted, strict=True):
            stored.append((ref.id, ref.subject_id, vector, expires_at))
            events.append(
                AuditEntry(
                    actor,
                    "enrol",
                    {
                        "subject": ref.subject_id,
                        "deployment": deployment.id,
                        "device": device_id or "",
                        "template": ref.id,
                        "bulk": "1",
                    },
                    "allowed",
                    articles,
                )
            )
    for row, refusal in refused:
        events.append(
            AuditEntry(
                actor,
                "enrol",
                {
                    "subject": row.subject_id,
                    "deployment": deployment.id,
                    "device": device_id or "",
                    "bulk": "1",
                    "reason": refusal.code,
                },
                "refused",
                refusal.articles,
            )
        )
    ctx.audit.append_many(session, events, at=now)
    report.refused.extend(r for _, r in refused)
    return before, after, stored


def _deployment_decision(
    ctx: GateContext,
    session: Session,
    deployment: m.Deployment,
    device: m.Device | None,
    channel: law.Channel | None,
) -> law.Decision:
    """What the law asks of the deployment (and the enrolling device) for any enrolment:
    active, a current impact assessment and published notice, the site's face checks, an
    encrypted channel where photos travel."""
    facts = deployment_facts(deployment)
    return law.Decision.combine(
        law.Decision.from_reasons(
            deployment_active(facts)
            + (device_serves(device_facts(device), facts) if device else [])
        ),
        *prerequisites_decision(ctx, session, deployment),
        *face_checks_decision(ctx, session, deployment),
        law.check_channel(facts, ctx.site, channel)
        if law.transmits_photos(facts, ctx.site)
        else law.Decision.allow(),
    )


def subjects_of_people(
    ctx: GateContext, deployment_id: str, person_ids: Iterable[str]
) -> dict[str, str]:
    """The subject of each person record of the deployment's controller (person id -> subject
    id), in one query; persons of another controller, or unknown, are left out."""
    wanted = sorted(set(person_ids))
    with ctx.db.transaction(readonly=True) as session:
        controller_id = get_deployment(session, deployment_id).controller_id
        return {
            person_id: subject_id
            for person_id, subject_id in session.execute(
                select(Person.id, Person.subject_id).where(
                    Person.controller_id == controller_id, among(session, Person.id, wanted)
                )
            )
        }


def check_deployment(
    ctx: GateContext,
    deployment_id: str,
    *,
    actor: str,
    device_id: str | None = None,
    channel: law.Channel | None = None,
) -> None:
    """Refuse (``law.Refused``, audited) now if the deployment may not take enrolments, before
    a caller spends its engine on photos that ``bulk_enrol`` would refuse whole."""
    with ctx.unit(readonly=True) as session:
        deployment = get_deployment(session, deployment_id)
        device = get_device(session, device_id) if device_id else None
        require(
            _deployment_decision(ctx, session, deployment, device, channel),
            actor=actor,
            action="enrol.bulk",
            objects={"deployment": deployment_id, "device": device_id or ""},
        )


def _presentation(facts: law.DeploymentFacts, live: bool | None) -> law.Decision:
    """Where the deployment screens every capture for liveness, a row must come with the
    verdict of that screening (``live``): an unscreened face is refused like an attack."""
    if live is None and law.liveness_required(facts):
        return law.Decision.refuse(
            law.Reason.of(
                "liveness.failed",
                "this face was not screened for liveness, which this deployment requires of "
                "every capture",
            )
        )
    return law.check_presentation(facts, [bool(live)] if live is not None else [])


def _without_duplicates(
    ctx: GateContext,
    deployment_id: str,
    accepted: list[tuple[BulkRow, npt.NDArray[np.float32]]],
    threshold: float,
    at: datetime,
    refuse: Callable[[BulkRow, str, Sequence[str], str], None],
) -> list[tuple[BulkRow, npt.NDArray[np.float32]]]:
    """Refuse a face already enrolled in the deployment under another subject (the index), or
    given twice in this batch under two subjects (the later row is refused)."""
    message = "this face is already enrolled in this deployment under another subject"
    if not accepted:
        return []
    first = accepted[0][1].size
    kept: list[tuple[BulkRow, npt.NDArray[np.float32]]] = []
    for row, vector in accepted:
        if vector.size != first:
            refuse(row, "embedding_invalid", (), "the embedding has the wrong dimension")
        else:
            kept.append((row, vector))
    try:
        nearest = ctx.index.search_many(
            deployment_id, np.stack([v for _, v in kept]), threshold=threshold, at=at
        )
    except ValueError:  # another dimension than the deployment's gallery
        for row, _ in kept:
            refuse(row, "embedding_invalid", (), "the embedding has the wrong dimension")
        return []
    accepted, kept = kept, []
    for (row, vector), match in zip(accepted, nearest, strict=True):
        if match is not None and match.subject_id != row.subject_id:
            refuse(row, "duplicate_identity", (), message)
        else:
            kept.append((row, vector))
    if len(kept) < 2:
        return kept
    matrix = np.stack([v for _, v in kept]).astype(np.float64)
    norms = np.einsum("ij,ij->i", matrix, matrix)
    squared = norms[:, None] + norms[None, :] - 2.0 * (matrix @ matrix.T)
    close = squared <= threshold * threshold
    np.fill_diagonal(close, False)
    subjects = [r.subject_id for r, _ in kept]
    keep = np.ones(len(kept), dtype=bool)
    for i in np.flatnonzero(close.any(axis=1)).tolist():
        row = kept[i][0]
        earlier = np.flatnonzero(close[i, :i] & keep[:i]).tolist()
        if any(subjects[j] != row.subject_id for j in earlier):
            keep[i] = False
            refuse(row, "duplicate_identity", (), message + " (twice in this import)")
    return [pair for pair, k in zip(kept, keep.tolist(), strict=True) if k]
