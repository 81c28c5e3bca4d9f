"""Where this process stands (standalone, control plane, edge node) and what that means for
face operations: the control plane holds no face of an ``on_device`` deployment, an edge node
recognises only while in sync, and a ``networked`` deployment's photos need each person's
transmission consent (M8, PIPL29)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.orm import Session

from facegate import law
from facegate.service.consents import subject_consents
from facegate.service.context import ActivationCheck, GateContext
from facegate.service.facts import consents_facts, deployment_facts
from facegate.service.sync import in_sync
from facegate.store import models as m


def _face_site(
    role: law.SiteRole, session: Session, row: m.Deployment, at: datetime
) -> law.Decision:
    del session, at
    return law.check_face_site(deployment_facts(row), role)


def face_checks_for(role: law.SiteRole, offline_limit: timedelta) -> tuple[ActivationCheck, ...]:
    """The checks every face operation of a process of this role passes (not activation, not
    the alternative)."""
    checks: list[ActivationCheck] = [partial(_face_site, role)]
    if role == law.SiteRole.EDGE:
        checks.append(partial(in_sync, limit=offline_limit))
    return tuple(checks)


def face_checks_decision(
    ctx: GateContext, session: Session, row: m.Deployment
) -> tuple[law.Decision, ...]:
    return tuple(check(session, row, ctx.now()) for check in ctx.face_checks)


def transmission_decision(
    ctx: GateContext,
    session: Session,
    row: m.Deployment,
    subject_id: str,
    channel: law.Channel | None,
) -> law.Decision:
    """For a networked deployment: the subject's transmission consent, and an encrypted
    channel (unless loopback)."""
    facts = deployment_facts(row)
    if not law.transmits_photos(facts, ctx.site):
        return law.Decision.allow()
    consents = consents_facts(subject_consents(session, subject_id, row.id))
    return law.Decision.combine(
        law.check_transmission(facts, consents, subject_id, ctx.now(), ctx.site),
        law.check_channel(facts, ctx.site, channel),
    )


def transmission_consented(
    ctx: GateContext, session: Session, row: m.Deployment, subject_id: str
) -> bool:
    """For identification: may a match of this subject be reported from this process?"""
    facts = deployment_facts(row)
    consents = consents_facts(subject_consents(session, subject_id, row.id))
    return law.check_transmission(facts, consents, subject_id, ctx.now(), ctx.site).allowed
