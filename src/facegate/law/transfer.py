"""May face data leave the device (M8; automobile data provisions)?"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from facegate.law.consent import valid_transfer_consent
from facegate.law.decision import Decision, Reason
from facegate.law.facts import ConsentFacts, DeploymentFacts


def check_transfer(
    deployment: DeploymentFacts,
    subject_consents: Sequence[ConsentFacts],
    at: datetime,
    legal_basis: str = "",
) -> Decision:
    """Sending one subject's face data off the device: refused for vehicle exterior cameras;
    otherwise needs a law that requires it (``legal_basis`` given now, or recorded on the
    deployment) or the subject's standing separate consent to the transfer.

    ``subject_consents`` are one subject's consents (``ValueError`` if they mix subjects).
    """
    subjects = {c.subject_id for c in subject_consents}
    if len(subjects) > 1:
        raise ValueError("check_transfer takes the consents of one subject")
    if deployment.exterior_camera:
        return Decision.refuse(
            Reason.of(
                "sector.automotive",
                "images from a vehicle's exterior camera are important data and may not be "
                "sent off the device",
            )
        )
    if legal_basis.strip() or deployment.transfer_legal_basis.strip():
        return Decision.allow("storage.on_device")
    if any(valid_transfer_consent(subject_consents, s, deployment.id, at) for s in subjects):
        return Decision.allow("storage.on_device")
    return Decision.refuse(
        Reason.of(
            "storage.on_device",
            "face data stays on the device unless the person separately consents to sending "
            f"it (deployment {deployment.id}) or a law requires it; neither is recorded",
        )
    )
