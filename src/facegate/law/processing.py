"""May a face be enrolled, verified (1:1) or identified (1:N) here and now?"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from facegate.law.consent import (
    check_consent_current,
    minor_guardian,
    valid_processing_consent,
    withdrawn_consent,
)
from facegate.law.decision import Decision, Reason
from facegate.law.facts import (
    CaptureMode,
    ConsentFacts,
    DeploymentFacts,
    DeviceFacts,
    LawfulBasis,
    Method,
    SubjectFacts,
)
from facegate.law.operational import deployment_active, device_serves


def check_enrolment(
    deployment: DeploymentFacts,
    device: DeviceFacts | None,
    subject: SubjectFacts,
    consents: Sequence[ConsentFacts],
    at: datetime,
) -> Decision:
    """Enrolment needs an active deployment, the subject's standing processing consent for
    exactly this deployment, and (if enrolling at a device) a device of this deployment."""
    reasons = deployment_active(deployment)
    if device is not None:
        reasons += device_serves(device, deployment)
    consent = valid_processing_consent(consents, subject.id, deployment.id, at)
    if consent is not None:
        reasons += minor_guardian(consent, subject)
        reasons += check_consent_current(consent, deployment).reasons
    elif withdrawn_consent(consents, subject.id, deployment.id, at) is not None:
        reasons.append(
            Reason.of(
                "consent.withdraw",
                f"this person withdrew consent to face recognition for deployment "
                f"{deployment.id}; their face may not be enrolled again unless they consent anew",
            )
        )
    else:
        reasons.append(
            Reason.of(
                "consent.separate",
                f"this person has no valid separate consent to face recognition for deployment "
                f"{deployment.id}; record their consent first or use the alternative",
            )
        )
    return Decision.from_reasons(reasons, "records.processing")


def check_recognition(deployment: DeploymentFacts, device: DeviceFacts, at: datetime) -> Decision:
    """Recognition at a device needs an active deployment and an active device of it.

    ``at`` is part of the contract for time-bound prerequisites; the checks here do not use
    it. Consent and retention are checked per template (see ``template_usable``).
    """
    del at
    reasons = deployment_active(deployment) + device_serves(device, deployment)
    return Decision.from_reasons(reasons, "records.processing")


def consent_based(deployment: DeploymentFacts) -> bool:
    return deployment.lawful_basis == LawfulBasis.CONSENT


def check_frame(deployment: DeploymentFacts, faces: int) -> Decision:
    """May the faces found in one frame be embedded? In a consent-based deployment only a frame
    with exactly one face (the person who acted): with several, none is embedded, since the
    others never consented (``capture.opt_in``)."""
    if faces <= 1 or not consent_based(deployment):
        return Decision.allow()
    return Decision.refuse(
        Reason.of(
            "capture.opt_in",
            f"the frame shows {faces} faces; in a consent-based deployment only the person who "
            "presented themselves is processed, so none of them was processed: one person at a "
            "time",
        )
    )


def check_identification(deployment: DeploymentFacts) -> Decision:
    """1:N search only for deployments declared as identification, with their recorded reason
    why 1:1 verification would not serve; in a consent-based deployment, never walk-through."""
    if consent_based(deployment) and deployment.capture_mode == CaptureMode.WALK_THROUGH:
        return Decision.refuse(
            Reason.of(
                "capture.opt_in",
                "walk-through identification of everyone in view is not allowed in a "
                "consent-based deployment; identify a person only when they act",
            )
        )
    if deployment.method != Method.IDENTIFY:
        return Decision.refuse(
            Reason.of(
                "purpose.specific_necessary",
                f"deployment {deployment.id} is declared for checking a claimed identity (1:1); "
                "searching all faces (1:N) is not allowed here",
            )
        )
    if not deployment.why_not_verify.strip():
        return Decision.refuse(
            Reason.of(
                "purpose.specific_necessary",
                "searching all faces (1:N) needs a recorded reason why checking one claimed "
                "identity (1:1) would not serve",
            )
        )
    return Decision.allow()
