"""Impact assessments and notice versions as plain dictionaries (CLI JSON, REST API)."""

from __future__ import annotations

from typing import Any

from facegate import law
from facegate.law.pipia import unconfirmed
from facegate.service.assessments import pipia_facts
from facegate.service.facts import iso
from facegate.store.assessment_models import Assessment, NoticeVersion


def decision_view(decision: law.Decision) -> dict[str, Any]:
    return {
        "allowed": decision.allowed,
        "explain": decision.explain(),
        "reasons": [
            {"code": r.code, "articles": list(r.articles), "message": r.message}
            for r in decision.reasons
        ],
    }


def pipia_view(row: Assessment) -> dict[str, Any]:
    return {
        "id": row.id,
        "deployment_id": row.deployment_id,
        "number": row.number,
        "status": row.status,
        "snapshot_hash": row.snapshot_hash,
        "snapshot": dict(row.snapshot or {}),
        "aspects": dict(row.aspects or {}),
        "created_by": row.created_by,
        "created_at": iso(row.created_at),
        "approver": row.approver,
        "approver_role": row.approver_role,
        "approved_at": iso(row.approved_at),
        "stale_at": iso(row.stale_at),
        "stale_reason": row.stale_reason,
        "conclusion": dict(row.conclusion) if row.conclusion else None,
        "unconfirmed": unconfirmed(pipia_facts(row)),
    }


def notice_view(row: NoticeVersion) -> dict[str, Any]:
    return {
        "id": row.id,
        "deployment_id": row.deployment_id,
        "version": row.version,
        "sha256": row.sha256,
        "published_by": row.published_by,
        "published_at": iso(row.published_at),
        "content": dict(row.content or {}),
    }
