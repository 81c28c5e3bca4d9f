"""check_deployment, check_activation: one refusal and one allowed case per rule code."""

from __future__ import annotations

from typing import Any

import pytest
from law_factories import deployment

from facegate.law import (
    MAX_RETENTION_DAYS,
    PUBLIC_LOCATIONS,
    CaptureMode,
    Decision,
    DeploymentStatus,
    LawfulBasis,
    LocationType,
    Method,
    PurposeType,
    Reason,
    Sector,
    TransferMode,
    check_activation,
    check_deployment,
    default_retention_days,
    retention_warning,
)


def refused_codes(**changes: Any) -> tuple[str, ...]:
    decision = check_deployment(deployment(**changes))
    assert not decision.allowed
    return decision.codes


def test_lawful_deployment_allowed() -> None:
    assert check_deployment(deployment()) == Decision.allow()


# -- scope.rnd_excluded -------------------------------------------------------------------
def test_scope_rnd_excluded_refused() -> None:
    assert refused_codes(purpose_type=PurposeType.RND) == ("scope.rnd_excluded",)


@pytest.mark.parametrize("purpose_type", [p for p in PurposeType if p is not PurposeType.RND])
def test_scope_rnd_excluded_allowed(purpose_type: PurposeType) -> None:
    changes: dict[str, Any] = {
        "purpose_type": purpose_type,
        "retention_days": default_retention_days(purpose_type),
    }
    if purpose_type is PurposeType.DRIVING_SAFETY:
        changes.update(sector=Sector.AUTOMOTIVE, location_type=LocationType.VEHICLE_CABIN)
    assert check_deployment(deployment(**changes)).allowed


# -- purpose.specific_necessary -----------------------------------------------------------
@pytest.mark.parametrize(
    "changes",
    [
        {"purpose": ""},
        {"purpose": "   "},
        {"necessity": "\n\t"},
        {"method": Method.IDENTIFY, "why_not_verify": " "},
    ],
    ids=["no-purpose", "blank-purpose", "blank-necessity", "identify-without-why"],
)
def test_purpose_specific_necessary_refused(changes: dict[str, Any]) -> None:
    assert refused_codes(**changes) == ("purpose.specific_necessary",)


def test_purpose_specific_necessary_refused_reports_each_missing_item() -> None:
    decision = check_deployment(deployment(purpose="", necessity="", why_not_verify=""))
    assert decision.codes == ("purpose.specific_necessary",)
    assert len(decision.reasons) == 3
    assert "purpose" in decision.reasons[0].message
    assert "necessary" in decision.reasons[1].message
    assert "1:1" in decision.reasons[2].message


@pytest.mark.parametrize(
    "changes",
    [{}, {"method": Method.VERIFY, "why_not_verify": ""}],
    ids=["identify-with-why", "verify-needs-no-why"],
)
def test_purpose_specific_necessary_allowed(changes: dict[str, Any]) -> None:
    assert check_deployment(deployment(**changes)).allowed


# -- alternative.required / consent.not_conditional ---------------------------------------
@pytest.mark.parametrize("alternatives", [(), ("",), ("  ", "\t")])
def test_alternative_required_refused(alternatives: tuple[str, ...]) -> None:
    assert "alternative.required" in refused_codes(alternatives=alternatives)


@pytest.mark.parametrize("alternatives", [(), ("  ",)])
def test_consent_not_conditional_refused(alternatives: tuple[str, ...]) -> None:
    assert refused_codes(alternatives=alternatives) == (
        "alternative.required",
        "consent.not_conditional",
    )


@pytest.mark.parametrize("alternatives", [("PIN pad",), ("", "staff check")])
def test_alternative_required_allowed(alternatives: tuple[str, ...]) -> None:
    assert check_deployment(deployment(alternatives=alternatives)).allowed


def test_consent_not_conditional_allowed() -> None:
    assert check_deployment(deployment(alternatives=("card",))).allowed


