"""Controllers, deployments and devices: who processes faces, for what, and where."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate import law
from facegate.law.identification import (
    DEFAULT_AMBIGUITY_MARGIN,
    DEFAULT_FNIR_CEILING,
    DEFAULT_TARGET_FPIR,
)
from facegate.service.accuracy import accuracy_decision, check_targets
from facegate.service.context import GateContext, record, require
from facegate.service.errors import (
    BadRequest,
    UnknownController,
    UnknownDeployment,
    UnknownDevice,
)
from facegate.service.facts import aware, deployment_facts, device_facts
from facegate.service.legal_bases import approved_basis_decision
from facegate.service.staleness import note_deployment_change, purpose_and_method
from facegate.service.templates import shred_deployment
from facegate.store import gallery_log
from facegate.store import models as m


@dataclass(frozen=True)
class DeploymentSpec:
    """One purpose of processing, as the operator describes it."""

    name: str
    purpose_type: str
    purpose: str
    necessity: str
    method: str = "verify"
    why_not_verify: str = ""
    location_type: str = "residential_entrance"
    public_place: bool = False
    sector: str = "general"
    retention_days: int = 365
    alternatives: tuple[str, ...] = ()
    transfer_mode: str = "on_device"
    transfer_legal_basis: str = ""
    lawful_basis: str = "consent"
    written_consent_required: bool = False
    exterior_camera: bool = False
    mlps_level: int | None = None
    entrusted_processor: str = ""
    capture_mode: str = "explicit_act"
    retention_justification: str = ""
    alternative_legal_basis: str = ""
    # Identification accuracy (see service/accuracy.py and law/identification.py).
    target_fpir: float = DEFAULT_TARGET_FPIR
    fnir_ceiling: float = DEFAULT_FNIR_CEILING
    target_fmr: float | None = None
    ambiguity_margin: float = DEFAULT_AMBIGUITY_MARGIN
    planned_gallery_size: int = 0
    liveness: str = "passive"
    # The free text in English (optional): purpose, necessity, why_not_verify, alternatives.
    # The fields above hold the Chinese, which Chinese documents show.
    english: dict[str, Any] = field(default_factory=dict)

    def row_values(self) -> dict[str, Any]:
        values = asdict(self)
        values["alternatives"] = [a.strip() for a in self.alternatives if a.strip()]
        values["english"] = english_texts(self.english)
        return values


ENGLISH_FIELDS = ("purpose", "necessity", "why_not_verify", "alternatives")


def english_texts(values: dict[str, Any] | None) -> dict[str, Any]:
    """The English free text, checked: only the four fields, strings (a list for the
    alternatives), blanks dropped."""
    out: dict[str, Any] = {}
    for key, value in (values or {}).items():
        if key not in ENGLISH_FIELDS:
            raise BadRequest(f"english: unknown field {key!r}; one of {', '.join(ENGLISH_FIELDS)}")
        if key == "alternatives":
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise BadRequest("english.alternatives must be a list of texts")
            kept = [v.strip() for v in value if v.strip()]
            if kept:
                out[key] = kept
        elif not isinstance(value, str):
            raise BadRequest(f"english.{key} must be a text")
        elif value.strip():
            out[key] = value.strip()
    return out


DEPLOYMENT_FIELDS = frozenset(f.name for f in fields(DeploymentSpec))


@dataclass(frozen=True)
class DeviceSpec:
    name: str
    location_description: str
    location_type: str
    public_place: bool = False
    signage_confirmed: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def _enum_error(exc: ValueError) -> BadRequest:
    return BadRequest(f"invalid value: {exc}")


def get_controller(session: Session, controller_id: str) -> m.Controller:
    row = session.get(m.Controller, controller_id)
    if row is None:
        raise UnknownController(f"no controller {controller_id!r}")
    return row


def get_deployment(session: Session, deployment_id: str) -> m.Deployment:
    row = session.get(m.Deployment, deployment_id)
    if row is None:
        raise UnknownDeployment(f"no deployment {deployment_id!r}")
    return row


def get_device(session: Session, device_id: str) -> m.Device:
    row = session.get(m.Device, device_id)
    if row is None:
        raise UnknownDevice(f"no device {device_id!r}: register it first")
    return row


def register_controller(
    ctx: GateContext, *, name: str, contact: str, address: str, dpo: str, actor: str
) -> m.Controller:
    if not name.strip() or not contact.strip():
        raise BadRequest(
            "a controller needs a name and a contact", key="error.bad_request.controller_fields"
        )
    with ctx.unit() as session:
        row = m.Controller(name=name, contact=contact, address=address, dpo=dpo)
        session.add(row)
        session.flush()
        record(
            ctx, session, actor=actor, action="controller.register", objects={"controller": row.id}
        )
        return row


def create_deployment(
    ctx: GateContext, controller_id: str, spec: DeploymentSpec, *, actor: str
) -> m.Deployment:
    """Refused when the law forbids the deployment as described (R&D, no purpose or necessity,
    no alternative, a prohibited place, cars for anything but driving safety, ...)."""
    with ctx.unit() as session:
        get_controller(session, controller_id)
        check_targets(spec.row_values())
        row = m.Deployment(controller_id=controller_id, status="draft", **spec.row_values())
        try:
            facts = deployment_facts(row)
        except ValueError as exc:
            raise _enum_error(exc) from exc
        require(
            law.Decision.combine(
                law.check_deployment(facts), approved_basis_decision(session, facts)
            ),
            actor=actor,
            action="deployment.create",
            objects={"controller": controller_id, "name": spec.name},
        )
        session.add(row)
        session.flush()
        record(
            ctx, session, actor=actor, action="deployment.create", objects={"deployment": row.id}
        )
        return row


def update_deployment(
    ctx: GateContext, deployment_id: str, changes: dict[str, Any], *, actor: str
) -> m.Deployment:
    unknown = set(changes) - DEPLOYMENT_FIELDS
    if unknown:
        raise BadRequest(f"unknown deployment fields: {', '.join(sorted(unknown))}")
    with ctx.unit() as session:
        row = get_deployment(session, deployment_id)
        candidate = {c: getattr(row, c) for c in DEPLOYMENT_FIELDS}
        candidate.update(changes)
        check_targets(changes)
        if "alternatives" in changes:
            candidate["alternatives"] = [a.strip() for a in changes["alternatives"] if a.strip()]
        if "english" in changes:  # merged field by field: a blank text removes that field
            merged = {**dict(row.english or {}), **(changes["english"] or {})}
            candidate["english"] = english_texts(merged)
        probe = m.Deployment(controller_id=row.controller_id, status=row.status, **candidate)
        probe.id = row.id
        try:
            facts = deployment_facts(probe)
        except ValueError as exc:
            raise _enum_error(exc) from exc
        require(
            law.Decision.combine(
                law.check_deployment(facts), approved_basis_decision(session, facts)
            ),
            actor=actor,
            action="deployment.update",
            objects={"deployment": row.id},
        )
        before = purpose_and_method(row)
        old_retention = row.retention_days
        for key, value in candidate.items():
            setattr(row, key, value)
        note_deployment_change(ctx, session, row, before, actor=actor)
        if row.retention_days < old_retention:
            _shorten_retention(ctx, session, row, old_retention, actor=actor)
        record(
            ctx,
            session,
            actor=actor,
            action="deployment.update",
            objects={"deployment": row.id, "fields": ",".join(sorted(changes))},
        )
        return row


def _shorten_retention(
    ctx: GateContext, session: Session, row: m.Deployment, old_days: int, *, actor: str
) -> None:
    """A shorter retention period applies to what is already stored, at once
    (``retention.shortened``): every template's expiry is brought forward to its creation plus
    the new period; the ones now expired stop matching at once and the sweep purges them."""
    clamped = 0
    for template in session.scalars(select(m.Template).where(m.Template.deployment_id == row.id)):
        created = aware(template.created_at)
        expires = aware(template.expires_at)
        assert created is not None and expires is not None
        new_expiry = law.template_expires_at(created, row.retention_days)
        if new_expiry < expires:
            template.expires_at = new_expiry
            clamped += 1
    if clamped:
        # Expiries are not a delta of additions and removals: every index reloads the gallery.
        gallery_log.log_reset(session, row.id)
    record(
        ctx,
        session,
        actor=actor,
        action="retention.shortened",
        objects={
            "deployment": row.id,
            "from_days": str(old_days),
            "to_days": str(row.retention_days),
            "templates": str(clamped),
        },
        articles=law.rule("retention.shortened").articles,
    )


def prerequisites_decision(
    ctx: GateContext, session: Session, row: m.Deployment
) -> tuple[law.Decision, ...]:
    return tuple(check(session, row, ctx.now()) for check in ctx.prerequisites)


def activate_deployment(ctx: GateContext, deployment_id: str, *, actor: str) -> m.Deployment:
    with ctx.unit() as session:
        row = get_deployment(session, deployment_id)
        decision = law.check_activation(
            deployment_facts(row),
            (*prerequisites_decision(ctx, session, row), accuracy_decision(ctx, session, row)),
        )
        require(
            decision,
            actor=actor,
            action="deployment.activate",
            objects={"deployment": row.id},
        )
        row.status = "active"
        row.suspended_at = None
        record(
            ctx, session, actor=actor, action="deployment.activate", objects={"deployment": row.id}
        )
        return row


def set_deployment_status(
    ctx: GateContext, deployment_id: str, status: str, *, actor: str
) -> m.Deployment:
    if status not in ("suspended", "stopped"):
        raise BadRequest("a deployment is suspended or stopped here; activate it with activate")
    with ctx.unit() as session:
        row = get_deployment(session, deployment_id)
        objects = {"deployment": row.id}
        if status == "suspended" and row.status != "suspended":
            row.suspended_at = ctx.now()
        row.status = status
        if status == "stopped":
            # Stopping ends the purpose: its face data goes at once (PIPL47; M8).
            subjects, destroyed = shred_deployment(ctx, session, row.id)
            objects.update(subjects=str(subjects), templates_destroyed=str(destroyed))
        record(
            ctx,
            session,
            actor=actor,
            action=f"deployment.{status}",
            objects=objects,
            articles=law.rule("storage.retention_minimum").articles if status == "stopped" else (),
        )
        return row


def register_device(
    ctx: GateContext, deployment_id: str, spec: DeviceSpec, *, actor: str
) -> m.Device:
    """Refused in private spaces of public places, and in public places without signage or a
    lawful basis."""
    with ctx.unit() as session:
        deployment = get_deployment(session, deployment_id)
        row = m.Device(
            deployment_id=deployment_id,
            name=spec.name,
            location_description=spec.location_description,
            location_type=spec.location_type,
            public_place=spec.public_place,
            signage_confirmed=spec.signage_confirmed,
            active=True,
        )
        try:
            facts = device_facts(row)
        except ValueError as exc:
            raise _enum_error(exc) from exc
        # Public by its location type whatever was declared (M13): stored as such.
        row.public_place = law.is_public_place(facts.location_type, spec.public_place)
        require(
            law.check_device_registration(facts, deployment_facts(deployment)),
            actor=actor,
            action="device.register",
            objects={"deployment": deployment_id, "location_type": spec.location_type},
        )
        session.add(row)
        session.flush()
        record(
            ctx,
            session,
            actor=actor,
            action="device.register",
            objects={"deployment": deployment_id, "device": row.id},
        )
        return row


def list_deployments(ctx: GateContext) -> list[m.Deployment]:
    with ctx.db.transaction() as session:
        rows = list(session.scalars(select(m.Deployment).order_by(m.Deployment.created_at)))
        session.expunge_all()
        return rows
