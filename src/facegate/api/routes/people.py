"""Subjects and their separate consents (operator at a desk; the subject withdraws too)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from facegate.api.auth import Caller
from facegate.api.roles import allow
from facegate.api.schemas import (
    ConsentIn,
    ConsentOut,
    DecisionOut,
    IssuedKeyOut,
    ReasonOut,
    RecordedOut,
    RefusalIn,
    SubjectIn,
    SubjectOut,
    WithdrawalOut,
    WithdrawIn,
)
from facegate.api.state import api_state
from facegate.service import ConsentSpec, access
from facegate.service.views import consent_view, subject_view

router = APIRouter(tags=["people"])


@router.post("/v1/subjects", response_model=SubjectOut, status_code=201, **allow("operator"))
def register_subject(body: SubjectIn, request: Request, who: Caller) -> SubjectOut:
    """A new pseudonymous subject; identity (if given) is sealed apart from face data."""
    row = api_state(request).gate.register_subject(
        date_of_birth=body.date_of_birth,
        identity=body.identity,
        age_attested=body.age_attested,
        actor=who.actor,
    )
    return SubjectOut(**subject_view(row))


@router.post(
    "/v1/subjects/{subject_id}/consents",
    response_model=ConsentOut,
    status_code=201,
    **allow("operator", status=(400, 404, 422)),
)
def record_consent(subject_id: str, body: ConsentIn, request: Request, who: Caller) -> ConsentOut:
    """Record one separate consent (refused if bundled, pre-ticked, without the alternative
    offered, or given by the wrong person). Answers with the subject's own key, once."""
    gate = api_state(request).gate
    spec = ConsentSpec(**body.model_dump(exclude={"deployment_id"}))
    row = gate.record_consent(subject_id, body.deployment_id, spec, actor=who.actor)
    token = access.issue_key(
        gate.ctx, "subject", subject_id=subject_id, label="consent", actor=who.actor
    )
    return ConsentOut(**consent_view(row), subject_token=token.token)


@router.post(
    "/v1/subjects/{subject_id}/token",
    response_model=IssuedKeyOut,
    status_code=201,
    **allow("operator", "dpo", status=(404,)),
)
def reissue_subject_token(subject_id: str, request: Request, who: Caller) -> IssuedKeyOut:
    """A new key for the subject's own rights; their earlier keys are revoked."""
    ctx = api_state(request).gate.ctx
    access.revoke_subject_keys(ctx, subject_id, actor=who.actor)
    issued = access.issue_key(
        ctx, "subject", subject_id=subject_id, label="reissued", actor=who.actor
    )
    return IssuedKeyOut(
        id=issued.id,
        role=issued.role,
        device_id=None,
        subject_id=subject_id,
        label=issued.label,
        token=issued.token,
    )


@router.post(
    "/v1/subjects/{subject_id}/consents/withdraw",
    response_model=WithdrawalOut,
    **allow("operator", "dpo", "subject", status=(400, 404)),
)
def withdraw_consent(
    subject_id: str, body: WithdrawIn, request: Request, who: Caller
) -> WithdrawalOut:
    """Withdraw consent: processing consent destroys the deployment's templates at once."""
    result = api_state(request).gate.withdraw_consent(
        subject_id, body.deployment_id, scope=body.scope, actor=who.actor
    )
    return WithdrawalOut(
        subject_id=result.subject_id,
        deployment_id=result.deployment_id,
        consents_withdrawn=result.consents_withdrawn,
        templates_destroyed=result.templates_destroyed,
    )


@router.post(
    "/v1/deployments/{deployment_id}/refusals",
    response_model=RecordedOut,
    status_code=201,
    **allow("operator", "device", status=(400, 404)),
)
def record_refusal(
    deployment_id: str, body: RefusalIn, request: Request, who: Caller
) -> RecordedOut:
    """A person declined consent: nobody asks them again for the quiet period."""
    api_state(request).gate.record_refusal(
        deployment_id, subject_id=body.subject_id, channel=body.channel, actor=who.actor
    )
    return RecordedOut(recorded=True)


@router.get(
    "/v1/deployments/{deployment_id}/may-prompt",
    response_model=DecisionOut,
    **allow("operator", "device", status=(400, 404)),
)
def may_prompt(
    deployment_id: str,
    request: Request,
    subject_id: Annotated[str, Query(min_length=1, max_length=64)],
) -> DecisionOut:
    """May this person be asked for consent now (not after a recent refusal)?"""
    decision = api_state(request).gate.may_prompt(subject_id, deployment_id)
    return DecisionOut(
        allowed=decision.allowed,
        reasons=[
            ReasonOut(code=r.code, articles=list(r.articles), message=r.message)
            for r in decision.reasons
        ],
    )
