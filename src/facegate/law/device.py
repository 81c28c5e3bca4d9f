"""May a device be registered for a deployment at this place?"""

from __future__ import annotations

from facegate.law.decision import Decision, Reason
from facegate.law.facts import (
    VEHICLE_LOCATIONS,
    DeploymentFacts,
    DeviceFacts,
    LocationType,
    PurposeType,
)
from facegate.law.location import private_space, public_place_basis
from facegate.law.operational import device_belongs


def check_device_registration(device: DeviceFacts, deployment: DeploymentFacts) -> Decision:
    """Refused in private spaces of public places (M13); in public places without confirmed
    signs or without a public-safety or consent basis; and where the device's place does not
    fit a vehicle deployment."""
    reasons = device_belongs(device, deployment) + private_space(device.location_type)
    obligations = []
    if device.public_place:
        obligations.append("location.public_place")
        if not device.signage_confirmed:
            reasons.append(
                Reason.of(
                    "location.public_place",
                    "a device in a public place needs prominent signs telling people about "
                    "face recognition; put them up and confirm it",
                )
            )
        reasons += public_place_basis(deployment)
    reasons += _vehicle(device, deployment)
    return Decision.from_reasons(reasons, *obligations)


def _vehicle(device: DeviceFacts, deployment: DeploymentFacts) -> list[Reason]:
    driving = deployment.purpose_type == PurposeType.DRIVING_SAFETY
    in_vehicle = device.location_type in VEHICLE_LOCATIONS
    if in_vehicle and not driving:
        return [
            Reason.of(
                "sector.automotive",
                "a device in a vehicle may only serve driving safety; "
                f"deployment {deployment.id} is for {deployment.purpose_type}",
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
