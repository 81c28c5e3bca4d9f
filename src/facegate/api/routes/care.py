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
    LegalBasisApproveIn,
    LegalBasisIn,
    LegalBasisOut,
    RecipientIn,
    RecipientOut,
    RetentionDueOut,
    SubjectReportOut,
    SweepOut,
)
from facegate.api.state import api_state
from facegate.service import transfer
from facegate.service.legal_bases import BasisSpec, basis_view

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
    (or a legal basis naming a law and article). The templates come sealed to the recipient's
    registered key, never in the clear."""
    bundle = api_state(request).gate.export_templates(
        deployment_id,
        body.subject_ids,
        recipient_id=body.recipient_id,
        legal_basis=body.legal_basis,
        actor=who.actor,
    )
    return ExportOut.model_validate(bundle.to_dict())


@router.post(
    "/v1/controllers/{controller_id}/recipients",
    response_model=RecipientOut,
    status_code=201,
    **allow("admin", "dpo", status=(400, 404)),
)
def register_recipient(
    controller_id: str, body: RecipientIn, request: Request, who: Caller
) -> RecipientOut:
    """Register a recipient of exports with the X25519 public key it gave."""
    row = api_state(request).gate.register_recipient(
        controller_id, body.name, body.public_key, actor=who.actor
    )
    return RecipientOut(**transfer.recipient_view(row))


@router.get(
    "/v1/controllers/{controller_id}/recipients",
    response_model=list[RecipientOut],
    **allow("admin", "dpo", status=()),
)
def list_recipients(controller_id: str, request: Request) -> list[RecipientOut]:
    rows = transfer.list_recipients(api_state(request).gate.ctx, controller_id)
    return [RecipientOut(**r) for r in rows]


@router.get(
    "/v1/legal-bases", response_model=list[LegalBasisOut], **allow("admin", "dpo", status=())
)
def list_legal_bases(request: Request, controller_id: str | None = None) -> list[LegalBasisOut]:
    """The legal bases that may be cited instead of consent: the listed laws, and the
    controller's own (in force once the data protection officer approved them)."""
    return [LegalBasisOut(**b) for b in api_state(request).gate.legal_bases(controller_id)]


@router.post(
    "/v1/controllers/{controller_id}/legal-bases",
    response_model=LegalBasisOut,
    status_code=201,
    **allow("admin", "dpo", status=(400, 404)),
)
def propose_legal_basis(
    controller_id: str, body: LegalBasisIn, request: Request, who: Caller
) -> LegalBasisOut:
    """Write down a legal basis (a law and its article); cited as approved:<id> once approved."""
    row = api_state(request).gate.propose_legal_basis(
        controller_id,
        BasisSpec(use=body.use, law=body.law, article=body.article, explanation=body.explanation),
        actor=who.actor,
    )
    return LegalBasisOut(**basis_view(row))


@router.post(
    "/v1/legal-bases/{basis_id}/approve",
    response_model=LegalBasisOut,
    **allow("dpo", status=(400, 404)),
)
def approve_legal_basis(
    basis_id: str, body: LegalBasisApproveIn, request: Request, who: Caller
) -> LegalBasisOut:
    """The data protection officer approves a legal basis."""
    row = api_state(request).gate.approve_legal_basis(
        basis_id, approver=body.approver, role=who.role, actor=who.actor
    )
    return LegalBasisOut(**basis_view(row))


@router.get(
    "/v1/subjects/{subject_id}",
    response_model=SubjectReportOut,
    **allow("dpo", "subject", status=(404,)),
)
def subject_report(
    subject_id: str, request: Request, who: Caller, controller_id: str | None = None
) -> SubjectReportOut:
    """Everything one controller holds about the subject (never the embedding itself): the
    right of access. Name the controller when the person has data with several."""
    report = api_state(request).gate.subject_report(
        subject_id, controller_id=controller_id, actor=who.actor
    )
    return SubjectReportOut(**report)


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
