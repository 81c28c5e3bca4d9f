"""What the console shows, read from the Gate and the store, so that the web layer renders it
without querying the store itself. Reads only; the compliance state of a deployment is the
law's own activation check, asked exactly as activation asks it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from facegate import law
from facegate.documents.labels import LOCATION_TYPES, PURPOSE_TYPES
from facegate.law.facts import PROHIBITED_LOCATIONS, LocationType
from facegate.service import access
from facegate.service.accuracy import accuracy_decision
from facegate.service.assessments import latest as latest_assessment
from facegate.service.assessments import pipia_status
from facegate.service.audit_views import chain_state
from facegate.service.deadlines import deadlines
from facegate.service.facts import deployment_facts, iso
from facegate.service.gate import Gate
from facegate.service.incidents import list_incidents
from facegate.service.registry import get_deployment, prerequisites_decision
from facegate.service.sync import deployment_individuals
from facegate.store import models as m

EXPIRY_WINDOW_DAYS = 30


def purpose_choices() -> list[tuple[str, str]]:
    """Purposes the wizard offers (the law's vocabulary, without research and development)."""
    return [(key, f"{zh} · {en}") for key, (en, zh) in PURPOSE_TYPES.items()]


def retention_warning(purpose_type: str, days: str) -> str:
    """The wizard's warning when the retention asked for is above the purpose's default
    (M8 "the shortest time necessary"); empty when it is not, or the input is not usable."""
    try:
        return law.retention_warning(law.PurposeType(purpose_type), int(days))
    except ValueError:
        return ""


def purpose_names(lang: str) -> dict[str, str]:
    """Each purpose's name in ``lang`` (the documents' own words)."""
    return {key: (en if lang == "en" else zh) for key, (en, zh) in PURPOSE_TYPES.items()}


def default_retention(purpose_type: str) -> int:
    return law.default_retention_days(law.PurposeType(purpose_type))


def retention_defaults() -> list[tuple[str, int]]:
    """Each purpose's default retention, shown beside the field."""
    return [(key, law.default_retention_days(law.PurposeType(key))) for key in PURPOSE_TYPES]


def location_choices() -> list[tuple[str, str]]:
    """Location types a deployment or device may be placed in: the prohibited private
    spaces (M13) are never offered."""
    choices = []
    for location in LocationType:
        if location in PROHIBITED_LOCATIONS:
            continue
        en, zh = LOCATION_TYPES.get(location.value, (location.value, location.value))
        choices.append((location.value, f"{zh} · {en}"))
    return choices


def decision_view(decision: law.Decision) -> dict[str, Any]:
    return {
        "allowed": decision.allowed,
        "reasons": [
            {"code": r.code, "articles": list(r.articles), "message": r.message}
            for r in decision.reasons
        ],
    }


@dataclass
class DeploymentCard:
    id: str
    name: str
    controller_id: str
    status: str
    method: str
    purpose: str
    pipia: str
    individuals: int
    expiring: int
    compliance: dict[str, Any]
    notice_version: int
    devices: list[dict[str, Any]] = field(default_factory=list)
    liveness: str = "passive"
    # The newest assessment for the console to word in its language: status (none, draft,
    # approved, stale), number, approved_at, approver, approver_role, stale_reason.
    pipia_state: dict[str, Any] = field(default_factory=dict)


def pipia_state(session: Any, deployment_id: str) -> dict[str, Any]:
    row = latest_assessment(session, deployment_id)
    if row is None:
        return {"status": "none"}
    return {
        "status": row.status,
        "number": row.number,
        "approved_at": iso(row.approved_at),
        "approver": row.approver,
        "approver_role": row.approver_role,
        "stale_reason": row.stale_reason,
    }


def deployment_cards(gate: Gate, only: str | None = None) -> list[DeploymentCard]:
    ctx = gate.ctx
    now = ctx.now()
    soon = now + timedelta(days=EXPIRY_WINDOW_DAYS)
    cards = []
    with ctx.db.transaction(readonly=True) as session:
        query = select(m.Deployment).order_by(m.Deployment.created_at)
        if only is not None:
            get_deployment(session, only)
            query = query.where(m.Deployment.id == only)
        for row in session.scalars(query):
            decision = law.check_activation(
                deployment_facts(row),
                (*prerequisites_decision(ctx, session, row), accuracy_decision(ctx, session, row)),
            )
            individuals = deployment_individuals(session, row.id)  # here and on its edges
            expiring = session.scalar(
                select(func.count(m.Template.id)).where(
                    m.Template.deployment_id == row.id,
                    m.Template.expires_at <= soon,
                )
            )
            devices = [
                {
                    "id": d.id,
                    "name": d.name,
                    "location": d.location_description,
                    "active": d.active,
                }
                for d in session.scalars(
                    select(m.Device)
                    .where(m.Device.deployment_id == row.id)
                    .order_by(m.Device.created_at)
                )
            ]
            cards.append(
                DeploymentCard(
                    id=row.id,
                    name=row.name,
                    controller_id=row.controller_id,
                    status=row.status,
                    method=row.method,
                    purpose=row.purpose,
                    pipia=pipia_status(session, row.id),
                    pipia_state=pipia_state(session, row.id),
                    individuals=int(individuals or 0),
                    expiring=int(expiring or 0),
                    compliance=decision_view(decision),
                    notice_version=row.notice_version or 0,
                    devices=devices,
                    liveness=row.liveness,
                )
            )
    return cards


def controllers(gate: Gate) -> list[dict[str, str]]:
    with gate.ctx.db.transaction(readonly=True) as session:
        return [
            {"id": c.id, "name": c.name}
            for c in session.scalars(select(m.Controller).order_by(m.Controller.created_at))
        ]


def dashboard(gate: Gate) -> dict[str, Any]:
    filing = gate.filing_status()
    for item in filing:
        threshold = max(int(item["threshold"]), 1)
        item["percent"] = min(100.0, 100.0 * int(item["individuals"]) / threshold)
        item["open"] = [o for o in item["obligations"] if o["status"] not in ("accepted",)]
    total = sum(int(item["individuals"]) for item in filing)
    threshold = int(filing[0]["threshold"]) if filing else 100_000
    cards = deployment_cards(gate)
    return {
        "filing": filing,
        "total": total,
        "threshold": threshold,
        "total_percent": min(100.0, 100.0 * total / max(threshold, 1)),
        "deployments": cards,
        "expiring": sum(c.expiring for c in cards),
        "expiry_days": EXPIRY_WINDOW_DAYS,
        "incidents": list_incidents(gate.ctx),
        "deadlines": deadlines(gate.ctx),
        "alerts": [
            access.security_event_view(r) for r in access.security_events(gate.ctx, limit=10)
        ],
        "audit": chain_state(gate.ctx).verification.to_dict(),
        "devices": gate.devices_status(),
    }
