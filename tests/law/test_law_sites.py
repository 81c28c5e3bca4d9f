"""Where faces live (M8): the control plane holds no on-device face, networked photos need a
transmission consent and TLS, and a stale edge node pauses face recognition."""

from __future__ import annotations

from datetime import timedelta

import pytest
from law_factories import T0, consent, deployment

from facegate.law import (
    DEFAULT_OFFLINE_LIMIT,
    Channel,
    ConsentScope,
    SiteRole,
    TransferMode,
    check_channel,
    check_edge_in_sync,
    check_face_site,
    check_transmission,
)

NETWORKED = deployment(transfer_mode=TransferMode.NETWORKED)


def test_storage_on_device_refused_at_the_control_plane() -> None:
    decision = check_face_site(deployment(), SiteRole.CONTROL)
    assert not decision.allowed
    assert decision.reasons[0].code == "storage.on_device"
    assert "M8" in decision.reasons[0].articles
    assert "edge node" in decision.reasons[0].message


@pytest.mark.parametrize(
    ("role", "mode"),
    [
        (SiteRole.EDGE, TransferMode.ON_DEVICE),
        (SiteRole.STANDALONE, TransferMode.ON_DEVICE),
        (SiteRole.CONTROL, TransferMode.NETWORKED),
    ],
)
def test_storage_on_device_allowed_where_the_faces_live(role: SiteRole, mode: TransferMode) -> None:
    assert check_face_site(deployment(transfer_mode=mode), role).allowed


@pytest.mark.parametrize("role", [SiteRole.CONTROL, SiteRole.STANDALONE])
def test_storage_networked_consent_refused_without_transmission_consent(role: SiteRole) -> None:
    processing_only = [consent()]
    decision = check_transmission(NETWORKED, processing_only, "sub-1", T0, role)
    assert not decision.allowed
    assert decision.reasons[0].code == "storage.networked_consent"
    assert decision.reasons[0].articles == ("M8", "PIPL29")


def test_storage_networked_consent_refused_after_withdrawal() -> None:
    withdrawn = consent(scope=ConsentScope.TRANSMISSION, withdrawn_at=T0 + timedelta(hours=1))
    later = T0 + timedelta(hours=2)
    assert not check_transmission(NETWORKED, [withdrawn], "sub-1", later, SiteRole.CONTROL).allowed


def test_storage_networked_consent_allowed_with_transmission_consent() -> None:
    given = [consent(), consent(scope=ConsentScope.TRANSMISSION)]
    assert check_transmission(NETWORKED, given, "sub-1", T0, SiteRole.CONTROL).allowed


def test_storage_networked_consent_allowed_under_a_recorded_law() -> None:
    by_law = deployment(transfer_mode=TransferMode.NETWORKED, transfer_legal_basis="Law X art. 1")
    assert check_transmission(by_law, [], "sub-1", T0, SiteRole.CONTROL).allowed


@pytest.mark.parametrize(
    ("mode", "role"),
    [(TransferMode.ON_DEVICE, SiteRole.STANDALONE), (TransferMode.NETWORKED, SiteRole.EDGE)],
)
def test_storage_networked_consent_allowed_when_no_photo_travels(
    mode: TransferMode, role: SiteRole
) -> None:
    assert check_transmission(deployment(transfer_mode=mode), [], "sub-1", T0, role).allowed


def test_security_measures_refused_for_networked_photos_over_plain_http() -> None:
    decision = check_channel(NETWORKED, SiteRole.CONTROL, Channel(False, False))
    assert not decision.allowed
    assert decision.reasons[0].code == "security.measures"


@pytest.mark.parametrize(("encrypted", "loopback"), [(True, False), (False, True)])
def test_security_measures_allowed_over_tls_or_loopback(encrypted: bool, loopback: bool) -> None:
    assert check_channel(NETWORKED, SiteRole.CONTROL, Channel(encrypted, loopback)).allowed
    assert check_channel(deployment(), SiteRole.STANDALONE, Channel(False, False)).allowed
    assert check_channel(NETWORKED, SiteRole.CONTROL, None).allowed  # not over a network


def test_consent_withdraw_refused_on_an_edge_past_its_offline_limit() -> None:
    decision = check_edge_in_sync(T0, T0 + DEFAULT_OFFLINE_LIMIT + timedelta(seconds=1))
    assert not decision.allowed
    reason = decision.reasons[0]
    assert reason.code == "consent.withdraw"
    assert "M6" in reason.articles and "PIPL47" in reason.articles
    assert "24 h" in reason.message and "alternative" in reason.message


def test_consent_withdraw_refused_on_an_edge_that_never_synced() -> None:
    decision = check_edge_in_sync(None, T0)
    assert not decision.allowed
    assert "never" in decision.reasons[0].message


def test_consent_withdraw_allowed_on_an_edge_within_its_offline_limit() -> None:
    assert check_edge_in_sync(T0, T0 + DEFAULT_OFFLINE_LIMIT).allowed
    assert check_edge_in_sync(T0, T0 + timedelta(seconds=5), timedelta(seconds=5)).allowed
    assert not check_edge_in_sync(T0, T0 + timedelta(seconds=6), timedelta(seconds=5)).allowed
