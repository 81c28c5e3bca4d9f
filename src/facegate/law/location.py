"""Where face devices may be (M13): never in private spaces, in public places only where public
safety needs them, with prominent signs. Whether a place is public follows from its type
(``PUBLIC_LOCATIONS``), never only from what the operator declares."""

from __future__ import annotations

from facegate.law.decision import Reason
from facegate.law.facts import (
    PROHIBITED_LOCATIONS,
    PUBLIC_LOCATIONS,
    DeploymentFacts,
    LocationType,
    PurposeType,
)


def is_public_place(location: LocationType, declared: bool = False) -> bool:
    """A public place: a location type on the list, or any place the operator declares public
    (a declaration can add a place, never take one off the list)."""
    return declared or location in PUBLIC_LOCATIONS


def private_space(location: LocationType) -> list[Reason]:
    if location not in PROHIBITED_LOCATIONS:
        return []
    place = str(location).replace("_", " ")
    return [
        Reason.of(
            "location.private_space",
            f"face recognition is never allowed in a {place}, a private space within a public "
            "place",
        )
    ]


def public_place_basis(deployment: DeploymentFacts) -> list[Reason]:
    """In a public place the deployment must be necessary to maintain public safety. Consent is
    no substitute: M13 has no consent exception, and PIPL26's covers only other uses of images
    already collected for public safety."""
    if deployment.purpose_type == PurposeType.PUBLIC_SAFETY:
        return []
    return [
        Reason.of(
            "location.public_place",
            "in a public place, face recognition is allowed only where it is necessary to "
            f"maintain public safety; the purpose here is {deployment.purpose_type}, and "
            "people's consent cannot stand in for that necessity",
        )
    ]


def public_place_signs(signage_confirmed: bool) -> list[Reason]:
    if signage_confirmed:
        return []
    return [
        Reason.of(
            "location.public_place",
            "a device in a public place needs prominent signs telling people about face "
            "recognition; put them up and confirm it",
        )
    ]
