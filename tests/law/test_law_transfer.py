"""check_transfer: face data leaves the device only with consent or a law (M8)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from law_factories import T0, consent, deployment

from facegate.law import ConsentFacts, ConsentScope, check_transfer

AT = T0 + timedelta(days=1)
TRANSFER = consent(scope=ConsentScope.TRANSFER)


@pytest.mark.parametrize(
    "consents",
    [
        [],
        [consent()],  # processing consent only
        [consent(scope=ConsentScope.TRANSFER, withdrawn_at=AT)],
        [consent(scope=ConsentScope.TRANSFER, deployment_id="dep-2")],
        [consent(scope=ConsentScope.TRANSFER, given_at=AT + timedelta(seconds=1))],
    ],
    ids=["none", "processing-only", "withdrawn", "other-deployment", "not-yet-given"],
)
def test_storage_on_device_refused(consents: list[ConsentFacts]) -> None:
    decision = check_transfer(deployment(), consents, AT, legal_basis="   ")
    assert decision.codes == ("storage.on_device",)


@pytest.mark.parametrize(
    ("consents", "legal_basis", "recorded_basis"),
    [
        ([consent(), TRANSFER], "", ""),
        ([], "CPL54", ""),
        ([], "", "DSL35"),
        ([], "approved:9a8b", ""),
    ],
    ids=["transfer-consent", "legal-basis-given", "legal-basis-recorded", "approved-basis"],
)
def test_storage_on_device_allowed(
    consents: list[ConsentFacts], legal_basis: str, recorded_basis: str
) -> None:
    decision = check_transfer(
        deployment(transfer_legal_basis=recorded_basis), consents, AT, legal_basis
    )
    assert decision.allowed and decision.obligations == ("storage.on_device",)


@pytest.mark.parametrize("legal_basis", ["none", "Court order 2025-17", "approved:"])
def test_storage_on_device_refused_free_text_legal_basis(legal_basis: str) -> None:
    # `transfer export --legal-basis none` once wrote the bundle: free text is no legal basis.
    decision = check_transfer(deployment(), [], AT, legal_basis)
    assert decision.codes == ("storage.on_device",)
    assert "CPL54" in decision.reasons[0].message


def test_sector_automotive_refused_exterior_camera_transfer_on_consent_alone() -> None:
    decision = check_transfer(deployment(exterior_camera=True), [TRANSFER], AT)
    assert decision.codes == ("sector.automotive",)
    assert "unless truly necessary" in decision.reasons[0].message


def test_sector_automotive_allowed_exterior_camera_transfer_with_a_legal_basis() -> None:
    decision = check_transfer(deployment(exterior_camera=True), [], AT, "CPL54")
    assert decision.allowed


def test_sector_automotive_allowed_cabin_transfer_with_consent() -> None:
    assert check_transfer(deployment(exterior_camera=False), [TRANSFER], AT).allowed


def test_check_transfer_takes_one_subject() -> None:
    with pytest.raises(ValueError, match="one subject"):
        check_transfer(deployment(), [TRANSFER, consent(subject_id="sub-2")], AT)