# -- sector.automotive --------------------------------------------------------------------
@pytest.mark.parametrize(
    "changes",
    [
        {
            "location_type": LocationType.VEHICLE_CABIN,
            "purpose_type": PurposeType.PAYMENT,
            "lawful_basis": LawfulBasis.CONTRACT_NECESSITY,
        },
        {
            "location_type": LocationType.VEHICLE_EXTERIOR,
            "exterior_camera": True,
            "lawful_basis": LawfulBasis.LEGAL_DUTY,
        },
        {
            "sector": Sector.AUTOMOTIVE,
            "purpose_type": PurposeType.DRIVING_SAFETY,
            "location_type": LocationType.VEHICLE_EXTERIOR,
            "exterior_camera": True,
            "transfer_mode": TransferMode.NETWORKED,
        },
        {
            "purpose_type": PurposeType.DRIVING_SAFETY,
            "location_type": LocationType.VEHICLE_CABIN,
            "transfer_mode": TransferMode.NETWORKED,
        },
    ],
    ids=[
        "cabin-payment-no-consent",
        "exterior-access-legal-duty",
        "exterior-networked",
        "cabin-networked-without-necessity",
    ],
)
def test_sector_automotive_refused(changes: dict[str, Any]) -> None:
    assert refused_codes(**changes) == ("sector.automotive",)


def test_sector_automotive_refused_says_unless_truly_necessary_not_a_ban() -> None:
    decision = check_deployment(
        deployment(
            purpose_type=PurposeType.DRIVING_SAFETY,
            location_type=LocationType.VEHICLE_CABIN,
            transfer_mode=TransferMode.NETWORKED,
        )
    )
    assert "unless truly necessary" in decision.reasons[0].message


@pytest.mark.parametrize(
    "changes",
    [
        {"sector": Sector.AUTOMOTIVE, "location_type": LocationType.VEHICLE_CABIN},
        {"location_type": LocationType.VEHICLE_EXTERIOR, "exterior_camera": True},
        {
            "location_type": LocationType.VEHICLE_CABIN,
            "transfer_mode": TransferMode.NETWORKED,
            "transfer_legal_basis": "CPL54",
        },
    ],
    ids=["cabin", "exterior-on-device", "cabin-networked-with-a-legal-basis"],
)
def test_sector_automotive_allowed(changes: dict[str, Any]) -> None:
    decision = check_deployment(deployment(purpose_type=PurposeType.DRIVING_SAFETY, **changes))
    assert decision.allowed


@pytest.mark.parametrize(
    "changes",
    [
        # a carmaker's office or showroom is not a vehicle: the automotive rules do not apply
        {
            "sector": Sector.AUTOMOTIVE,
            "purpose_type": PurposeType.ATTENDANCE,
            "location_type": LocationType.OFFICE,
        },
        {"sector": Sector.AUTOMOTIVE, "purpose_type": PurposeType.ACCESS_CONTROL},
        # in the cabin, a purpose other than driving safety on each person's separate consent
        {"location_type": LocationType.VEHICLE_CABIN, "purpose_type": PurposeType.PAYMENT},
    ],
    ids=["carmaker-office", "carmaker-gate", "cabin-payment-with-consent"],
)
def test_sector_automotive_allowed_outside_vehicles_and_on_consent(
    changes: dict[str, Any],
) -> None:
    assert check_deployment(deployment(**changes)).allowed


def test_sector_automotive_allowed_exterior_camera_carries_the_obligation() -> None:
    decision = check_deployment(
        deployment(
            purpose_type=PurposeType.DRIVING_SAFETY,
            location_type=LocationType.VEHICLE_EXTERIOR,
            exterior_camera=True,
        )
    )
    assert decision.obligations == ("sector.automotive",)


# -- storage.retention_minimum ------------------------------------------------------------
@pytest.mark.parametrize("days", [-1, 0, MAX_RETENTION_DAYS + 1])
def test_storage_retention_minimum_refused(days: int) -> None:
    assert refused_codes(retention_days=days) == ("storage.retention_minimum",)


@pytest.mark.parametrize("days", [1, 30, 365])
def test_storage_retention_minimum_allowed(days: int) -> None:
    assert check_deployment(deployment(retention_days=days)).allowed


def test_storage_retention_minimum_refused_above_the_purpose_default_without_justification() -> (
    None
):
    assert default_retention_days(PurposeType.ACCESS_CONTROL) == 365
    decision = check_deployment(deployment(retention_days=366, retention_justification="  "))
    assert decision.codes == ("storage.retention_minimum",)
    assert "365 days" in decision.reasons[0].message
    assert retention_warning(PurposeType.ACCESS_CONTROL, 366)
    assert retention_warning(PurposeType.ACCESS_CONTROL, 365) == ""


def test_storage_retention_minimum_allowed_above_the_default_with_a_justification() -> None:
    decision = check_deployment(
        deployment(
            retention_days=MAX_RETENTION_DAYS,
            retention_justification="Long-term residents; reviewed each year with the owners",
        )
    )
    assert decision.allowed


