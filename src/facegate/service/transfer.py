"""Egress: templates leave the device only with the subject's separate transfer consent or a
legal basis that names a law and article (listed in ``law``, or approved by the data protection
officer) (Measures art. 8); every transfer is audited with its basis, and every bundle is
encrypted to the recipient's registered public key, never written in the clear."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select

from facegate import law
from facegate.sealed_box import fingerprint, parse_public_key, seal
from facegate.service.consents import subject_consents
from facegate.service.context import GateContext, record, require
from facegate.service.errors import BadRequest, NotFound
from facegate.service.facts import consents_facts, deployment_facts, iso
from facegate.service.legal_bases import approved_reference_reasons, basis_label
from facegate.service.people import get_subject
from facegate.service.registry import get_controller, get_deployment
from facegate.store import models as m
from facegate.store.legal_models import TransferRecipient


class UnknownRecipient(NotFound):
    code = "unknown_recipient"


def register_recipient(
    ctx: GateContext, controller_id: str, name: str, public_key: str | bytes, *, actor: str
) -> TransferRecipient:
    """A recipient of exported face data, with the X25519 public key it gave (PEM or base64 of
    the raw 32 bytes). Bundles for it can be opened only with its private key."""
    if not name.strip():
        raise BadRequest("name the recipient")
    raw = parse_public_key(public_key)
    with ctx.unit() as session:
        get_controller(session, controller_id)
        row = TransferRecipient(
            controller_id=controller_id,
            name=name.strip(),
            public_key=raw,
            fingerprint=fingerprint(raw),
            registered_by=actor,
            registered_at=ctx.now(),
        )
        session.add(row)
        session.flush()
        record(
            ctx,
            session,
            actor=actor,
            action="transfer.recipient",
            objects={"controller": controller_id, "recipient": row.id, "key": row.fingerprint},
        )
        return row


def recipient_view(row: TransferRecipient) -> dict[str, Any]:
    return {
        "id": row.id,
        "controller_id": row.controller_id,
        "name": row.name,
        "fingerprint": row.fingerprint,
        "registered_at": iso(row.registered_at),
        "revoked_at": iso(row.revoked_at),
    }


def list_recipients(ctx: GateContext, controller_id: str | None = None) -> list[dict[str, Any]]:
    with ctx.db.transaction(readonly=True) as session:
        query = select(TransferRecipient).order_by(TransferRecipient.registered_at)
        if controller_id is not None:
            query = query.where(TransferRecipient.controller_id == controller_id)
        return [recipient_view(r) for r in session.scalars(query)]


@dataclass(frozen=True)
class TransferBundle:
    """What is handed over: who for, on what basis, and the templates sealed to the recipient.
    Templates (ids, subjects, vectors) are only inside ``sealed``."""

    deployment_id: str
    recipient_id: str
    recipient: str
    legal_basis: str
    legal_basis_label: str
    sealed: dict[str, str]
    template_count: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "deployment_id": self.deployment_id,
            "recipient_id": self.recipient_id,
            "recipient": self.recipient,
            "legal_basis": self.legal_basis,
            "legal_basis_label": self.legal_basis_label,
            "template_count": self.template_count,
            "sealed": self.sealed,
        }


def export_templates(
    ctx: GateContext,
    deployment_id: str,
    subject_ids: list[str],
    *,
    recipient_id: str,
    legal_basis: str = "",
    actor: str,
) -> TransferBundle:
    """All or nothing: refused if any subject lacks a transfer consent and no legal basis
    applies. The bundle is sealed to the recipient's registered key."""
    if not subject_ids:
        raise BadRequest("name at least one subject to transfer")
    now = ctx.now()
    with ctx.unit() as session:
        deployment = get_deployment(session, deployment_id)
        recipient = session.get(TransferRecipient, recipient_id)
        if (
            recipient is None
            or recipient.revoked_at is not None
            or recipient.controller_id != deployment.controller_id
        ):
            raise UnknownRecipient(
                f"no recipient {recipient_id!r} registered by this deployment's controller; "
                "register the recipient and its public key first"
            )
        facts = deployment_facts(deployment)
        basis = legal_basis.strip() or facts.transfer_legal_basis.strip()
        decisions = [
            law.Decision.from_reasons(
                approved_reference_reasons(
                    session, basis, law.BasisUse.TRANSFER, deployment.controller_id
                )
            )
        ]
        for subject_id in subject_ids:
            get_subject(session, subject_id)
            consents = consents_facts(subject_consents(session, subject_id, deployment_id))
            decisions.append(law.check_transfer(facts, consents, now, legal_basis))
        objects = {"deployment": deployment_id, "recipient": recipient.id}
        require(
            law.Decision.combine(*decisions),
            actor=actor,
            action="transfer.export",
            objects=objects,
        )
        label = basis_label(session, basis) if basis else "separate transfer consent"
        payload = []
        for row in session.scalars(
            select(m.Template).where(
                m.Template.deployment_id == deployment_id,
                m.Template.subject_id.in_(subject_ids),
                m.Template.expires_at > now,
            )
        ):
            vector = np.asarray(ctx.vault.open_template(session, row), dtype="<f4")
            payload.append(
                {
                    "template_id": row.id,
                    "subject_id": row.subject_id,
                    "model": row.engine,
                    "vector_f32_base64": base64.b64encode(vector.tobytes()).decode(),
                }
            )
        context = json.dumps(
            {"deployment": deployment_id, "recipient": recipient.id, "basis": basis},
            sort_keys=True,
        ).encode()
        sealed = seal(
            json.dumps(payload, sort_keys=True).encode(), recipient.public_key, context
        ).to_dict()
        for subject_id in subject_ids:
            record(
                ctx,
                session,
                actor=actor,
                action="transfer.export",
                objects={
                    **objects,
                    "subject": subject_id,
                    "destination": recipient.name,
                    "legal_basis": label,
                },
                articles=law.rule("storage.on_device").articles,
            )
        return TransferBundle(
            deployment_id,
            recipient.id,
            recipient.name,
            basis,
            label,
            sealed,
            len(payload),
        )
