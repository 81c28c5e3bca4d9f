"""May face data leave the device (M8; automobile data provisions)?"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from facegate.law.consent import valid_transfer_consent
from facegate.law.decision import Decision, Reason
from facegate.law.facts import VEHICLE_LOCATIONS, ConsentFacts, DeploymentFacts
from facegate.law.legal_bases import BasisUse, basis_form


def check_transfer(
    deployment: DeploymentFacts,
    subject_consents: Sequence[ConsentFacts],
    at: datetime,
    legal_basis: str = "",
) -> Decision:
    """Sending one subject's face data off the device needs a law that requires it (a basis
    code of ``LEGAL_BASES`` or an approved basis, given now or recorded on the deployment) or
    the subject's standing separate consent to the transfer. Free text is no legal basis.
    Face data from a vehicle's cameras leaves it only where truly necessary: a legal basis, not
    consent alone.

    ``subject_consents`` are one subject's consents (``ValueError`` if they mix subjects).
    """
    subjects = {c.subject_id for c in subject_consents}
    if len(subjects) > 1:
        raise ValueError("check_transfer takes the consents of one subject")
    basis = legal_basis.strip() or deployment.transfer_legal_basis.strip()
    if basis:
        malformed = basis_form(basis, BasisUse.TRANSFER, "storage.on_device")
        return Decision.from_reasons(malformed, "storage.on_device")
    if deployment.exterior_camera or deployment.location_type in VEHICLE_LOCATIONS:
        return Decision.refuse(
            Reason.of(
                "sector.automotive",
                "face data from a vehicle's cameras is not provided outside the vehicle unless "
                "truly necessary (images of people outside it are important data); name the "
                "legal basis that makes it necessary",
            )
        )
    if any(valid_transfer_consent(subject_consents, s, deployment.id, at) for s in subjects):
        return Decision.allow("storage.on_device")
    return Decision.refuse(
        Reason.of(
            "storage.on_device",
            "face data stays on the device unless the person separately consents to sending "
            f"it (deployment {deployment.id}) or a law requires it; neither is recorded",
        )
    )