@pytest.mark.parametrize(
    ("purpose_type", "days"),
    [(PurposeType.HOTEL_CHECKIN, 31), (PurposeType.PUBLIC_SAFETY, 31), (PurposeType.OTHER, 91)],
)
def test_storage_retention_minimum_refused_per_purpose_default(
    purpose_type: PurposeType, days: int
) -> None:
    changes: dict[str, Any] = {"purpose_type": purpose_type, "retention_days": days}
    assert "storage.retention_minimum" in refused_codes(**changes)


# -- location.private_space ---------------------------------------------------------------
@pytest.mark.parametrize(
    "place",
    [
        LocationType.HOTEL_ROOM,
        LocationType.PUBLIC_BATHHOUSE,
        LocationType.PUBLIC_CHANGING_ROOM,
        LocationType.PUBLIC_TOILET,
        LocationType.PUBLIC_BATHROOM,
        LocationType.DORMITORY_ROOM,
    ],
)
def test_location_private_space_refused(place: LocationType) -> None:
    decision = check_deployment(deployment(location_type=place))
    assert decision.codes == ("location.private_space",)
    assert place.value.replace("_", " ") in decision.reasons[0].message


@pytest.mark.parametrize(
    "place", [LocationType.OFFICE, LocationType.PAYMENT_COUNTER, LocationType.OTHER]
)
def test_location_private_space_allowed(place: LocationType) -> None:
    assert check_deployment(deployment(location_type=place)).allowed


# -- location.public_place ----------------------------------------------------------------
@pytest.mark.parametrize("basis", [LawfulBasis.LEGAL_DUTY, LawfulBasis.CONTRACT_NECESSITY])
def test_location_public_place_refused(basis: LawfulBasis) -> None:
    assert refused_codes(public_place=True, lawful_basis=basis) == ("location.public_place",)


@pytest.mark.parametrize("place", sorted(PUBLIC_LOCATIONS))
def test_location_public_place_refused_on_consent_by_location_type(place: LocationType) -> None:
    # Public by its type, although the operator declared it not public; consent is no
    # substitute for the necessity of public safety (M13; PIPL26).
    decision = check_deployment(
        deployment(location_type=place, public_place=False, lawful_basis=LawfulBasis.CONSENT)
    )
    assert decision.codes == ("location.public_place",)
    assert "consent cannot stand in" in decision.reasons[0].message


def test_location_public_place_list_holds_the_usual_public_places() -> None:
    assert {
        LocationType.TRANSPORT_HUB,
        LocationType.SHOP,
        LocationType.SCENIC_AREA,
        LocationType.HOTEL_LOBBY,
    } <= PUBLIC_LOCATIONS
    assert LocationType.RESIDENTIAL_ENTRANCE not in PUBLIC_LOCATIONS


@pytest.mark.parametrize("basis", [LawfulBasis.LEGAL_DUTY, LawfulBasis.CONSENT])
def test_location_public_place_allowed(basis: LawfulBasis) -> None:
    decision = check_deployment(
        deployment(
            purpose_type=PurposeType.PUBLIC_SAFETY,
            retention_days=30,
            location_type=LocationType.TRANSPORT_HUB,
            lawful_basis=basis,
        )
    )
    assert decision.allowed and decision.obligations == ("location.public_place",)


def test_location_public_place_allowed_off_public_place_without_consent() -> None:
    assert check_deployment(deployment(lawful_basis=LawfulBasis.CONTRACT_NECESSITY)).allowed


# -- storage.on_device --------------------------------------------------------------------
def test_storage_on_device_refused() -> None:
    assert refused_codes(
        transfer_mode=TransferMode.NETWORKED,
        lawful_basis=LawfulBasis.LEGAL_DUTY,
        transfer_legal_basis="  ",
    ) == ("storage.on_device",)


@pytest.mark.parametrize(
    "changes",
    [
        {"transfer_mode": TransferMode.ON_DEVICE, "lawful_basis": LawfulBasis.LEGAL_DUTY},
        {"transfer_mode": TransferMode.NETWORKED, "lawful_basis": LawfulBasis.CONSENT},
        {
            "transfer_mode": TransferMode.NETWORKED,
            "lawful_basis": LawfulBasis.LEGAL_DUTY,
            "transfer_legal_basis": "DSL35",
        },
        {
            "transfer_mode": TransferMode.NETWORKED,
            "lawful_basis": LawfulBasis.LEGAL_DUTY,
            "transfer_legal_basis": "approved:0123abcd",
        },
    ],
    ids=["on-device", "networked-consent", "networked-listed-basis", "networked-approved-basis"],
)
def test_storage_on_device_allowed(changes: dict[str, Any]) -> None:
    assert check_deployment(deployment(**changes)).allowed


