"""Where face devices may be (M13): never in private spaces, in public places only with cause."""

from __future__ import annotations

from facegate.law.decision import Reason
from facegate.law.facts import (
    PROHIBITED_LOCATIONS,
    DeploymentFacts,
    LawfulBasis,
    LocationType,
    PurposeType,
)


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
    """In a public place the deployment must serve public safety or rest on each person's
    separate consent."""
    if (
        deployment.purpose_type == PurposeType.PUBLIC_SAFETY
        or deployment.lawful_basis == LawfulBasis.CONSENT
    ):
        return []
    return [
        Reason.of(
            "location.public_place",
            "in a public place, face recognition must serve public safety, or each person "
            "must separately consent",
        )
    ]
