"""check_enrolment, check_recognition, check_identification."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from law_factories import T0, consent, deployment, device, subject

from facegate.law import (
    ConsentFacts,
    DeploymentStatus,
    GivenBy,
    Method,
    check_enrolment,
    check_identification,
    check_recognition,
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