@pytest.mark.parametrize("basis", ["none", "Anti-Terrorism Law art. 50", "approved:"])
def test_storage_on_device_refused_free_text_legal_basis(basis: str) -> None:
    assert refused_codes(
        transfer_mode=TransferMode.NETWORKED,
        lawful_basis=LawfulBasis.LEGAL_DUTY,
        transfer_legal_basis=basis,
    ) == ("storage.on_device",)


# -- capture.opt_in -----------------------------------------------------------------------
@pytest.mark.parametrize("method", [Method.IDENTIFY, Method.VERIFY])
def test_capture_opt_in_refused_walk_through_on_consent(method: Method) -> None:
    decision = check_deployment(deployment(method=method, capture_mode=CaptureMode.WALK_THROUGH))
    assert decision.codes == ("capture.opt_in",)


@pytest.mark.parametrize(
    "changes",
    [
        {"capture_mode": CaptureMode.EXPLICIT_ACT},
        {
            "capture_mode": CaptureMode.WALK_THROUGH,
            "lawful_basis": LawfulBasis.LEGAL_DUTY,
            "purpose_type": PurposeType.PUBLIC_SAFETY,
            "retention_days": 30,
        },
    ],
    ids=["explicit-act-on-consent", "walk-through-for-public-safety"],
)
def test_capture_opt_in_allowed(changes: dict[str, Any]) -> None:
    assert check_deployment(deployment(**changes)).allowed


# -- alternative.required: "unless laws provide otherwise" (M10) ----------------------------
def test_alternative_required_allowed_with_a_recorded_legal_basis() -> None:
    assert check_deployment(
        deployment(alternatives=(), alternative_legal_basis="approved:5f3e")
    ).allowed


def test_alternative_required_refused_with_free_text_instead_of_a_basis() -> None:
    decision = check_deployment(
        deployment(alternatives=(), alternative_legal_basis="our lawyers said so")
    )
    assert decision.codes == ("alternative.required",)


# -- security.measures --------------------------------------------------------------------
@pytest.mark.parametrize("level", [0, 6, 9, -1])
def test_security_measures_refused(level: int) -> None:
    assert refused_codes(mlps_level=level) == ("security.measures",)


@pytest.mark.parametrize("level", [None, 1, 3, 5])
def test_security_measures_allowed(level: int | None) -> None:
    assert check_deployment(deployment(mlps_level=level)).allowed


# -- all failures at once -----------------------------------------------------------------
def test_check_deployment_reports_every_failure_in_order() -> None:
    codes = refused_codes(
        purpose_type=PurposeType.RND,
        necessity="",
        alternatives=(),
        retention_days=0,
        location_type=LocationType.HOTEL_ROOM,
        public_place=True,
        lawful_basis=LawfulBasis.LEGAL_DUTY,
        transfer_mode=TransferMode.NETWORKED,
        mlps_level=7,
        exterior_camera=True,
    )
    assert codes == (
        "scope.rnd_excluded",
        "purpose.specific_necessary",
        "alternative.required",
        "consent.not_conditional",
        "sector.automotive",
        "storage.retention_minimum",
        "location.private_space",
        "location.public_place",
        "storage.on_device",
        "security.measures",
    )


# -- check_activation ---------------------------------------------------------------------
PIPIA_MISSING = Decision.refuse(Reason.of("pipia.before", "no approved impact assessment"))


@pytest.mark.parametrize(
    "status", [DeploymentStatus.DRAFT, DeploymentStatus.SUSPENDED, DeploymentStatus.ACTIVE]
)
def test_check_activation_allowed(status: DeploymentStatus) -> None:
    assert check_activation(deployment(status=status), [Decision.allow()]).allowed


def test_check_activation_refused_when_stopped() -> None:
    decision = check_activation(deployment(status=DeploymentStatus.STOPPED))
    assert decision.codes == ("deployment.inactive",)


def test_check_activation_refused_by_prerequisites_and_rules_together() -> None:
    decision = check_activation(
        deployment(status=DeploymentStatus.DRAFT, necessity=""), (PIPIA_MISSING,)
    )
    assert decision.codes == ("purpose.specific_necessary", "pipia.before")
