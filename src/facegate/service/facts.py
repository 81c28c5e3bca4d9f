"""Build the law's facts from store rows: the one place the two vocabularies meet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from facegate import law
from facegate.store import models as m


def aware(moment: datetime | None) -> datetime | None:
    """Datetimes from the database as timezone-aware UTC (SQLite returns them naive)."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    """An ISO 8601 UTC timestamp, or None."""
    value = aware(moment)
    return value.isoformat() if value else None


def deployment_facts(row: m.Deployment) -> law.DeploymentFacts:
    return law.DeploymentFacts(
        id=row.id,
        controller_id=row.controller_id,
        purpose_type=law.PurposeType(row.purpose_type),
        purpose=row.purpose,
        necessity=row.necessity,
        method=law.Method(row.method),
        why_not_verify=row.why_not_verify,
        location_type=law.LocationType(row.location_type),
        public_place=row.public_place,
        sector=law.Sector(row.sector),
        retention_days=row.retention_days,
        alternatives=tuple(row.alternatives or ()),
        transfer_mode=law.TransferMode(row.transfer_mode),
        transfer_legal_basis=row.transfer_legal_basis,
        lawful_basis=law.LawfulBasis(row.lawful_basis),
        written_consent_required=row.written_consent_required,
        exterior_camera=row.exterior_camera,
        mlps_level=row.mlps_level,
        status=law.DeploymentStatus(row.status),
        capture_mode=law.CaptureMode(row.capture_mode or law.CaptureMode.EXPLICIT_ACT),
        retention_justification=row.retention_justification or "",
        alternative_legal_basis=row.alternative_legal_basis or "",
        liveness=law.Liveness(row.liveness),
        english=dict(row.english or {}),
    )


def device_facts(row: m.Device) -> law.DeviceFacts:
    return law.DeviceFacts(
        id=row.id,
        deployment_id=row.deployment_id,
        location_type=law.LocationType(row.location_type),
        public_place=row.public_place,
        signage_confirmed=row.signage_confirmed,
        active=row.active,
    )


def subject_facts(row: m.Subject) -> law.SubjectFacts:
    return law.SubjectFacts(
        id=row.id, date_of_birth=row.date_of_birth, age_attested=bool(row.age_attested)
    )


def consent_facts(row: m.Consent) -> law.ConsentFacts:
    given_at = aware(row.given_at)
    assert given_at is not None
    return law.ConsentFacts(
        subject_id=row.subject_id,
        deployment_id=row.deployment_id,
        scope=law.ConsentScope(row.scope),
        given_by=law.GivenBy(row.given_by),
        guardian_relation=row.guardian_relation,
        form=law.ConsentForm(row.form),
        notice_hash=row.notice_hash,
        alternative_offered=row.alternative_offered,
        pre_ticked=row.pre_ticked,
        bundled=row.bundled,
        given_at=given_at,
        withdrawn_at=aware(row.withdrawn_at),
        purpose_snapshot=row.purpose_snapshot or "",
    )


def consents_facts(rows: Sequence[m.Consent]) -> tuple[law.ConsentFacts, ...]:
    return tuple(consent_facts(row) for row in rows)
