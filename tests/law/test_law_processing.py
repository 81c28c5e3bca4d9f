"""check_enrolment, check_recognition, check_identification."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from law_factories import T0, consent, deployment, device, subject

from facegate.law import (
    CaptureMode,
    ConsentFacts,
    DeploymentStatus,
    GivenBy,
    LawfulBasis,
    Method,
    PurposeType,
    TransferMode,
    check_consent_current,
    check_enrolment,
    check_frame,
    check_identification,
    check_recognition,
    consent_snapshot,
    consent_snapshot_hash,
    reconsent_deadline,
)

AT = T0 + timedelta(days=1)


# -- check_enrolment ----------------------------------------------------------------------
def test_consent_separate_allowed_enrolment_with_consent() -> None:
    decision = check_enrolment(deployment(), device(), subject(), [consent()], AT)
    assert decision.allowed and decision.obligations == ("records.processing",)


def test_consent_separate_allowed_enrolment_without_device() -> None:
    assert check_enrolment(deployment(), None, subject(), [consent()], AT).allowed


@pytest.mark.parametrize(
    "consents",
    [[], [consent(deployment_id="dep-2")], [consent(subject_id="sub-2")], [consent(bundled=True)]],
    ids=["none", "other-deployment", "other-subject", "bundled"],
)
def test_consent_separate_refused_enrolment(consents: list[ConsentFacts]) -> None:
    decision = check_enrolment(deployment(), device(), subject(), consents, AT)
    assert decision.codes == ("consent.separate",)
    assert "dep-1" in decision.reasons[0].message


def test_consent_withdraw_refused_enrolment_after_withdrawal() -> None:
    withdrawn = consent(withdrawn_at=AT - timedelta(hours=1))
    decision = check_enrolment(deployment(), device(), subject(), [withdrawn], AT)
    assert decision.codes == ("consent.withdraw",)


def test_consent_withdraw_allowed_after_consenting_anew() -> None:
    withdrawn = consent(withdrawn_at=T0 + timedelta(hours=1))
    anew = consent(given_at=T0 + timedelta(hours=2))
    assert check_enrolment(deployment(), device(), subject(), [withdrawn, anew], AT).allowed


def test_minor_guardian_refused_enrolment_on_self_consent_of_a_child() -> None:
    decision = check_enrolment(deployment(), None, subject(date(2015, 1, 1)), [consent()], AT)
    assert decision.codes == ("minor.guardian",)


def test_minor_guardian_allowed_enrolment_after_child_turns_14() -> None:
    """Consent stays valid: it was given by a guardian while the child was under 14."""
    given = consent(given_by=GivenBy.GUARDIAN, guardian_relation="father")
    child = subject(date(2011, 6, 3))  # 14 on 3 June 2025
    assert check_enrolment(deployment(), None, child, [given], T0 + timedelta(days=400)).allowed


@pytest.mark.parametrize(
    ("deployment_changes", "device_changes", "expected"),
    [
        ({"status": DeploymentStatus.DRAFT}, {}, ("deployment.inactive",)),
        ({"status": DeploymentStatus.SUSPENDED}, {}, ("deployment.inactive",)),
        ({"status": DeploymentStatus.STOPPED}, {}, ("deployment.inactive",)),
        ({}, {"deployment_id": "dep-2"}, ("device.wrong_deployment",)),
        ({}, {"active": False}, ("device.inactive",)),
    ],
)
def test_enrolment_refused_operational(
    deployment_changes: dict[str, Any], device_changes: dict[str, Any], expected: tuple[str, ...]
) -> None:
    decision = check_enrolment(
        deployment(**deployment_changes), device(**device_changes), subject(), [consent()], AT
    )
    assert decision.codes == expected
    assert decision.articles == ()


def test_enrolment_refused_reports_state_and_consent_together() -> None:
    decision = check_enrolment(
        deployment(status=DeploymentStatus.DRAFT), device(active=False), subject(), [], AT
    )
    assert decision.codes == ("deployment.inactive", "device.inactive", "consent.separate")


# -- check_recognition --------------------------------------------------------------------
def test_recognition_allowed() -> None:
    assert check_recognition(deployment(), device(), AT).allowed


@pytest.mark.parametrize(
    ("deployment_changes", "device_changes", "expected"),
    [
        ({"status": DeploymentStatus.SUSPENDED}, {}, ("deployment.inactive",)),
        ({}, {"deployment_id": "dep-2"}, ("device.wrong_deployment",)),
        ({}, {"active": False}, ("device.inactive",)),
    ],
)
def test_recognition_refused(
    deployment_changes: dict[str, Any], device_changes: dict[str, Any], expected: tuple[str, ...]
) -> None:
    decision = check_recognition(deployment(**deployment_changes), device(**device_changes), AT)
    assert decision.codes == expected


# -- check_identification (purpose.specific_necessary) ------------------------------------
@pytest.mark.parametrize(
    "changes",
    [{"method": Method.VERIFY, "why_not_verify": ""}, {"why_not_verify": "  "}],
    ids=["verify-deployment", "no-reason-recorded"],
)
def test_purpose_specific_necessary_refused_identification(changes: dict[str, Any]) -> None:
    decision = check_identification(deployment(**changes))
    assert decision.codes == ("purpose.specific_necessary",)


def test_purpose_specific_necessary_allowed_identification() -> None:
    assert check_identification(deployment(method=Method.IDENTIFY)).allowed


# -- consent.purpose_change ---------------------------------------------------------------
def test_consent_purpose_change_refused_after_the_purpose_changed() -> None:
    changed = deployment(purpose="Let residents and their visitors through the north gate")
    decision = check_consent_current(consent(), changed)
    assert decision.codes == ("consent.purpose_change",)
    assert decision.articles == ("PIPL14 para. 2", "NDSR22")
    assert "alternative" in decision.reasons[0].message


@pytest.mark.parametrize(
    "changes",
    [
        {"method": Method.VERIFY},
        {"capture_mode": CaptureMode.WALK_THROUGH},
        {"transfer_mode": TransferMode.NETWORKED},
        {"purpose_type": PurposeType.ATTENDANCE},
    ],
    ids=["method", "capture-mode", "transfer", "purpose-type"],
)
def test_consent_purpose_change_refused_enrolment_after_a_method_change(
    changes: dict[str, Any],
) -> None:
    decision = check_enrolment(deployment(**changes), device(), subject(), [consent()], AT)
    assert decision.codes == ("consent.purpose_change",)


@pytest.mark.parametrize(
    "changes",
    [
        {"necessity": "Reworded: residents asked for it"},
        {"retention_days": 30},
        {"alternatives": ("card",)},
    ],
    ids=["necessity", "retention", "alternatives"],
)
def test_consent_purpose_change_allowed_when_purpose_and_method_stay(
    changes: dict[str, Any],
) -> None:
    assert check_consent_current(consent(), deployment(**changes)).allowed


def test_consent_purpose_change_allowed_after_consenting_again() -> None:
    changed = deployment(purpose="Let residents and their visitors through the north gate")
    renewed = consent(purpose_snapshot=consent_snapshot_hash(changed))
    assert check_consent_current(renewed, changed).allowed
    assert check_enrolment(changed, device(), subject(), [renewed], AT).allowed


def test_consent_snapshot_leaves_out_protective_defaults() -> None:
    # A setting added later with a protective default does not outdate earlier consents.
    assert consent_snapshot(deployment()) == {
        "purpose_type": "access_control",
        "purpose": "Let residents of Block 3 through the north gate",
        "method": "identify",
    }
    assert consent_snapshot_hash(deployment()) == consent_snapshot_hash(
        {
            "purpose_type": "access_control",
            "purpose": "Let residents of Block 3 through the north gate ",
            "method": "identify",
            "capture_mode": "explicit_act",
            "processing": "on_device",
        }
    )


def test_reconsent_deadline_counts_from_the_change() -> None:
    assert reconsent_deadline(T0, 30) == T0 + timedelta(days=30)


# -- capture.opt_in -----------------------------------------------------------------------
@pytest.mark.parametrize("faces", [2, 5])
def test_capture_opt_in_refused_frame_with_several_faces(faces: int) -> None:
    decision = check_frame(deployment(), faces)
    assert decision.codes == ("capture.opt_in",)
    assert f"{faces} faces" in decision.reasons[0].message


def test_capture_opt_in_refused_walk_through_identification_on_consent() -> None:
    decision = check_identification(deployment(capture_mode=CaptureMode.WALK_THROUGH))
    assert decision.codes == ("capture.opt_in",)


@pytest.mark.parametrize(
    ("changes", "faces"),
    [
        ({}, 1),
        ({}, 0),
        ({"lawful_basis": LawfulBasis.LEGAL_DUTY, "purpose_type": PurposeType.PUBLIC_SAFETY}, 4),
    ],
    ids=["one-face", "no-face", "several-faces-public-safety"],
)
def test_capture_opt_in_allowed_frame(changes: dict[str, Any], faces: int) -> None:
    assert check_frame(deployment(**changes), faces).allowed


def test_capture_opt_in_allowed_walk_through_identification_for_public_safety() -> None:
    decision = check_identification(
        deployment(
            capture_mode=CaptureMode.WALK_THROUGH,
            lawful_basis=LawfulBasis.LEGAL_DUTY,
            purpose_type=PurposeType.PUBLIC_SAFETY,
        )
    )
    assert decision.allowed
