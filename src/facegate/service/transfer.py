"""Egress: templates leave the device only with the subject's separate transfer consent or a
recorded legal basis (Measures art. 8); every transfer is audited."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select

from facegate import law
from facegate.service.consents import subject_consents
from facegate.service.context import GateContext, record, require
from facegate.service.errors import BadRequest
from facegate.service.facts import consents_facts, deployment_facts
from facegate.service.people import get_subject
from facegate.service.registry import get_deployment
from facegate.store import models as m


@dataclass(frozen=True)
class TransferBundle:
    deployment_id: str
    destination: str
    legal_basis: str
    templates: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "deployment_id": self.deployment_id,
            "destination": self.destination,
            "legal_basis": self.legal_basis,
            "templates": self.templates,
        }


def export_templates(
    ctx: GateContext,
    deployment_id: str,
    subject_ids: list[str],
    *,
    destination: str,
    legal_basis: str = "",
    actor: str,
) -> TransferBundle:
    """All or nothing: refused if any subject lacks a transfer consent (or legal basis)."""
    if not subject_ids:
        raise BadRequest("name at least one subject to transfer")
    if not destination.strip():
        raise BadRequest("name the destination of the transfer")
    now = ctx.now()
    with ctx.unit() as session:
        deployment = get_deployment(session, deployment_id)
        facts = deployment_facts(deployment)
        decisions = []
        for subject_id in subject_ids:
            get_subject(session, subject_id)
            consents = consents_facts(subject_consents(session, subject_id, deployment_id))
            decisions.append(law.check_transfer(facts, consents, now, legal_basis))
        require(
            law.Decision.combine(*decisions),
            actor=actor,
            action="transfer.export",
            objects={"deployment": deployment_id, "destination": destination},
        )
        out = []
        for row in session.scalars(
            select(m.Template).where(
                m.Template.deployment_id == deployment_id,
                m.Template.subject_id.in_(subject_ids),
                m.Template.expires_at > now,
            )
        ):
            vector = np.asarray(ctx.vault.open_template(session, row), dtype="<f4")
            out.append(
                {
                    "template_id": row.id,
                    "subject_id": row.subject_id,
                    "model": row.engine,
                    "vector_f32_base64": base64.b64encode(vector.tobytes()).decode(),
                }
            )
        for subject_id in subject_ids:
            record(
                ctx,
                session,
                actor=actor,
                action="transfer.export",
                objects={
                    "deployment": deployment_id,
                    "subject": subject_id,
                    "destination": destination,
                    "legal_basis": legal_basis,
                },
                articles=law.rule("storage.on_device").articles,
            )
    return TransferBundle(deployment_id, destination, legal_basis, out)
