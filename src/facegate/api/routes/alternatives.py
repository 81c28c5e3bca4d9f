"""The non-face way in: credentials (operator) and their check at a device (device)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from facegate.api.auth import Caller, ensure_subject_scope, limit
from facegate.api.roles import allow
from facegate.api.routes.faces import check_lockout, note_outcome
from facegate.api.schemas import (
    AlternativeVerifyIn,
    CredentialIn,
    CredentialOut,
    VerificationOut,
)
from facegate.api.state import api_state, client_address
from facegate.service.views import credential_view

router = APIRouter(tags=["alternative"])


@router.post(
    "/v1/subjects/{subject_id}/credentials",
    response_model=CredentialOut,
    status_code=201,
    **allow("operator", status=(400, 404)),
)
def add_credential(
    subject_id: str, body: CredentialIn, request: Request, who: Caller
) -> CredentialOut:
    """Give the subject a PIN, card, QR token or staff check (replacing one of the same kind)."""
    row = api_state(request).gate.add_credential(
        subject_id, body.deployment_id, body.kind, body.secret, actor=who.actor
    )
    return CredentialOut(**credential_view(row))


@router.post(
    "/v1/alternatives/verify",
    response_model=VerificationOut,
    **allow("device", status=(400, 404, 422)),
)
def verify_alternative(body: AlternativeVerifyIn, request: Request, who: Caller) -> VerificationOut:
    """Check a PIN (with the claimed subject), a card or QR token (alone), or a staff check.
    Same answer shape as face verification; failures count towards the same lockout."""
    state = api_state(request)
    assert who.device_id is not None
    if body.subject_id:
        ensure_subject_scope(request, who, body.subject_id)
        limit(state, "subject", body.subject_id)
        check_lockout(state, who, body.subject_id)
    result = state.gate.verify_alternative(
        who.device_id, body.kind, body.secret, subject_id=body.subject_id, actor=who.actor
    )
    state.metrics.matches.labels("alternative", "match" if result.matched else "no_match").inc()
    if body.subject_id:
        note_outcome(request, state, who, body.subject_id, result.matched)
    elif not result.matched and state.probes.miss(who.device_id):
        state.alerts.raise_alert(
            "gallery_probing",
            principal=who,
            source=client_address(request),
            detail="a burst of failed card or QR checks",
        )
    return VerificationOut(**result.to_dict())
