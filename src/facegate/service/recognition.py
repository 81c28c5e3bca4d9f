"""Enrol, verify (1:1) and identify (1:N): the face operations, each behind the law.

The law is asked before the engine sees the photo, again after it (before the write lock, its
reads recorded), and the write transaction replays those reads: anything changed in between (a
consent withdrawn) and the whole decision runs again inside it, so the change is honoured.
Photos live in memory only.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate import law
from facegate.engine.compare import compare, similarity
from facegate.engine.errors import FaceQualityTooLow
from facegate.engine.image import ImageSource
from facegate.engine.types import Embedding
from facegate.law.processing import consent_based
from facegate.service.accuracy import (
    accuracy_decision,
    gallery_size,
    identification_operating_point,
    verification_threshold,
)
from facegate.service.consents import subject_consents
from facegate.service.context import GateContext, record, require
from facegate.service.errors import DuplicateIdentity
from facegate.service.facts import (
    consents_facts,
    deployment_facts,
    device_facts,
    subject_facts,
)
from facegate.service.individuals import note_stored
from facegate.service.liveness import photo_request, screen_presentation
from facegate.service.notices import consent_notice_decision
from facegate.service.people import get_subject
from facegate.service.registry import get_deployment, get_device, prerequisites_decision
from facegate.service.results import Enrolment, FaceMatch, Identification, Verification
from facegate.service.sites import (
    face_checks_decision,
    transmission_consented,
    transmission_decision,
)
from facegate.service.templates import note_own_change, sync_index
from facegate.store import models as m
from facegate.store.index import Match
from facegate.store.outbox import UPSERT, holdings_changed
from facegate.store.read_set import recording


def _enrolment_decision(
    ctx: GateContext,
    session: Session,
    deployment: m.Deployment,
    device: m.Device | None,
    subject: m.Subject,
    channel: law.Channel | None = None,
) -> law.Decision:
    at = ctx.now()
    return law.Decision.combine(
        law.check_enrolment(
            deployment_facts(deployment),
            device_facts(device) if device is not None else None,
            subject_facts(subject),
            consents_facts(subject_consents(session, subject.id, deployment.id)),
            at,
        ),
        *prerequisites_decision(ctx, session, deployment),
        *face_checks_decision(ctx, session, deployment),
        transmission_decision(ctx, session, deployment, subject.id, channel),
        consent_notice_decision(session, deployment, subject.id, at),
        accuracy_decision(ctx, session, deployment, adding=1),
    )


def enrol(
    ctx: GateContext,
    subject_id: str,
    deployment_id: str,
    image: ImageSource,
    *,
    device_id: str | None = None,
    actor: str,
    channel: law.Channel | None = None,
) -> Enrolment:
    objects = {"subject": subject_id, "deployment": deployment_id, "device": device_id or ""}

    def lawful_deployment(session: Session) -> m.Deployment:
        """The deployment, once the law allows this enrolment (asked before the engine sees
        the photo, again before the write lock, and in the write transaction when anything it
        read has changed)."""
        deployment = get_deployment(session, deployment_id)
        device = get_device(session, device_id) if device_id else None
        subject = get_subject(session, subject_id)
        decision = _enrolment_decision(ctx, session, deployment, device, subject, channel)
        require(decision, actor=actor, action="enrol", objects=objects)
        return deployment

    with ctx.unit(readonly=True) as session:
        deployment = lawful_deployment(session)
        facts = deployment_facts(deployment)
        sync_index(ctx, session, deployment, ctx.now())

    # The photo's whole face work in one engine call (on a pool: in one worker). Liveness
    # before quality: an attack is refused as an attack (and counted), whatever its quality.
    examined = ctx.examine(image, photo_request(ctx, facts))
    screen_presentation(
        ctx, facts, examined.liveness, device_id=device_id, actor=actor, action="enrol",
        objects=objects,
    )  # fmt: skip
    face = examined.faces[0]
    if not face.face.quality.ok:
        raise FaceQualityTooLow(face.face.quality.failed, face.face.quality.hints)
    now = ctx.now()
    for match in ctx.index.search(
        deployment_id, face.embedding.vector, threshold=ctx.engine.threshold, at=now, k=1
    ):
        if match.subject_id != subject_id:
            raise DuplicateIdentity(
                "this face is already enrolled in this deployment under another subject",
                details={"subject": match.subject_id},
            )

    # Decided again and sealed BEFORE the write lock (in a read): the law's whole check, whose
    # reads are recorded, the data key unwrapped or made, AES-GCM. The write transaction only
    # replays those reads and writes (issue 13: two writers are not serialised on the law).
    with ctx.unit(readonly=True) as session:
        with recording(session) as reads:
            deployment = lawful_deployment(session)
        controller_id = deployment.controller_id
        retention_days = deployment.retention_days
        sealed = ctx.vault.seal_ahead(
            session, subject_id, deployment_id, m.new_sequential_id(), face.embedding.vector,
            engine=ctx.engine.model_id, model_version=ctx.engine.model_version,
        )  # fmt: skip

    # On PostgreSQL the write queues only behind writes for the same controller (its gallery,
    # keys and filing count) and behind every other kind of writer; the audit chain's head
    # locks itself. SQLite has one writer at a time anyway.
    with ctx.unit(scope=controller_id) as session:
        if not reads.unchanged(session):
            # Something the decision read has changed since (a consent withdrawn, a PIPIA gone
            # stale...): the whole decision again, here, refusing with the law's own error.
            deployment = lawful_deployment(session)
            controller_id = deployment.controller_id
            retention_days = deployment.retention_days
        expires_at = law.template_expires_at(now, retention_days)
        # The Gate's clock: expiries are counted from it.
        stored = ctx.vault.store_sealed(session, sealed, expires_at=expires_at, created_at=now)
        holdings_changed(session, ctx.site, UPSERT, [stored.ref])  # an edge reports it
        note_stored(session, controller_id, subject_id, now)
        template_id = stored.ref.id
        record(
            ctx,
            session,
            actor=actor,
            action="enrol",
            objects={**objects, "template": template_id},
            articles=law.rule("consent.separate").articles,
        )
    before, after = stored.versions
    if note_own_change(ctx, deployment_id, before, after):
        ctx.index.add(deployment_id, template_id, subject_id, face.embedding.vector, expires_at)
    return Enrolment(
        template_id=template_id,
        subject_id=subject_id,
        deployment_id=deployment_id,
        model=ctx.engine.model_id,
        expires_at=expires_at,
        quality=face.face.quality.to_dict(),
    )


def _recognition_decision(
    ctx: GateContext, session: Session, deployment: m.Deployment, device: m.Device
) -> law.Decision:
    return law.Decision.combine(
        law.check_recognition(deployment_facts(deployment), device_facts(device), ctx.now()),
        *prerequisites_decision(ctx, session, deployment),
        *face_checks_decision(ctx, session, deployment),
    )


def verify(
    ctx: GateContext,
    device_id: str,
    subject_id: str,
    image: ImageSource,
    *,
    actor: str,
    channel: law.Channel | None = None,
) -> Verification:
    """Is the person in front of the device the subject they claim to be?"""
    now = ctx.now()
    with ctx.unit(readonly=True) as session:
        device = get_device(session, device_id)
        deployment = get_deployment(session, device.deployment_id)
        subject = get_subject(session, subject_id)
        objects = {"device": device_id, "deployment": deployment.id, "subject": subject_id}
        consent = law.valid_processing_consent(
            consents_facts(subject_consents(session, subject.id, deployment.id)),
            subject.id,
            deployment.id,
            now,
        )
        # A standing consent, given under the current purpose and method (PIPL14 para. 2).
        decision = law.Decision.combine(
            _recognition_decision(ctx, session, deployment, device),
            transmission_decision(ctx, session, deployment, subject.id, channel),
            law.check_consent_current(consent, deployment_facts(deployment)),
        )
        require(decision, actor=actor, action="verify", objects=objects)
        facts = deployment_facts(deployment)
        templates = [
            (row, ctx.vault.open_template(session, row))
            for row in session.scalars(
                select(m.Template).where(
                    m.Template.subject_id == subject_id,
                    m.Template.deployment_id == deployment.id,
                    m.Template.expires_at > now,
                    m.Template.engine == ctx.engine.model_id,
                )
            )
        ]
        deployment_id = deployment.id
        threshold = verification_threshold(ctx, deployment)

    if not templates:
        result = Verification(False, subject_id, deployment_id, "face", reason="no_template")
    else:
        examined = ctx.examine(image, photo_request(ctx, facts))
        screen_presentation(
            ctx, facts, examined.liveness, device_id=device_id, actor=actor,
            action="verify", objects=objects,
        )  # fmt: skip
        probe = examined.faces[0].embedding
        best = min(
            (
                compare(probe, Embedding(np.asarray(vector, np.float32), row.engine), threshold)
                for row, vector in templates
            ),
            key=lambda c: c.distance,
        )
        result = Verification(
            best.same_person,
            subject_id,
            deployment_id,
            "face",
            distance=round(best.distance, 6),
            similarity=round(best.similarity, 6),
            threshold=threshold,
            reason="" if best.same_person else "no_match",
        )
    with ctx.unit() as session:
        record(
            ctx,
            session,
            actor=actor,
            action="verify",
            objects={**objects, "outcome": "match" if result.matched else result.reason},
        )
    return result


def _check_frame(
    ctx: GateContext,
    facts: law.DeploymentFacts,
    faces: int,
    *,
    actor: str,
    objects: dict[str, str],
) -> None:
    """In a consent-based deployment only a frame with one face is embedded: with several, the
    refusal comes before any face is embedded, so nobody who did not present themselves is
    processed (``capture.opt_in``)."""
    frame = law.check_frame(facts, faces)
    if not frame.allowed:
        with ctx.unit():
            require(frame, actor=actor, action="identify", objects={**objects, "faces": str(faces)})


def identify(
    ctx: GateContext,
    device_id: str,
    image: ImageSource,
    *,
    actor: str,
    channel: law.Channel | None = None,
) -> Identification:
    """Who, among the subjects enrolled in this device's deployment, is in the photo?

    In a consent-based deployment: one face per frame, and a face that matches nobody (or
    someone whose consent does not cover the current purpose and method) is discarded at once,
    leaving only a count (``capture.opt_in``)."""
    now = ctx.now()
    with ctx.unit(readonly=True) as session:
        device = get_device(session, device_id)
        deployment = get_deployment(session, device.deployment_id)
        objects = {"device": device_id, "deployment": deployment.id}
        facts = deployment_facts(deployment)
        decision = law.Decision.combine(
            _recognition_decision(ctx, session, deployment, device),
            law.check_identification(facts),
            law.check_channel(facts, ctx.site, channel),
        )
        require(decision, actor=actor, action="identify", objects=objects)
        sync_index(ctx, session, deployment, now)
        deployment_id = deployment.id
        margin = deployment.ambiguity_margin
        size = gallery_size(session, deployment_id, now, ctx.engine.model_id)
        point = identification_operating_point(ctx, deployment, size)

    # The threshold holding the deployment's target FPIR at this gallery's size.
    threshold = point.threshold if point is not None else ctx.engine.threshold
    # One engine call (on a pool: one worker) locates, scores liveness and embeds; it embeds
    # only a frame the law lets through: in a consent-based deployment one face at most (the
    # person who presented themselves), and never when a face failed the liveness check.
    request = photo_request(
        ctx, facts, one_face=False, embed_at_most=1 if consent_based(facts) else None
    )
    examined = ctx.examine(image, request)
    _check_frame(ctx, facts, len(examined.located), actor=actor, objects=objects)
    screen_presentation(
        ctx, facts, examined.liveness, device_id=device_id, actor=actor, action="identify",
        objects=objects,
    )  # fmt: skip
    everyone = examined.faces
    faces = [
        _face_match(found.face.box.to_dict(), nearest, threshold, margin)
        for found in everyone
        for nearest in [
            ctx.index.nearest_subjects(deployment_id, found.embedding.vector, at=now, k=2)
        ]
    ]

    with ctx.unit() as session:
        # A match counts only while the subject's consent stands at this moment and covers the
        # current purpose and method (and, where photos travel, their transmission consent).
        deployment = get_deployment(session, deployment_id)
        checked = []
        for face in faces:
            if face.subject_id and not (
                _consent_valid(session, face.subject_id, deployment, now)
                and transmission_consented(ctx, session, deployment, face.subject_id)
            ):
                face = FaceMatch(face.box, None, None, None, reason="no_match")
            checked.append(face)
        faces = checked
        matched = sorted({f.subject_id for f in faces if f.subject_id})
        strangers = [f for f in faces if not f.subject_id and f.reason != "ambiguous"]
        unmatched = len(strangers)
        if consent_based(deployment_facts(deployment)):
            # Discarded at once: nothing about a face that matched nobody is kept or returned,
            # its position included; only the count remains. (An ambiguous face is close to
            # enrolled people, not a stranger: it stays, naming nobody.)
            faces = [f for f in faces if f not in strangers]
        record(
            ctx,
            session,
            actor=actor,
            action="identify",
            objects={
                **objects,
                "faces": str(len(checked)),
                "unmatched": str(unmatched),
                "matched": ",".join(matched),
            },
        )
    return Identification(
        deployment_id,
        threshold,
        faces,
        gallery_size=size,
        model=ctx.engine.model_id,
        ambiguity_margin=margin,
        expected_fpir=None if point is None else round(point.expected_fpir, 6),
        expected_fnir=None if point is None else round(point.expected_fnir, 6),
        unmatched=unmatched,
    )


def _face_match(
    box: dict[str, int], nearest: list[Match], threshold: float, margin: float
) -> FaceMatch:
    """A match when the nearest subject is within the threshold and the next one is at least
    ``margin`` further away; ``ambiguous`` when it is closer than that; else ``no_match``."""
    if not nearest:
        return FaceMatch(box, None, None, None, reason="no_match")
    best = nearest[0]
    second = nearest[1].distance if len(nearest) > 1 else None
    shown = round(best.distance, 6)
    second_shown = None if second is None else round(second, 6)
    score = round(similarity(best.distance, threshold), 6)
    if best.distance > threshold:
        return FaceMatch(box, None, shown, score, second_shown, reason="no_match")
    if second is not None and second - best.distance < margin:
        return FaceMatch(box, None, shown, score, second_shown, reason="ambiguous")
    return FaceMatch(box, best.subject_id, shown, score, second_shown)


def _consent_valid(
    session: Session, subject_id: str, deployment: m.Deployment, at: datetime
) -> bool:
    consents = consents_facts(subject_consents(session, subject_id, deployment.id))
    consent = law.valid_processing_consent(consents, subject_id, deployment.id, at)
    return law.check_consent_current(consent, deployment_facts(deployment)).allowed
