"""The non-face way in (PIN, card, QR token, staff check): same outcome, no face involved.

Face recognition must never be the only way (Measures art. 10). A credential needs no face
consent; it is verified through the same device and gives the same ``Verification``.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from facegate import law
from facegate.service.context import GateContext, record, require
from facegate.service.errors import BadRequest
from facegate.service.facts import deployment_facts, device_facts
from facegate.service.people import get_subject
from facegate.service.registry import get_deployment, get_device
from facegate.service.results import Verification
from facegate.store import credentials as secrets
from facegate.store import models as m

KINDS = ("pin", "card", "qr", "staff_check")
LOOKUP_KINDS = ("card", "qr")  # identify the holder by the secret alone


def add_credential(
    ctx: GateContext, subject_id: str, deployment_id: str, kind: str, secret: str, *, actor: str
) -> m.Credential:
    if kind not in KINDS:
        raise BadRequest(f"credential kind must be one of {', '.join(KINDS)}")
    if kind == "pin" and not (secret.isdigit() and 4 <= len(secret) <= 12):
        raise BadRequest("a PIN is 4 to 12 digits", key="error.bad_request.pin_digits")
    if kind in LOOKUP_KINDS and len(secret) < 8:
        raise BadRequest(
            "a card number or QR token has at least 8 characters",
            key="error.bad_request.credential_short",
        )
    with ctx.unit() as session:
        get_subject(session, subject_id)
        get_deployment(session, deployment_id)
        for old in session.scalars(
            select(m.Credential).where(
                m.Credential.subject_id == subject_id,
                m.Credential.deployment_id == deployment_id,
                m.Credential.kind == kind,
                m.Credential.revoked_at.is_(None),
            )
        ):
            old.revoked_at = ctx.now()
        row = m.Credential(
            subject_id=subject_id,
            deployment_id=deployment_id,
            kind=kind,
            secret_hash=secrets.hash_secret(secret) if kind != "staff_check" else "",
            lookup_digest=(
                ctx.vault.credential_digest(deployment_id, secret) if kind in LOOKUP_KINDS else None
            ),
        )
        session.add(row)
        session.flush()
        record(
            ctx,
            session,
            actor=actor,
            action="alternative.add",
            objects={"subject": subject_id, "deployment": deployment_id, "kind": kind},
            articles=law.rule("alternative.required").articles,
        )
        return row


def verify_alternative(
    ctx: GateContext,
    device_id: str,
    kind: str,
    secret: str = "",
    *,
    subject_id: str | None = None,
    actor: str,
) -> Verification:
    """PIN: with the claimed subject. Card or QR: the secret alone finds the holder.
    Staff check: the operator (the actor) vouches for the claimed subject."""
    if kind not in KINDS:
        raise BadRequest(f"credential kind must be one of {', '.join(KINDS)}")
    if kind in ("pin", "staff_check") and not subject_id:
        raise BadRequest(f"a {kind} check needs the claimed subject")
    with ctx.unit() as session:
        device = get_device(session, device_id)
        deployment = get_deployment(session, device.deployment_id)
        objects = {"device": device_id, "deployment": deployment.id, "kind": kind}
        require(
            law.check_recognition(deployment_facts(deployment), device_facts(device), ctx.now()),
            actor=actor,
            action="alternative.verify",
            objects=objects,
        )
        live = select(m.Credential).where(
            m.Credential.deployment_id == deployment.id,
            m.Credential.kind == kind,
            m.Credential.revoked_at.is_(None),
        )
        holder: str | None = None
        if kind in LOOKUP_KINDS:
            row = _find_by_secret(ctx, session, live, deployment.id, secret)
            if row is not None and secrets.verify_secret(row.secret_hash, secret):
                holder = row.subject_id
                _migrate_digest(ctx, row, deployment.id, secret)
        else:
            assert subject_id is not None
            row = session.scalar(live.where(m.Credential.subject_id == subject_id))
            if row is not None and (
                kind == "staff_check" or secrets.verify_secret(row.secret_hash, secret)
            ):
                holder = subject_id
        matched = holder is not None
        record(
            ctx,
            session,
            actor=actor,
            action="alternative.verify",
            objects={
                **objects,
                "subject": holder or subject_id or "",
                "outcome": "match" if matched else "no_match",
            },
        )
        return Verification(
            matched=matched,
            subject_id=holder or subject_id,
            deployment_id=deployment.id,
            method=kind,
            reason="" if matched else "no_match",
        )


def _find_by_secret(
    ctx: GateContext,
    session: Session,
    live: Select[m.Credential],
    deployment_id: str,
    secret: str,
) -> m.Credential | None:
    """The card or QR credential with this secret: by its digest under the deployment's lookup
    key (the only one an edge node has), else by the legacy digest under the root lookup key
    (credentials added before per-deployment keys, on the control plane or a standalone box)."""
    digests = [ctx.vault.credential_digest(deployment_id, secret)]
    digests.append(ctx.vault.lookup_digest(f"{deployment_id}|{secret}"))
    for digest in digests:
        if digest is not None:
            row = session.scalar(live.where(m.Credential.lookup_digest == digest))
            if row is not None:
                return row
    return None


def _migrate_digest(ctx: GateContext, row: m.Credential, deployment_id: str, secret: str) -> None:
    """A legacy digest verified with its secret is rewritten under the deployment's key (and,
    on a control plane, so reaches the deployment's edges at their next sync)."""
    digest = ctx.vault.credential_digest(deployment_id, secret)
    if digest is not None and row.lookup_digest != digest:
        row.lookup_digest = digest
