"""Lawful facts to start from; each test changes only what it is about."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

from facegate.law import (
    ConsentFacts,
    ConsentForm,
    ConsentScope,
    DeploymentFacts,
    DeploymentStatus,
    DeviceFacts,
    GivenBy,
    LawfulBasis,
    LocationType,
    Method,
    PurposeType,
    Sector,
    SubjectFacts,
    TemplateFacts,
    TransferMode,
    consent_snapshot_hash,
)

T0 = datetime(2025, 6, 2, 4, 0, tzinfo=UTC)  # 12:00 in China, Monday 2 June 2025
ADULT_DOB = date(1980, 5, 1)

_DEPLOYMENT = DeploymentFacts(
    id="dep-1",
    controller_id="ctl-1",
    purpose_type=PurposeType.ACCESS_CONTROL,
    purpose="Let residents of Block 3 through the north gate",
    necessity="Cards were shared and lost; residents asked for hands-free entry",
    method=Method.IDENTIFY,
    why_not_verify="Residents walk through without stopping to claim an identity",
    location_type=LocationType.RESIDENTIAL_ENTRANCE,
    public_place=False,
    sector=Sector.GENERAL,
    retention_days=365,
    alternatives=("PIN pad", "guard desk"),
    transfer_mode=TransferMode.ON_DEVICE,
    transfer_legal_basis="",
    lawful_basis=LawfulBasis.CONSENT,
    written_consent_required=False,
    exterior_camera=False,
    mlps_level=None,
    status=DeploymentStatus.ACTIVE,
)

_DEVICE = DeviceFacts(
    id="dev-1",
    deployment_id="dep-1",
    location_type=LocationType.RESIDENTIAL_ENTRANCE,
    public_place=False,
    signage_confirmed=False,
    active=True,
)

_CONSENT = ConsentFacts(
    subject_id="sub-1",
    deployment_id="dep-1",
    scope=ConsentScope.PROCESSING,
    given_by=GivenBy.SELF,
    guardian_relation="",
    form=ConsentForm.ELECTRONIC,
    notice_hash="a" * 64,
    alternative_offered=True,
    pre_ticked=False,
    bundled=False,
    given_at=T0,
    withdrawn_at=None,
    purpose_snapshot=consent_snapshot_hash(_DEPLOYMENT),
)


def deployment(**changes: Any) -> DeploymentFacts:
    return dataclasses.replace(_DEPLOYMENT, **changes)


def device(**changes: Any) -> DeviceFacts:
    return dataclasses.replace(_DEVICE, **changes)


def consent(**changes: Any) -> ConsentFacts:
    return dataclasses.replace(_CONSENT, **changes)


def subject(
    date_of_birth: date | None = ADULT_DOB, id: str = "sub-1", age_attested: bool = False
) -> SubjectFacts:
    return SubjectFacts(id=id, date_of_birth=date_of_birth, age_attested=age_attested)


def template(created_at: datetime, expires_at: datetime) -> TemplateFacts:
    return TemplateFacts("tpl-1", "sub-1", "dep-1", created_at, expires_at)
