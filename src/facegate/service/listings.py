"""Read functions for the registers: controllers, deployments, devices, subjects and consents,
as plain dictionaries (the CLI's ``list`` and ``show``; nothing secret, no face data)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from facegate.service.accuracy import accuracy_view
from facegate.service.context import GateContext
from facegate.service.errors import NotFound
from facegate.service.people import get_subject
from facegate.service.registry import get_controller, get_deployment, get_device
from facegate.service.views import (
    consent_view,
    controller_view,
    deployment_view,
    device_view,
    subject_view,
)
from facegate.store import models as m


class UnknownConsent(NotFound):
    code = "unknown_consent"


def controllers(ctx: GateContext) -> list[dict[str, Any]]:
    with ctx.db.transaction(readonly=True) as session:
        rows = session.scalars(select(m.Controller).order_by(m.Controller.created_at))
        return [controller_view(r) for r in rows]


def controller(ctx: GateContext, controller_id: str) -> dict[str, Any]:
    """One controller with the ids of its deployments."""
    with ctx.db.transaction(readonly=True) as session:
        row = get_controller(session, controller_id)
        deployments = session.scalars(
            select(m.Deployment.id)
            .where(m.Deployment.controller_id == controller_id)
            .order_by(m.Deployment.created_at)
        )
        return {**controller_view(row), "deployments": list(deployments)}


def deployments(ctx: GateContext, controller_id: str | None = None) -> list[dict[str, Any]]:
    with ctx.db.transaction(readonly=True) as session:
        query = select(m.Deployment).order_by(m.Deployment.created_at)
        if controller_id:
            get_controller(session, controller_id)
            query = query.where(m.Deployment.controller_id == controller_id)
        return [deployment_view(r) for r in session.scalars(query)]


def deployment(ctx: GateContext, deployment_id: str) -> dict[str, Any]:
    """One deployment with its devices and how many people it holds templates of."""
    with ctx.db.transaction(readonly=True) as session:
        row = get_deployment(session, deployment_id)
        devices = session.scalars(
            select(m.Device).where(m.Device.deployment_id == deployment_id).order_by(m.Device.id)
        )
        people = session.scalar(
            select(func.count(func.distinct(m.Template.subject_id))).where(
                m.Template.deployment_id == deployment_id
            )
        )
        expected = accuracy_view(ctx, session, row)
        return {
            **deployment_view(row),
            "devices": [device_view(d) for d in devices],
            "people_with_templates": int(people or 0),
            "expected_errors": expected.statement_en,
            "expected_errors_zh": expected.statement_zh,
        }


def devices(ctx: GateContext, deployment_id: str | None = None) -> list[dict[str, Any]]:
    with ctx.db.transaction(readonly=True) as session:
        query = select(m.Device).order_by(m.Device.deployment_id, m.Device.name)
        if deployment_id:
            get_deployment(session, deployment_id)
            query = query.where(m.Device.deployment_id == deployment_id)
        return [device_view(r) for r in session.scalars(query)]


def device(ctx: GateContext, device_id: str) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as session:
        return device_view(get_device(session, device_id))


def subjects(ctx: GateContext, deployment_id: str | None = None) -> list[dict[str, Any]]:
    """Subjects (pseudonymous ids; never their identity), optionally those with a consent
    record for one deployment."""
    with ctx.db.transaction(readonly=True) as session:
        query = select(m.Subject).order_by(m.Subject.created_at)
        if deployment_id:
            get_deployment(session, deployment_id)
            query = query.where(
                m.Subject.id.in_(
                    select(m.Consent.subject_id).where(m.Consent.deployment_id == deployment_id)
                )
            )
        return [subject_view(r) for r in session.scalars(query)]


def subject(ctx: GateContext, subject_id: str) -> dict[str, Any]:
    """One subject: consents and template counts per deployment (no identity, no vectors)."""
    with ctx.db.transaction(readonly=True) as session:
        row = get_subject(session, subject_id)
        consents = session.scalars(
            select(m.Consent).where(m.Consent.subject_id == subject_id).order_by(m.Consent.given_at)
        )
        templates = dict(
            session.execute(
                select(m.Template.deployment_id, func.count())
                .where(m.Template.subject_id == subject_id)
                .group_by(m.Template.deployment_id)
            ).all()
        )
        return {
            **subject_view(row),
            "consents": [consent_view(c) for c in consents],
            "templates": {k: int(v) for k, v in templates.items()},
        }


def consents(
    ctx: GateContext,
    *,
    subject_id: str | None = None,
    deployment_id: str | None = None,
    include_withdrawn: bool = True,
) -> list[dict[str, Any]]:
    with ctx.db.transaction(readonly=True) as session:
        query = select(m.Consent).order_by(m.Consent.given_at)
        if subject_id:
            get_subject(session, subject_id)
            query = query.where(m.Consent.subject_id == subject_id)
        if deployment_id:
            get_deployment(session, deployment_id)
            query = query.where(m.Consent.deployment_id == deployment_id)
        if not include_withdrawn:
            query = query.where(m.Consent.withdrawn_at.is_(None))
        return [consent_view(r) for r in session.scalars(query)]


def consent(ctx: GateContext, consent_id: str) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as session:
        row = session.get(m.Consent, consent_id)
        if row is None:
            raise UnknownConsent(f"no consent {consent_id!r}")
        return consent_view(row)
