"""May a device be registered for a deployment at this place?"""

from __future__ import annotations

from facegate.law.decision import Decision, Reason
from facegate.law.facts import (
    VEHICLE_LOCATIONS,
    DeploymentFacts,
    DeviceFacts,
    LawfulBasis,
    LocationType,
    PurposeType,
)
from facegate.law.location import (
    is_public_place,
    private_space,
    public_place_basis,
    public_place_signs,
)
from facegate.law.operational import device_belongs


def check_device_registration(device: DeviceFacts, deployment: DeploymentFacts) -> Decision:
    """Refused in private spaces of public places (M13); in public places (by location type or
    declared) unless the deployment is necessary for public safety and the signs are confirmed;
    and where the device's place does not fit a vehicle deployment."""
    reasons = device_belongs(device, deployment) + private_space(device.location_type)
    obligations = []
    if is_public_place(device.location_type, device.public_place):
        obligations.append("location.public_place")
        reasons += public_place_signs(device.signage_confirmed)
        reasons += public_place_basis(deployment)
    reasons += _vehicle(device, deployment)
    return Decision.from_reasons(reasons, *obligations)


def _vehicle(device: DeviceFacts, deployment: DeploymentFacts) -> list[Reason]:
    driving = deployment.purpose_type == PurposeType.DRIVING_SAFETY
    in_vehicle = device.location_type in VEHICLE_LOCATIONS
    if in_vehicle and not driving and deployment.lawful_basis != LawfulBasis.CONSENT:
        return [
            Reason.of(
                "sector.automotive",
                "a camera in or on a vehicle serves driving safety; any other purpose (here "
                f"{deployment.purpose_type}) needs each person's separate consent",
            )
        ]
    if driving and not in_vehicle:
        return [
            Reason.of(
                "sector.automotive",
                "a driving-safety deployment's devices must be in the vehicle "
                "(cabin or exterior camera)",
            )
        ]
    if device.location_type == LocationType.VEHICLE_EXTERIOR and not deployment.exterior_camera:
        return [
            Reason.of(
                "sector.automotive",
                "an exterior camera captures people outside the vehicle, whose images are "
                "important data; the deployment must declare its exterior camera",
            )
        ]
    return []
