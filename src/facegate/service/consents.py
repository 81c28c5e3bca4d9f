"""Separate consent: given, refused and withdrawn, one record per subject, deployment and scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate import law
from facegate.service.context import GateContext, record, require
from facegate.service.durability import journal
from facegate.service.errors import BadRequest
from facegate.service.facts import aware, consent_facts, deployment_facts, subject_facts
from facegate.service.notices import consent_notice_hash
from facegate.service.people import get_subject
from facegate.service.registry import get_deployment
from facegate.service.templates import shred_templates
from facegate.store import models as m


@dataclass(frozen=True)
class ConsentSpec:
    scope: str = "processing"
    given_by: str = "self"
    guardian_relation: str = ""
    form: str = "electronic"
    notice_hash: str = ""
    alternative_offered: bool = False
    pre_ticked: bool = False
    bundled: bool = False


def active_consents(session: Session, subject_id: str, deployment_id: str) -> list[m.Consent]:
    return list(
        session.scalars(
            select(m.Consent).where(
                m.Consent.subject_id == subject_id,
                m.Consent.deployment_id == deployment_id,
                m.Consent.withdrawn_at.is_(None),
            )
        )
    )


def subject_consents(session: Session, subject_id: str, deployment_id: str) -> list[m.Consent]:
    return list(
        session.scalars(
            select(m.Consent)
            .where(m.Consent.subject_id == subject_id, m.Consent.deployment_id == deployment_id)
            .order_by(m.Consent.given_at)
        )
    )


def record_consent(
    ctx: GateContext, subject_id: str, deployment_id: str, spec: ConsentSpec, *, actor: str
) -> m.Consent:
    """Record one separate consent. Refused when bundled, pre-ticked, given without the
    alternative offered, by the wrong person for the subject's age, or in the wrong form."""
    with ctx.unit() as session:
        return record_consent_in(ctx, session, subject_id, deployment_id, spec, actor=actor)


def record_consent_in(
    ctx: GateContext,
    session: Session,
    subject_id: str,
    deployment_id: str,
    spec: ConsentSpec,
    *,
    actor: str,
) -> m.Consent:
    """``record_consent`` in the caller's transaction (``ctx.unit()``, so that a refusal rolls
    it back and is audited)."""
    now = ctx.now()
    subject = get_subject(session, subject_id)
    deployment = get_deployment(session, deployment_id)
    row = m.Consent(
        subject_id=subject_id,
        deployment_id=deployment_id,
        scope=spec.scope,
        given_by=spec.given_by,
        guardian_relation=spec.guardian_relation,
        form=spec.form,
        notice_hash=consent_notice_hash(session, deployment_id, spec.notice_hash),
        alternative_offered=spec.alternative_offered,
        pre_ticked=spec.pre_ticked,
        bundled=spec.bundled,
        given_at=now,
        # Binds to the purpose and method as they are now (PIPL14 para. 2): a consent
        # given again after a change renews the person's templates.
        purpose_snapshot=law.consent_snapshot_hash(deployment_facts(deployment)),
    )
    try:
        facts = consent_facts(row)
    except ValueError as exc:
        raise BadRequest(f"invalid consent: {exc}") from exc
    require(
        law.check_consent(facts, subject_facts(subject), deployment_facts(deployment)),
        actor=actor,
        action="consent.record",
        objects={"subject": subject_id, "deployment": deployment_id, "scope": spec.scope},
    )
    # One live record per subject, deployment and scope: a new one replaces the old.
    for old in active_consents(session, subject_id, deployment_id):
        if old.scope == spec.scope:
            old.withdrawn_at = now
    session.add(row)
    session.flush()
    record(
        ctx,
        session,
        actor=actor,
        action="consent.record",
        objects={
            "subject": subject_id,
            "deployment": deployment_id,
            "consent": row.id,
            "scope": spec.scope,
        },
        articles=law.rule("consent.separate").articles,
    )
    return row


@dataclass(frozen=True)
class Withdrawal:
    subject_id: str
    deployment_id: str
    consents_withdrawn: int
    templates_destroyed: int


def withdraw_consent(
    ctx: GateContext, subject_id: str, deployment_id: str, *, scope: str = "processing", actor: str
) -> Withdrawal:
    """Withdraw. Withdrawing processing consent destroys that deployment's templates at once
    (crypto-shredding); withdrawing transfer consent stops transfers."""
    now = ctx.now()
    with ctx.unit() as session:
        get_subject(session, subject_id)
        get_deployment(session, deployment_id)
        withdrawn: list[str] = []
        # Withdrawing face recognition withdraws what depends on it (transfer, transmission).
        scopes = {"processing", "transfer", "transmission"} if scope == "processing" else {scope}
        for row in active_consents(session, subject_id, deployment_id):
            if row.scope in scopes:
                row.withdrawn_at = now
                withdrawn.append(row.id)
        destroyed = 0
        if scope == "processing":
            destroyed = shred_templates(ctx, session, subject_id, deployment_id)
        if withdrawn:
            journal(ctx, session, "consent_withdrawn", consents=withdrawn)
        record(
            ctx,
            session,
            actor=actor,
            action="consent.withdraw",
            objects={
                "subject": subject_id,
                "deployment": deployment_id,
                "scope": scope,
                "templates_destroyed": str(destroyed),
            },
            articles=law.rule("consent.withdraw").articles,
        )
    ctx.index.remove_subject(subject_id, deployment_id)
    return Withdrawal(subject_id, deployment_id, len(withdrawn), destroyed)


def record_refusal(
    ctx: GateContext,
    deployment_id: str,
    *,
    subject_id: str | None = None,
    channel: str = "kiosk",
    actor: str,
) -> None:
    """A person said no. Nobody asks them again for ``consent_quiet_days`` (NDSR art. 22)."""
    with ctx.unit() as session:
        get_deployment(session, deployment_id)
        if subject_id is not None:
            get_subject(session, subject_id)
        session.add(
            m.ConsentRefusal(
                subject_id=subject_id,
                deployment_id=deployment_id,
                refused_at=ctx.now(),
                channel=channel,
            )
        )
        record(
            ctx,
            session,
            actor=actor,
            action="consent.refused",
            objects={"deployment": deployment_id, "subject": subject_id or "", "channel": channel},
            articles=law.rule("consent.no_repeat_prompt").articles,
            decision="info",
        )


def may_prompt(ctx: GateContext, subject_id: str, deployment_id: str) -> law.Decision:
    """May the kiosk or an operator ask this person for consent now?"""
    with ctx.db.transaction() as session:
        last: datetime | None = session.scalar(
            select(m.ConsentRefusal.refused_at)
            .where(
                m.ConsentRefusal.subject_id == subject_id,
                m.ConsentRefusal.deployment_id == deployment_id,
            )
            .order_by(m.ConsentRefusal.refused_at.desc())
            .limit(1)
        )
    return law.check_prompt_allowed(aware(last), ctx.now(), ctx.consent_quiet_days)
