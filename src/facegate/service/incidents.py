"""Security incidents (incident.notify): recorded with what the notifications must say; a
major one stales the PIPIA of every deployment it touches (pipia.renew), through
``service.seams``. Everything is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from facegate import law
from facegate.law import authorities
from facegate.law import incident as rules
from facegate.service.context import GateContext, record
from facegate.service.errors import BadRequest, NotFound
from facegate.service.facts import aware
from facegate.service.registry import get_controller, get_deployment
from facegate.service.seams import mark_pipia_stale
from facegate.store import models as m
from facegate.store.obligation_models import Incident


@dataclass(frozen=True)
class IncidentSpec:
    controller_id: str
    severity: str
    description: str
    occurred_at: datetime
    categories: str
    cause: str
    harm: str
    measures: str
    remedies: str
    contact: str
    deployment_ids: tuple[str, ...] = ()


def deadlines_view(row: Incident, controller: m.Controller) -> list[dict[str, object]]:
    """The reports this incident calls for and by when (the clock runs from the time it
    occurred, the earliest the operator could have known), on the clock of the controller's
    operator kind and addressed as it says (an ordinary operator: its provincial cyberspace
    office by name)."""
    office_zh, office_en = authorities.filing_office(controller.address)
    occurred = aware(row.occurred_at)
    assert occurred is not None
    return [
        d.to_dict()
        for d in rules.reporting_deadlines(
            row.severity,
            occurred,
            operator=rules.OperatorKind(controller.operator_kind),
            province_office_zh=office_zh,
            province_office_en=office_en,
        )
    ]


def incident_view(row: Incident, controller: m.Controller | None = None) -> dict[str, Any]:
    view = {
        "id": row.id,
        "controller_id": row.controller_id,
        "severity": row.severity,
        "description": row.description,
        "occurred_at": row.occurred_at.isoformat(),
        "recorded_at": row.recorded_at.isoformat(),
        **{f.key: getattr(row, f.key) for f in rules.NOTIFY_FIELDS},
        "deployment_ids": list(row.deployment_ids),
        "pipia_staled": list(row.pipia_staled),
        "recorded_by": row.recorded_by,
    }
    if controller is not None:
        view["deadlines"] = deadlines_view(row, controller)
    return view


def record_incident(ctx: GateContext, spec: IncidentSpec, *, actor: str) -> dict[str, Any]:
    try:
        severity = rules.Severity(spec.severity)
    except ValueError:
        raise BadRequest("severity is minor or major") from None
    missing = rules.missing_notice_fields(
        {f.key: getattr(spec, f.key) for f in rules.NOTIFY_FIELDS}
    )
    if missing or not spec.description.strip():
        raise BadRequest(
            "an incident needs a description and every notification field; missing: "
            + ", ".join(missing or ["description"])
        )
    if spec.occurred_at.tzinfo is None:
        raise BadRequest("the time of the incident needs a time zone")
    with ctx.unit() as session:
        get_controller(session, spec.controller_id)
        for deployment_id in spec.deployment_ids:
            if get_deployment(session, deployment_id).controller_id != spec.controller_id:
                raise BadRequest(f"deployment {deployment_id} belongs to another controller")
        row = Incident(
            controller_id=spec.controller_id,
            severity=severity,
            description=spec.description,
            occurred_at=spec.occurred_at,
            categories=spec.categories,
            cause=spec.cause,
            harm=spec.harm,
            measures=spec.measures,
            remedies=spec.remedies,
            contact=spec.contact,
            deployment_ids=list(dict.fromkeys(spec.deployment_ids)),
            recorded_by=actor,
            recorded_at=ctx.now(),
        )
        session.add(row)
        session.flush()
        record(
            ctx,
            session,
            actor=actor,
            action="incident.record",
            objects={
                "incident": row.id,
                "controller": row.controller_id,
                "severity": severity,
                "deployments": ",".join(row.deployment_ids),
            },
            articles=law.rule("incident.notify").articles,
        )
        staled: list[str] = []
        if rules.stales_pipia(severity):
            for deployment_id in row.deployment_ids:
                marked = mark_pipia_stale(session, deployment_id, f"major incident {row.id}")
                if marked is not None:
                    staled.append(deployment_id)
                record(
                    ctx,
                    session,
                    actor=actor,
                    action="pipia.stale",
                    objects={
                        "incident": row.id,
                        "deployment": deployment_id,
                        "assessments": ",".join(marked or [])
                        if marked is not None
                        else "pipia feature absent",
                    },
                    articles=law.rule("pipia.renew").articles,
                    decision="info",
                )
        row.pipia_staled = staled
        controller = get_controller(session, row.controller_id)
        return incident_view(row, controller)


def get_incident(ctx: GateContext, incident_id: str) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as session:
        row = session.get(Incident, incident_id)
        if row is None:
            raise NotFound(f"no incident {incident_id!r}")
        controller = get_controller(session, row.controller_id)
        view = incident_view(row, controller)
        office_zh, office_en = authorities.filing_office(controller.address)
        view["authority"] = {"zh": office_zh, "en": office_en}
        view["controller"] = {
            "name": controller.name,
            "contact": controller.contact,
            "address": controller.address,
            "dpo": controller.dpo,
            "operator_kind": controller.operator_kind,
        }
        view["deployments"] = [
            {"id": d.id, "name": d.name, "purpose": d.purpose}
            for d in session.scalars(
                select(m.Deployment).where(m.Deployment.id.in_(row.deployment_ids))
            )
        ]
        return view


def list_incidents(ctx: GateContext) -> list[dict[str, Any]]:
    with ctx.db.transaction(readonly=True) as session:
        controllers = {c.id: c for c in session.scalars(select(m.Controller))}
        return [
            incident_view(r, controllers.get(r.controller_id))
            for r in session.scalars(select(Incident).order_by(Incident.occurred_at))
        ]


def incident_deadlines(ctx: GateContext, incident_id: str) -> list[dict[str, object]]:
    """The reporting deadlines of one incident (the console and the CLI show them)."""
    with ctx.db.transaction(readonly=True) as session:
        row = session.get(Incident, incident_id)
        if row is None:
            raise NotFound(f"no incident {incident_id!r}")
        return deadlines_view(row, get_controller(session, row.controller_id))
