"""Rows as plain dictionaries, for the CLI's JSON and the REST API (no secrets, no vectors)."""

from __future__ import annotations

from typing import Any

from facegate import law
from facegate.service.facts import iso
from facegate.store import models as m


def controller_view(row: m.Controller) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "contact": row.contact,
        "address": row.address,
        "dpo": row.dpo,
        "operator_kind": row.operator_kind,
    }


def deployment_view(row: m.Deployment) -> dict[str, Any]:
    return {
        "id": row.id,
        "controller_id": row.controller_id,
        "name": row.name,
        "status": row.status,
        "purpose_type": row.purpose_type,
        "purpose": row.purpose,
        "necessity": row.necessity,
        "method": row.method,
        "why_not_verify": row.why_not_verify,
        "location_type": row.location_type,
        "public_place": row.public_place,
        "sector": row.sector,
        "retention_days": row.retention_days,
        "alternatives": list(row.alternatives or ()),
        "transfer_mode": row.transfer_mode,
        "transfer_legal_basis": row.transfer_legal_basis,
        "lawful_basis": row.lawful_basis,
        "written_consent_required": row.written_consent_required,
        "exterior_camera": row.exterior_camera,
        "mlps_level": row.mlps_level,
        "entrusted_processor": row.entrusted_processor,
        "capture_mode": row.capture_mode,
        "retention_justification": row.retention_justification,
        "alternative_legal_basis": row.alternative_legal_basis,
        "retention_default_days": law.default_retention_days(law.PurposeType(row.purpose_type)),
        "retention_warning": law.retention_warning(
            law.PurposeType(row.purpose_type), row.retention_days
        ),
        "purpose_changed_at": iso(row.purpose_changed_at),
        "target_fpir": row.target_fpir,
        "fnir_ceiling": row.fnir_ceiling,
        "target_fmr": row.target_fmr,
        "ambiguity_margin": row.ambiguity_margin,
        "planned_gallery_size": row.planned_gallery_size,
        "english": dict(row.english or {}),
        "liveness": row.liveness,
        "created_at": iso(row.created_at),
    }


def device_view(row: m.Device) -> dict[str, Any]:
    return {
        "id": row.id,
        "deployment_id": row.deployment_id,
        "name": row.name,
        "location_description": row.location_description,
        "location_type": row.location_type,
        "public_place": row.public_place,
        "signage_confirmed": row.signage_confirmed,
        "active": row.active,
    }


def subject_view(row: m.Subject) -> dict[str, Any]:
    return {
        "id": row.id,
        "date_of_birth": row.date_of_birth.isoformat() if row.date_of_birth else None,
        "age_attested": bool(row.age_attested),
    }


def consent_view(row: m.Consent) -> dict[str, Any]:
    return {
        "id": row.id,
        "subject_id": row.subject_id,
        "deployment_id": row.deployment_id,
        "scope": row.scope,
        "given_by": row.given_by,
        "guardian_relation": row.guardian_relation,
        "form": row.form,
        "notice_hash": row.notice_hash,
        "alternative_offered": row.alternative_offered,
        "given_at": iso(row.given_at),
        "withdrawn_at": iso(row.withdrawn_at),
    }


def credential_view(row: m.Credential) -> dict[str, Any]:
    return {
        "id": row.id,
        "subject_id": row.subject_id,
        "deployment_id": row.deployment_id,
        "kind": row.kind,
    }
