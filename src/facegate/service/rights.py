"""The individual's rights: see what one controller holds (never the embedding itself), and
delete it all. After deletion only the audit trail remains, naming a pseudonym that leads to
nothing: no date of birth, identity, consent, credential or template."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate import law
from facegate.service.access import revoke_subject_keys_in
from facegate.service.context import GateContext, record
from facegate.service.durability import journal
from facegate.service.errors import BadRequest, UnknownSubject
from facegate.service.facts import deployment_facts, iso
from facegate.service.people import erase_subject_rows
from facegate.service.registry import get_deployment
from facegate.service.templates import shred_templates
from facegate.store import models as m

_HELD_BY_DEPLOYMENT = (m.Consent, m.Template, m.Credential, m.ConsentRefusal)


def _subject_row(session: Session, subject_id: str) -> m.Subject:
    row = session.get(m.Subject, subject_id)
    if row is None:
        raise UnknownSubject(f"no subject {subject_id!r}")
    return row


def controllers_holding(session: Session, subject_id: str) -> set[str]:
    """The controllers with any record about the subject (through their deployments)."""
    deployment_ids: set[str] = set()
    for model in _HELD_BY_DEPLOYMENT:
        deployment_ids |= set(
            session.scalars(select(model.deployment_id).where(model.subject_id == subject_id))
        )
    if not deployment_ids:
        return set()
    return set(
        session.scalars(
            select(m.Deployment.controller_id).where(m.Deployment.id.in_(deployment_ids))
        )
    )


def _scope(
    session: Session, subject_id: str, controller_id: str | None, deployment_id: str | None
) -> tuple[str | None, list[str]]:
    """The controller a report speaks for, and its deployments. A person's request is answered
    by one controller: with data at several, the controller must be named (PIPL44-45)."""
    if deployment_id is not None:
        controller_id = get_deployment(session, deployment_id).controller_id
    if controller_id is None:
        holding = controllers_holding(session, subject_id)
        if len(holding) > 1:
            raise BadRequest(
                "this person has data with several controllers; name the controller whose "
                "data to show",
                key="error.bad_request.several_controllers",
            )
        controller_id = next(iter(holding), None)
    if controller_id is None:
        return None, []
    deployments = list(
        session.scalars(select(m.Deployment.id).where(m.Deployment.controller_id == controller_id))
    )
    return controller_id, deployments


def subject_report(
    ctx: GateContext,
    subject_id: str,
    *,
    controller_id: str | None = None,
    deployment_id: str | None = None,
    actor: str,
) -> dict[str, Any]:
    """What one controller holds about the subject (``controller_id``, or the controller of
    ``deployment_id``; may be left out when only one holds anything). For an erased subject:
    nothing is held."""
    with ctx.unit() as session:
        subject = _subject_row(session, subject_id)
        if subject.deleted_at is not None:
            report: dict[str, Any] = {"subject_id": subject.id, "held": False, "deleted": True}
        else:
            scope, deployments = _scope(session, subject_id, controller_id, deployment_id)
            report = _report(ctx, session, subject, scope, deployments)
        record(
            ctx,
            session,
            actor=actor,
            action="rights.access",
            objects={"subject": subject_id, "controller": str(report.get("controller_id") or "")},
            articles=law.rule("rights.access_delete").articles,
        )
        return report


def _report(
    ctx: GateContext,
    session: Session,
    subject: m.Subject,
    controller_id: str | None,
    deployments: list[str],
) -> dict[str, Any]:
    subject_id = subject.id
    # Each deployment's purpose and method as they are now: a standing consent given under
    # older ones no longer covers recognition until the person consents again (PIPL14 para. 2).
    snapshots = {
        d.id: law.consent_snapshot_hash(deployment_facts(d))
        for d in session.scalars(select(m.Deployment).where(m.Deployment.id.in_(deployments)))
    }
    consents = session.scalars(
        select(m.Consent)
        .where(m.Consent.subject_id == subject_id, m.Consent.deployment_id.in_(deployments))
        .order_by(m.Consent.given_at)
    ).all()
    templates = session.scalars(
        select(m.Template).where(
            m.Template.subject_id == subject_id, m.Template.deployment_id.in_(deployments)
        )
    ).all()
    credentials = session.scalars(
        select(m.Credential).where(
            m.Credential.subject_id == subject_id,
            m.Credential.deployment_id.in_(deployments),
            m.Credential.revoked_at.is_(None),
        )
    ).all()
    return {
        "subject_id": subject.id,
        "held": True,
        "deleted": False,
        "controller_id": controller_id,
        "date_of_birth": subject.date_of_birth.isoformat() if subject.date_of_birth else None,
        "age_attested": bool(subject.age_attested),
        "identity": ctx.vault.open_identity(session, subject_id) or {},
        "consents": [
            {
                "deployment_id": c.deployment_id,
                "scope": c.scope,
                "given_by": c.given_by,
                "guardian_relation": c.guardian_relation,
                "form": c.form,
                "notice_hash": c.notice_hash,
                "given_at": iso(c.given_at),
                "withdrawn_at": iso(c.withdrawn_at),
                "needs_renewal": c.withdrawn_at is None
                and c.purpose_snapshot != snapshots.get(c.deployment_id),
            }
            for c in consents
        ],
        "templates": [
            {
                "template_id": t.id,
                "deployment_id": t.deployment_id,
                "model": t.engine,
                "created_at": iso(t.created_at),
                "expires_at": iso(t.expires_at),
                "encrypted": True,
            }
            for t in templates
        ],
        "credentials": [{"deployment_id": c.deployment_id, "kind": c.kind} for c in credentials],
    }


def delete_subject(ctx: GateContext, subject_id: str, *, actor: str) -> dict[str, int]:
    """Erase everything about the subject: templates (keys destroyed), identity, date of birth
    or attestation, consents and refusals, credentials, their own API keys (and so their
    sessions). Only the audit trail remains, naming a pseudonym that now leads to nothing
    (PIPL47). One transaction with its audit event, journalled so that a restored backup is
    erased again."""
    now = ctx.now()
    with ctx.unit() as session:
        _subject_row(session, subject_id)  # erasing again (a replayed sync) erases what is left
        destroyed = shred_templates(ctx, session, subject_id, None)
        consents = list(
            session.scalars(
                select(m.Consent.id).where(
                    m.Consent.subject_id == subject_id, m.Consent.withdrawn_at.is_(None)
                )
            )
        )
        credentials = list(
            session.scalars(select(m.Credential.id).where(m.Credential.subject_id == subject_id))
        )
        identity_deleted = ctx.vault.erase_identity(session, subject_id)
        keys = revoke_subject_keys_in(ctx, session, subject_id)
        erase_subject_rows(session, subject_id, now)
        journal(
            ctx,
            session,
            "subject_erased",
            subject=subject_id,
            consents=consents,
            credentials=credentials,
            api_keys=keys,
        )
        counts = {
            "templates_destroyed": destroyed,
            "consents_withdrawn": len(consents),
            "credentials_deleted": len(credentials),
            "identity_deleted": int(identity_deleted),
            "keys_revoked": len(keys),
        }
        record(
            ctx,
            session,
            actor=actor,
            action="rights.delete",
            objects={"subject": subject_id, **{k: str(v) for k, v in counts.items()}},
            articles=law.rule("rights.access_delete").articles,
        )
    ctx.index.remove_subject(subject_id)
    return counts
