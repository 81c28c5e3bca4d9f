"""The transparency notice: publish versions, check that the published one still tells the
truth, bind consents to it, and report consents given on an older version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate import law
from facegate.documents.notice import (
    PublicUrlInvalid,
    content_hash,
    notice_content,
    notice_texts,
    notice_url,
)
from facegate.law.notice import (
    NoticeFacts,
    PublishedNotice,
    check_consent_notice,
    check_notice_items,
    check_published_notice,
    check_terms,
    may_enrol_minors,
)
from facegate.service.context import GateContext, record, require
from facegate.service.errors import BadRequest, Conflict, NotFound
from facegate.service.facts import aware, consents_facts, deployment_facts
from facegate.service.registry import get_controller, get_deployment
from facegate.store import models as m
from facegate.store.assessment_models import NoticeVersion


class NoNotice(NotFound):
    code = "no_notice"


def notice_facts(session: Session, deployment: m.Deployment) -> NoticeFacts:
    controller = get_controller(session, deployment.controller_id)
    return NoticeFacts(
        controller_name=controller.name.strip(),
        controller_contact=controller.contact.strip(),
        controller_address=controller.address.strip(),
        dpo=controller.dpo.strip(),
        deployment_name=deployment.name.strip(),
        purpose_type=deployment.purpose_type,
        purpose=deployment.purpose.strip(),
        necessity=deployment.necessity.strip(),
        method=deployment.method,
        why_not_verify=deployment.why_not_verify.strip(),
        retention_days=deployment.retention_days,
        alternatives=tuple(a.strip() for a in deployment.alternatives or () if a.strip()),
        transfer_mode=deployment.transfer_mode,
        lawful_basis=deployment.lawful_basis,
        public_place=law.is_public_place(
            law.LocationType(deployment.location_type), deployment.public_place
        ),
        location_type=deployment.location_type,
        entrusted_processor=deployment.entrusted_processor.strip(),
        minors=may_enrol_minors(deployment_facts(deployment)),
        capture_mode=deployment.capture_mode or "explicit_act",
        liveness=deployment.liveness,
        english=dict(deployment.english or {}),
    )


def latest_notice(session: Session, deployment_id: str) -> NoticeVersion | None:
    return session.scalar(
        select(NoticeVersion)
        .where(NoticeVersion.deployment_id == deployment_id)
        .order_by(NoticeVersion.version.desc())
        .limit(1)
    )


def published(row: NoticeVersion | None) -> PublishedNotice | None:
    if row is None:
        return None
    return PublishedNotice(version=row.version, sha256=row.sha256, facts=dict(row.facts or {}))


def notice_decision(session: Session, deployment: m.Deployment, at: datetime) -> law.Decision:
    """The activation check (an ``ActivationCheck``): a published notice with every item, that
    still matches the deployment (``notice.required_items``)."""
    del at
    # Only the columns the rule reads (not the rendered content): this runs before every
    # face operation.
    row = session.execute(
        select(NoticeVersion.version, NoticeVersion.sha256, NoticeVersion.facts)
        .where(NoticeVersion.deployment_id == deployment.id)
        .order_by(NoticeVersion.version.desc())
        .limit(1)
    ).first()
    latest = (
        PublishedNotice(version=row.version, sha256=row.sha256, facts=dict(row.facts or {}))
        if row is not None
        else None
    )
    return check_published_notice(
        notice_facts(session, deployment), latest, deployment.notice_version or 0
    )


def publish_notice(ctx: GateContext, deployment_id: str, *, actor: str) -> NoticeVersion:
    """Publish the notice as the deployment and controller now are. A new version only when
    its content changed or a new version is due; otherwise the current one is returned."""
    with ctx.unit() as session:
        deployment = get_deployment(session, deployment_id)
        facts = notice_facts(session, deployment)
        objects = {"deployment": deployment_id}
        require(check_notice_items(facts), actor=actor, action="notice.publish", objects=objects)
        content = notice_content(facts)
        require(
            check_terms("\n".join(notice_texts(content))),
            actor=actor,
            action="notice.publish",
            objects=objects,
        )
        digest = content_hash(content)
        current = latest_notice(session, deployment_id)
        if (
            current is not None
            and current.sha256 == digest
            and current.facts == facts.as_dict()
            and (deployment.notice_version or 0) <= current.version
        ):
            return current
        version = (current.version if current else 0) + 1
        row = NoticeVersion(
            deployment_id=deployment_id,
            version=version,
            sha256=digest,
            content=content,
            facts=facts.as_dict(),
            published_by=actor,
            published_at=ctx.now(),
        )
        session.add(row)
        deployment.notice_version = version
        session.flush()
        record(
            ctx,
            session,
            actor=actor,
            action="notice.publish",
            objects={**objects, "version": str(version), "sha256": digest},
            articles=law.rule("notice.required_items").articles,
        )
        return row


@dataclass(frozen=True)
class NoticeState:
    notice: NoticeVersion
    deployment: m.Deployment
    decision: law.Decision


def current_notice(ctx: GateContext, deployment_id: str) -> NoticeState:
    """The latest published notice, and whether it still allows processing."""
    with ctx.db.transaction(readonly=True) as session:
        deployment = get_deployment(session, deployment_id)
        row = latest_notice(session, deployment_id)
        if row is None:
            raise NoNotice(f"no notice has been published for deployment {deployment_id}")
        decision = notice_decision(session, deployment, ctx.now())
        session.expunge_all()
        return NoticeState(row, deployment, decision)


def consent_notice_hash(session: Session, deployment_id: str, given: str) -> str:
    """The notice hash a new consent binds to: the one given, which must be a version of this
    deployment's notice; else the current version's (empty while none is published)."""
    given = given.strip().lower()
    if not given:
        row = latest_notice(session, deployment_id)
        return row.sha256 if row else ""
    known = session.scalar(
        select(NoticeVersion.id).where(
            NoticeVersion.deployment_id == deployment_id, NoticeVersion.sha256 == given
        )
    )
    if known is None:
        raise BadRequest(
            f"notice {given[:12]}… was never published for deployment {deployment_id}; "
            "a consent binds to the notice the person was shown",
            key="error.bad_request.notice_unknown",
        )
    return given


def consent_notice_decision(
    session: Session, deployment: m.Deployment, subject_id: str, at: datetime
) -> law.Decision:
    """For a new enrolment: the subject's standing consent was given on the current notice."""
    rows = session.scalars(
        select(m.Consent).where(
            m.Consent.subject_id == subject_id, m.Consent.deployment_id == deployment.id
        )
    )
    facts = consents_facts(list(rows))
    consent = law.valid_processing_consent(facts, subject_id, deployment.id, at)
    return check_consent_notice(consent, published(latest_notice(session, deployment.id)))


