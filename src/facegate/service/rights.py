"""The individual's rights: see what is held (never the embedding itself), and delete it all."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from facegate import law
from facegate.service.access import revoke_subject_keys_in
from facegate.service.context import GateContext, record
from facegate.service.durability import journal
from facegate.service.facts import iso
from facegate.service.people import get_subject
from facegate.service.templates import shred_templates
from facegate.store import models as m


def subject_report(ctx: GateContext, subject_id: str, *, actor: str) -> dict[str, Any]:
    with ctx.unit() as session:
        subject = get_subject(session, subject_id)
        consents = session.scalars(
            select(m.Consent).where(m.Consent.subject_id == subject_id).order_by(m.Consent.given_at)
        )
        templates = session.scalars(select(m.Template).where(m.Template.subject_id == subject_id))
        credentials = session.scalars(
            select(m.Credential).where(
                m.Credential.subject_id == subject_id, m.Credential.revoked_at.is_(None)
            )
        )
        report = {
            "subject_id": subject.id,
            "date_of_birth": subject.date_of_birth.isoformat() if subject.date_of_birth else None,
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
            "credentials": [
                {"deployment_id": c.deployment_id, "kind": c.kind} for c in credentials
            ],
        }
        record(
            ctx,
            session,
            actor=actor,
            action="rights.access",
            objects={"subject": subject_id},
            articles=law.rule("rights.access_delete").articles,
        )
        return report


def delete_subject(ctx: GateContext, subject_id: str, *, actor: str) -> dict[str, int]:
    """Erase everything about the subject: templates (keys destroyed), identity, credentials,
    their own API keys (and so their sessions); live consents are marked withdrawn (the records
    of consent stay, holding no identity). One transaction with its audit event, journalled
    so that a restored backup is erased again."""
    now = ctx.now()
    with ctx.unit() as session:
        get_subject(session, subject_id)
        destroyed = shred_templates(ctx, session, subject_id, None)
        consents: list[str] = []
        for consent in session.scalars(
            select(m.Consent).where(
                m.Consent.subject_id == subject_id, m.Consent.withdrawn_at.is_(None)
            )
        ):
            consent.withdrawn_at = now
            consents.append(consent.id)
        credentials: list[str] = []
        for credential in session.scalars(
            select(m.Credential).where(m.Credential.subject_id == subject_id)
        ):
            session.delete(credential)
            credentials.append(credential.id)
        identity_deleted = ctx.vault.erase_identity(session, subject_id)
        keys = revoke_subject_keys_in(ctx, session, subject_id)
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
