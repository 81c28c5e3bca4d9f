"""Retention, transfer, the subject's rights and the audit chain (dpo; admin for operations;
the subject for their own rights)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from facegate.api.auth import Caller
from facegate.api.roles import allow
from facegate.api.schemas import (
    AuditOut,
    DeletionOut,
    ExportIn,
    ExportOut,
    RetentionDueOut,
    SubjectReportOut,
    SweepOut,
)
from facegate.api.state import api_state

router = APIRouter(tags=["care"])


@router.get("/v1/retention/due", response_model=RetentionDueOut, **allow("admin", "dpo", status=()))
def retention_due(request: Request) -> RetentionDueOut:
    """How many templates are past their retention period."""
    return RetentionDueOut(due=api_state(request).gate.retention_due())


@router.post("/v1/retention/sweep", response_model=SweepOut, **allow("admin", "dpo", status=()))
def retention_sweep(request: Request, who: Caller) -> SweepOut:
    """Purge expired templates and destroy the keys no template needs."""
    return SweepOut(**api_state(request).gate.sweep(actor=who.actor).to_dict())


@router.post(
    "/v1/deployments/{deployment_id}/exports",
    response_model=ExportOut,
    **allow("dpo", status=(400, 404, 422)),
)
def export_templates(
    deployment_id: str, body: ExportIn, request: Request, who: Caller
) -> ExportOut:
    """Transfer templates out: all or nothing, each subject needing a separate transfer consent
    (or the recorded legal basis)."""
    bundle = api_state(request).gate.export_templates(
        deployment_id,
        body.subject_ids,
        destination=body.destination,
        legal_basis=body.legal_basis,
        actor=who.actor,
    )
    return ExportOut.model_validate(bundle.to_dict())


@router.get(
    "/v1/subjects/{subject_id}",
    response_model=SubjectReportOut,
    **allow("dpo", "subject", status=(404,)),
)
def subject_report(subject_id: str, request: Request, who: Caller) -> SubjectReportOut:
    """Everything held about the subject (never the embedding itself): the right of access."""
    return SubjectReportOut(**api_state(request).gate.subject_report(subject_id, actor=who.actor))


@router.delete(
    "/v1/subjects/{subject_id}",
    response_model=DeletionOut,
    **allow("dpo", "subject", status=(404,)),
)
def delete_subject(subject_id: str, request: Request, who: Caller) -> DeletionOut:
    """Erase the subject: templates (keys destroyed), identity, credentials; consents marked
    withdrawn; the subject's own keys revoked, all in one transaction with its audit event."""
    counts = api_state(request).gate.delete_subject(subject_id, actor=who.actor)
    return DeletionOut(**counts)


@router.get("/v1/audit/verify", response_model=AuditOut, **allow("admin", "dpo", status=()))
def verify_audit(request: Request) -> AuditOut:
    """Walk the hash chain of the audit log; report the first break."""
    return AuditOut(**api_state(request).gate.verify_audit().to_dict())
