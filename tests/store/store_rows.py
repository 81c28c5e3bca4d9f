"""Rows the store tests need: a controller with a deployment, a subject."""

from __future__ import annotations

from sqlalchemy.orm import Session

from facegate.store import models as m


def add_deployment(session: Session, name: str = "staff gate") -> m.Deployment:
    controller = m.Controller(name="Acme", contact="dpo@acme.example")
    session.add(controller)
    session.flush()
    deployment = m.Deployment(
        controller_id=controller.id,
        name=name,
        purpose_type="access_control",
        purpose="open the staff door",
        necessity="badges get shared",
        method="verify",
        location_type="office",
        sector="general",
        retention_days=365,
        alternatives=["badge"],
        transfer_mode="on_device",
        lawful_basis="consent",
    )
    session.add(deployment)
    session.flush()
    return deployment


def add_subject(session: Session) -> m.Subject:
    subject = m.Subject()
    session.add(subject)
    session.flush()
    return subject
