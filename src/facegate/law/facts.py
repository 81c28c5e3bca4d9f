"""The context the law decides on: plain values the service builds from the store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class Method(StrEnum):
    VERIFY = "verify"  # 1:1, a claimed identity against its stored face
    IDENTIFY = "identify"  # 1:N, a face against a stored set


class PurposeType(StrEnum):
    ACCESS_CONTROL = "access_control"
    PAYMENT = "payment"
    ATTENDANCE = "attendance"
    HOTEL_CHECKIN = "hotel_checkin"
    PUBLIC_SAFETY = "public_safety"
    DRIVING_SAFETY = "driving_safety"
    RND = "rnd"
    OTHER = "other"


class LocationType(StrEnum):
    RESIDENTIAL_ENTRANCE = "residential_entrance"
    OFFICE = "office"
    HOTEL_LOBBY = "hotel_lobby"
    HOTEL_ROOM = "hotel_room"
    SHOP = "shop"
    PAYMENT_COUNTER = "payment_counter"
    TRANSPORT_HUB = "transport_hub"
    SCENIC_AREA = "scenic_area"
    VEHICLE_CABIN = "vehicle_cabin"
    VEHICLE_EXTERIOR = "vehicle_exterior"
    PUBLIC_BATHHOUSE = "public_bathhouse"
    PUBLIC_CHANGING_ROOM = "public_changing_room"
    PUBLIC_TOILET = "public_toilet"
    PUBLIC_BATHROOM = "public_bathroom"
    DORMITORY_ROOM = "dormitory_room"
    OTHER = "other"


PROHIBITED_LOCATIONS: frozenset[LocationType] = frozenset(
    {
        LocationType.HOTEL_ROOM,
        LocationType.PUBLIC_BATHHOUSE,
        LocationType.PUBLIC_CHANGING_ROOM,
        LocationType.PUBLIC_TOILET,
        LocationType.PUBLIC_BATHROOM,
        LocationType.DORMITORY_ROOM,
    }
)
"""Private spaces within public places, where face devices are never allowed (M13)."""

VEHICLE_LOCATIONS: frozenset[LocationType] = frozenset(
    {LocationType.VEHICLE_CABIN, LocationType.VEHICLE_EXTERIOR}
)
"""In-vehicle and exterior-vehicle cameras: where the automobile data provisions apply."""

PUBLIC_LOCATIONS: frozenset[LocationType] = frozenset(
    {
        LocationType.TRANSPORT_HUB,
        LocationType.SHOP,
        LocationType.SCENIC_AREA,
        LocationType.HOTEL_LOBBY,
    }
)
"""Public places (M13): open to anyone who comes. A device at one of these location types is in
a public place whatever the operator declares; an operator may declare any other place public
too, never one of these not public. (A payment counter, where a person presents their face on
purpose, and a residential entrance or an office, open to residents or staff, are not on the
list: see docs/legal-notes.md.)"""


class CaptureMode(StrEnum):
    """How a device comes to process a face (M6, M10, M12; ``capture.opt_in``)."""

    EXPLICIT_ACT = "explicit_act"  # only when the person acts: presents at the terminal,
    # presses a button, enters an opt-in lane
    WALK_THROUGH = "walk_through"  # every face the camera sees, without any act of the person


class Sector(StrEnum):
    GENERAL = "general"
    AUTOMOTIVE = "automotive"
    FINANCE = "finance"
    HOSPITALITY = "hospitality"
    EDUCATION = "education"
    GOVERNMENT = "government"


class TransferMode(StrEnum):
    """A deployment's ``processing`` setting: where its faces are processed and kept."""

    ON_DEVICE = "on_device"  # on each device's edge node; faces never leave it
    NETWORKED = "networked"  # devices send photos to the central service (separate consent)


class SiteRole(StrEnum):
    """What this facegate process is (see docs/architecture.md)."""

    STANDALONE = "standalone"  # one box that is both the recognition device and its records
    CONTROL = "control"  # the control plane: console, records, consents; no on-device faces
    EDGE = "edge"  # an edge node on one device: engine, vault, index, kiosk


class Liveness(StrEnum):
    """How a deployment checks that a live person is in front of the camera (M14)."""

    OFF = "off"
    PASSIVE = "passive"  # every captured face scored for print and screen attacks
    ACTIVE = "active"  # passive, plus a challenge (blink, turn) over live frames at the kiosk


class LawfulBasis(StrEnum):
    CONSENT = "consent"
    LEGAL_DUTY = "legal_duty"
    CONTRACT_NECESSITY = "contract_necessity"


class ConsentScope(StrEnum):
    PROCESSING = "processing"
    TRANSFER = "transfer"  # face data exported off the device (to a named recipient)
    TRANSMISSION = "transmission"  # photos sent from the device to a networked service (M8)


class GivenBy(StrEnum):
    SELF = "self"
    GUARDIAN = "guardian"


class ConsentForm(StrEnum):
    ELECTRONIC = "electronic"
    WRITTEN = "written"


class DeploymentStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    STOPPED = "stopped"


@dataclass(frozen=True)
class DeploymentFacts:
    """One purpose of processing, as the controller described it."""

    id: str
    controller_id: str
    purpose_type: PurposeType
    purpose: str
    necessity: str
    method: Method
    why_not_verify: str
    location_type: LocationType
    public_place: bool
    sector: Sector
    retention_days: int
    alternatives: tuple[str, ...]
    transfer_mode: TransferMode
    transfer_legal_basis: str
    lawful_basis: LawfulBasis
    written_consent_required: bool
    exterior_camera: bool
    mlps_level: int | None
    status: DeploymentStatus
    capture_mode: CaptureMode = CaptureMode.EXPLICIT_ACT
    retention_justification: str = ""
    alternative_legal_basis: str = ""  # M10 "where laws provide otherwise": a basis code
    liveness: Liveness = Liveness.PASSIVE
    # English beside the Chinese free text: purpose, necessity, why_not_verify, alternatives
    english: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeviceFacts:
    id: str
    deployment_id: str
    location_type: LocationType
    public_place: bool
    signage_confirmed: bool
    active: bool


@dataclass(frozen=True)
class SubjectFacts:
    id: str
    date_of_birth: date | None
    # The person attested being 14 or older instead of giving a date of birth (PIPL6).
    age_attested: bool = False


@dataclass(frozen=True)
class ConsentFacts:
    """One consent record: one subject, one deployment, one scope."""

    subject_id: str
    deployment_id: str
    scope: ConsentScope
    given_by: GivenBy
    guardian_relation: str
    form: ConsentForm
    notice_hash: str
    alternative_offered: bool
    pre_ticked: bool
    bundled: bool
    given_at: datetime
    withdrawn_at: datetime | None
    # The deployment's purpose-and-method snapshot the consent was given under (PIPL14 para. 2).
    purpose_snapshot: str = ""


@dataclass(frozen=True)
class TemplateFacts:
    id: str
    subject_id: str
    deployment_id: str
    created_at: datetime
    expires_at: datetime