@dataclass(frozen=True)
class StaleConsent:
    consent_id: str
    subject_id: str
    scope: str
    notice_hash: str
    notice_version: int | None  # the version it was given on; None if unknown
    given_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "consent_id": self.consent_id,
            "subject_id": self.subject_id,
            "scope": self.scope,
            "notice_hash": self.notice_hash,
            "notice_version": self.notice_version,
            "given_at": self.given_at.isoformat() if self.given_at else None,
        }


@dataclass(frozen=True)
class StaleConsentReport:
    deployment_id: str
    current_version: int
    current_hash: str
    consents: tuple[StaleConsent, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "deployment_id": self.deployment_id,
            "current_version": self.current_version,
            "current_hash": self.current_hash,
            "stale": [c.to_dict() for c in self.consents],
        }


def stale_consents(ctx: GateContext, deployment_id: str) -> StaleConsentReport:
    """Standing consents given on a notice that is not the current one: these people must be
    told again (and consent again before any new enrolment)."""
    with ctx.db.transaction(readonly=True) as session:
        get_deployment(session, deployment_id)
        current = latest_notice(session, deployment_id)
        if current is None:
            raise NoNotice(f"no notice has been published for deployment {deployment_id}")
        versions: dict[str, int] = {
            sha: version
            for sha, version in session.execute(
                select(NoticeVersion.sha256, NoticeVersion.version).where(
                    NoticeVersion.deployment_id == deployment_id
                )
            ).all()
        }
        rows = session.scalars(
            select(m.Consent)
            .where(
                m.Consent.deployment_id == deployment_id,
                m.Consent.withdrawn_at.is_(None),
                m.Consent.notice_hash != current.sha256,
            )
            .order_by(m.Consent.given_at)
        )
        stale = tuple(
            StaleConsent(
                consent_id=row.id,
                subject_id=row.subject_id,
                scope=row.scope,
                notice_hash=row.notice_hash,
                notice_version=versions.get(row.notice_hash),
                given_at=aware(row.given_at),
            )
            for row in rows
        )
        return StaleConsentReport(deployment_id, current.version, current.sha256, stale)


class PublicUrlMissing(Conflict):
    """No usable public URL is configured, so no sign or link can be given to people."""

    code = "public_url_missing"


def public_notice_url(ctx: GateContext, deployment_id: str, base_url: str | None = None) -> str:
    """The notice page's address under the configured public URL (``base_url`` overrides
    it), never one taken from a request. ``PublicUrlMissing`` when none is usable: a sign
    is not printed without it (a loopback address only in a demo)."""
    try:
        return notice_url(deployment_id, base_url or ctx.public_url, demo=ctx.demo)
    except PublicUrlInvalid as exc:
        raise PublicUrlMissing(str(exc)) from None


def public_notice_link(ctx: GateContext, deployment_id: str) -> str:
    """The address to show on the notice page itself: empty when none is configured."""
    try:
        return public_notice_url(ctx, deployment_id)
    except PublicUrlMissing:
        return ""
