"""check_device_registration: where a device may be, and for which deployment."""

from __future__ import annotations

from typing import Any

import pytest
from law_factories import deployment, device

from facegate.law import (
    PROHIBITED_LOCATIONS,
    PUBLIC_LOCATIONS,
    LawfulBasis,
    LocationType,
    PurposeType,
    Sector,
    check_device_registration,
)


def test_device_registration_allowed() -> None:
    assert check_device_registration(device(), deployment()).allowed


def test_device_registration_allowed_for_a_draft_deployment() -> None:
    assert check_device_registration(device(), deployment(status="draft")).allowed


# -- location.private_space ---------------------------------------------------------------
@pytest.mark.parametrize("place", sorted(PROHIBITED_LOCATIONS))
def test_location_private_space_refused(place: LocationType) -> None:
    decision = check_device_registration(device(location_type=place), deployment())
    assert decision.codes == ("location.private_space",)


def test_location_private_space_refused_even_with_signage_and_public_safety() -> None:
    decision = check_device_registration(
        device(location_type=LocationType.PUBLIC_TOILET, public_place=True, signage_confirmed=True),
        deployment(purpose_type=PurposeType.PUBLIC_SAFETY, lawful_basis=LawfulBasis.LEGAL_DUTY),
    )
    assert decision.codes == ("location.private_space",)


@pytest.mark.parametrize(
    "place",
    [
        p
        for p in LocationType
        if p not in PROHIBITED_LOCATIONS and p not in PUBLIC_LOCATIONS and "vehicle" not in p
    ],
)
def test_location_private_space_allowed(place: LocationType) -> None:
    assert check_device_registration(device(location_type=place), deployment()).allowed


# -- location.public_place ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("signage", "basis", "purpose"),
    [
        (False, LawfulBasis.CONSENT, PurposeType.ACCESS_CONTROL),
        (False, LawfulBasis.LEGAL_DUTY, PurposeType.PUBLIC_SAFETY),
        (True, LawfulBasis.CONTRACT_NECESSITY, PurposeType.ACCESS_CONTROL),
        (True, LawfulBasis.CONSENT, PurposeType.ACCESS_CONTROL),
    ],
    ids=["no-signs", "public-safety-no-signs", "signs-but-no-basis", "signs-and-consent"],
)
def test_location_public_place_refused(
    signage: bool, basis: LawfulBasis, purpose: PurposeType
) -> None:
    decision = check_device_registration(
        device(public_place=True, signage_confirmed=signage),
        deployment(lawful_basis=basis, purpose_type=purpose),
    )
    assert decision.codes == ("location.public_place",)


def test_location_public_place_refused_message_asks_for_signs() -> None:
    decision = check_device_registration(device(public_place=True), deployment())
    assert "signs" in decision.reasons[0].message


@pytest.mark.parametrize("place", sorted(PUBLIC_LOCATIONS))
def test_location_public_place_refused_by_location_type_even_if_declared_not_public(
    place: LocationType,
) -> None:
    decision = check_device_registration(
        device(location_type=place, public_place=False, signage_confirmed=True), deployment()
    )
    assert decision.codes == ("location.public_place",)
    assert "public safety" in decision.reasons[0].message


@pytest.mark.parametrize("basis", [LawfulBasis.LEGAL_DUTY, LawfulBasis.CONSENT])
def test_location_public_place_allowed(basis: LawfulBasis) -> None:
    decision = check_device_registration(
        device(
            public_place=False, signage_confirmed=True, location_type=LocationType.TRANSPORT_HUB
        ),
        deployment(lawful_basis=basis, purpose_type=PurposeType.PUBLIC_SAFETY),
    )
    assert decision.allowed and decision.obligations == ("location.public_place",)


def test_location_public_place_allowed_not_public_without_signs() -> None:
    decision = check_device_registration(
        device(public_place=False, signage_confirmed=False),
        deployment(lawful_basis=LawfulBasis.CONTRACT_NECESSITY),
    )
    assert decision.allowed


# -- sector.automotive --------------------------------------------------------------------
DRIVING = {"purpose_type": PurposeType.DRIVING_SAFETY, "sector": Sector.AUTOMOTIVE}


@pytest.mark.parametrize(
    ("place", "deployment_changes"),
    [
        (LocationType.VEHICLE_CABIN, {"lawful_basis": LawfulBasis.CONTRACT_NECESSITY}),
        (
            LocationType.VEHICLE_EXTERIOR,
            {"exterior_camera": True, "lawful_basis": LawfulBasis.LEGAL_DUTY},
        ),
        (LocationType.OFFICE, DRIVING),
        (LocationType.VEHICLE_EXTERIOR, {**DRIVING, "exterior_camera": False}),
    ],
    ids=[
        "cabin-for-access-without-consent",
        "exterior-for-access-without-consent",
        "office-for-driving",
        "undeclared-exterior",
    ],
)
def test_sector_automotive_refused(place: LocationType, deployment_changes: dict[str, Any]) -> None:
    decision = check_device_registration(
        device(location_type=place), deployment(**deployment_changes)
    )
    assert decision.codes == ("sector.automotive",)


@pytest.mark.parametrize(
    ("place", "deployment_changes"),
    [
        (LocationType.VEHICLE_CABIN, DRIVING),
        (LocationType.VEHICLE_EXTERIOR, {**DRIVING, "exterior_camera": True}),
        (LocationType.VEHICLE_CABIN, {}),  # another purpose, on each person's consent
        (LocationType.OFFICE, {"sector": Sector.AUTOMOTIVE}),  # a carmaker's office
    ],
    ids=["cabin", "declared-exterior", "cabin-on-consent", "carmaker-office"],
)
def test_sector_automotive_allowed(place: LocationType, deployment_changes: dict[str, Any]) -> None:
    decision = check_device_registration(
        device(location_type=place), deployment(**deployment_changes)
    )
    assert decision.allowed


# -- operational --------------------------------------------------------------------------
def test_device_registration_refused_for_another_deployment() -> None:
    decision = check_device_registration(device(deployment_id="dep-2"), deployment())
    assert decision.codes == ("device.wrong_deployment",)
    assert decision.articles == ()
