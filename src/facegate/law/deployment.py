"""May a deployment exist as described, and may it be switched on?"""

from __future__ import annotations

from collections.abc import Sequence

from facegate.law.decision import Decision, Reason
from facegate.law.facts import (
    VEHICLE_LOCATIONS,
    CaptureMode,
    DeploymentFacts,
    DeploymentStatus,
    LawfulBasis,
    Method,
    PurposeType,
    TransferMode,
)
from facegate.law.legal_bases import BasisUse, basis_form
from facegate.law.location import is_public_place, private_space, public_place_basis
from facegate.law.retention import MAX_RETENTION_DAYS, default_retention_days

MLPS_LEVELS = range(1, 6)


def check_deployment(d: DeploymentFacts) -> Decision:
    """Every rule a deployment's description must meet; all failures are reported at once."""
    reasons = [
        *_scope(d),
        *_purpose(d),
        *_alternatives(d),
        *_capture(d),
        *_automotive(d),
        *_retention(d),
        *_location(d),
        *_transfer(d),
        *_security(d),
    ]
    obligations = []
    if is_public_place(d.location_type, d.public_place):
        obligations.append("location.public_place")
    if d.exterior_camera or d.location_type in VEHICLE_LOCATIONS:
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
    """M10: never face as the only way, "unless laws or administrative regulations provide
    otherwise" — then the deployment records that legal basis instead of an alternative."""
    if any(not _blank(a) for a in d.alternatives):
        return []
    if not _blank(d.alternative_legal_basis):
        return basis_form(
            d.alternative_legal_basis, BasisUse.NO_ALTERNATIVE, "alternative.required"
        )
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


def _capture(d: DeploymentFacts) -> list[Reason]:
    """Consent-based: only people who consented are processed, so faces are captured only on
    the person's own act, never from everyone walking past (M6, M10, M12; PIPL29)."""
    if d.lawful_basis != LawfulBasis.CONSENT or d.capture_mode != CaptureMode.WALK_THROUGH:
        return []
    return [
        Reason.of(
            "capture.opt_in",
            "walk-through capture processes the face of everyone in view, including people who "
            "did not consent; a consent-based deployment captures a face only when the person "
            "acts (presents at the terminal, presses a button, enters an opt-in lane): use the "
            "explicit_act capture mode",
        )
    ]


def _automotive(d: DeploymentFacts) -> list[Reason]:
    """The automobile data provisions apply to in-vehicle and exterior-vehicle cameras only,
    not to everything a carmaker does (its offices, its showrooms)."""
    in_vehicle = d.location_type in VEHICLE_LOCATIONS or d.exterior_camera
    if not in_vehicle:
        return []
    reasons = []
    if d.purpose_type != PurposeType.DRIVING_SAFETY and d.lawful_basis != LawfulBasis.CONSENT:
        reasons.append(
            Reason.of(
                "sector.automotive",
                "a camera in or on a vehicle serves driving safety; any other purpose (here "
                f"{d.purpose_type}) needs each person's separate consent",
            )
        )
    if d.transfer_mode == TransferMode.NETWORKED and _blank(d.transfer_legal_basis):
        reasons.append(
            Reason.of(
                "sector.automotive",
                "face data from a vehicle's cameras is processed in the vehicle and not provided "
                "outside it unless truly necessary (images of people outside the vehicle are "
                "important data); keep it on the device, or record the legal basis that makes "
                "sending it necessary",
            )
        )
    return reasons


def _retention(d: DeploymentFacts) -> list[Reason]:
    if not 1 <= d.retention_days <= MAX_RETENTION_DAYS:
        return [
            Reason.of(
                "storage.retention_minimum",
                f"the retention period must be between 1 and {MAX_RETENTION_DAYS} days and no "
                f"longer than the purpose needs; {d.retention_days} days was given",
            )
        ]
    if d.purpose_type == PurposeType.RND:
        return []  # refused as out of scope already (scope.rnd_excluded)
    default = default_retention_days(d.purpose_type)
    if d.retention_days > default and _blank(d.retention_justification):
        return [
            Reason.of(
                "storage.retention_minimum",
                f"{d.retention_days} days is longer than the {default} days a "
                f"{d.purpose_type} purpose usually needs; keep face data no longer than the "
                "purpose needs, or record why this purpose needs longer",
            )
        ]
    return []


def _location(d: DeploymentFacts) -> list[Reason]:
    reasons = private_space(d.location_type)
    if is_public_place(d.location_type, d.public_place):
        reasons += public_place_basis(d)
    return reasons


def _transfer(d: DeploymentFacts) -> list[Reason]:
    if not _blank(d.transfer_legal_basis):
        return basis_form(d.transfer_legal_basis, BasisUse.TRANSFER, "storage.on_device")
    if d.transfer_mode != TransferMode.NETWORKED or d.lawful_basis == LawfulBasis.CONSENT:
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
