"""May a deployment exist as described, and may it be switched on?"""

from __future__ import annotations

from collections.abc import Sequence

from facegate.law.decision import Decision, Reason
from facegate.law.facts import (
    VEHICLE_LOCATIONS,
    DeploymentFacts,
    DeploymentStatus,
    LawfulBasis,
    Method,
    PurposeType,
    Sector,
    TransferMode,
)
from facegate.law.location import private_space, public_place_basis
from facegate.law.retention import MAX_RETENTION_DAYS

MLPS_LEVELS = range(1, 6)


def check_deployment(d: DeploymentFacts) -> Decision:
    """Every rule a deployment's description must meet; all failures are reported at once."""
    reasons = [
        *_scope(d),
        *_purpose(d),
        *_alternatives(d),
        *_automotive(d),
        *_retention(d),
        *_location(d),
        *_transfer(d),
        *_security(d),
    ]
    obligations = []
    if d.public_place:
        obligations.append("location.public_place")
    if d.exterior_camera:
        obligations.append("sector.automotive")
    return Decision.from_reasons(reasons, *obligations)


def check_activation(d: DeploymentFacts, prerequisites: Sequence[Decision] = ()) -> Decision:
    """The deployment's own rules plus the prerequisites (impact assessment, notice, ...)."""
    stopped: list[Reason] = []
    if d.status == DeploymentStatus.STOPPED:
        stopped.append(
            Reason.of(
                "deployment.inactive",
                f"deployment {d.id} has been stopped and cannot be activated again; "
                "create a new deployment",
            )
        )
    return Decision.combine(check_deployment(d), *prerequisites, Decision.from_reasons(stopped))


def _blank(text: str) -> bool:
    return not text.strip()


def _scope(d: DeploymentFacts) -> list[Reason]:
    if d.purpose_type != PurposeType.RND:
        return []
    return [
        Reason.of(
            "scope.rnd_excluded",
            "research and algorithm training are not a use facegate serves; "
            "choose the purpose for which people are recognised",
        )
    ]


def _purpose(d: DeploymentFacts) -> list[Reason]:
    reasons = []
    if _blank(d.purpose):
        reasons.append(
            Reason.of("purpose.specific_necessary", "the purpose of face recognition is missing")
        )
    if _blank(d.necessity):
        reasons.append(
            Reason.of(
                "purpose.specific_necessary",
                "the statement of why face recognition is necessary for this purpose is missing",
            )
        )
    if d.method == Method.IDENTIFY and _blank(d.why_not_verify):
        reasons.append(
            Reason.of(
                "purpose.specific_necessary",
                "searching everyone's faces (1:N) needs a recorded reason why checking one "
                "claimed identity (1:1) would not serve this purpose",
            )
        )
    return reasons


def _alternatives(d: DeploymentFacts) -> list[Reason]:
    if any(not _blank(a) for a in d.alternatives):
        return []
    return [
        Reason.of(
            "alternative.required",
            "no alternative to face recognition is offered; name at least one other way "
            "(card, PIN, staff check) to reach the same purpose",
        ),
        Reason.of(
            "consent.not_conditional",
            "without an alternative, people who do not consent would be refused the service",
        ),
    ]


def _automotive(d: DeploymentFacts) -> list[Reason]:
    reasons = []
    in_vehicle = d.sector == Sector.AUTOMOTIVE or d.location_type in VEHICLE_LOCATIONS
    if in_vehicle and d.purpose_type != PurposeType.DRIVING_SAFETY:
        reasons.append(
            Reason.of(
                "sector.automotive",
                "in vehicles, face recognition may only serve driving safety; "
                f"the purpose type here is {d.purpose_type}",
            )
        )
    if d.exterior_camera and d.transfer_mode == TransferMode.NETWORKED:
        reasons.append(
            Reason.of(
                "sector.automotive",
                "images of people outside the vehicle are important data and may not be sent "
                "out of the vehicle; use on-device storage",
            )
        )
    return reasons


def _retention(d: DeploymentFacts) -> list[Reason]:
    if 1 <= d.retention_days <= MAX_RETENTION_DAYS:
        return []
    return [
        Reason.of(
            "storage.retention_minimum",
            f"the retention period must be between 1 and {MAX_RETENTION_DAYS} days and no "
            f"longer than the purpose needs; {d.retention_days} days was given",
        )
    ]


def _location(d: DeploymentFacts) -> list[Reason]:
    reasons = private_space(d.location_type)
    if d.public_place:
        reasons += public_place_basis(d)
    return reasons


def _transfer(d: DeploymentFacts) -> list[Reason]:
    if (
        d.transfer_mode != TransferMode.NETWORKED
        or d.lawful_basis == LawfulBasis.CONSENT
        or not _blank(d.transfer_legal_basis)
    ):
        return []
    return [
        Reason.of(
            "storage.on_device",
            "face data may leave the device over a network only with each person's separate "
            "consent or a law that requires it; record the legal basis or base the deployment "
            "on consent",
        )
    ]


def _security(d: DeploymentFacts) -> list[Reason]:
    if d.mlps_level is None or d.mlps_level in MLPS_LEVELS:
        return []
    return [
        Reason.of(
            "security.measures",
            f"the graded protection (MLPS) level must be 1 to 5, or left empty; "
            f"{d.mlps_level} was given",
        )
    ]
