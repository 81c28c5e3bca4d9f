"""API keys (admin) and the security events they raise (admin, dpo)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from facegate.api.auth import Caller
from facegate.api.roles import allow
from facegate.api.schemas import IssuedKeyOut, KeyIn, KeyOut, SecurityEventOut
from facegate.api.state import api_state
from facegate.service import access

router = APIRouter(tags=["keys"])


@router.post(
    "/v1/keys", response_model=IssuedKeyOut, status_code=201, **allow("admin", status=(400, 404))
)
def create_key(body: KeyIn, request: Request, who: Caller) -> IssuedKeyOut:
    """Issue a key. The token is in this response only: it is stored as a hash."""
    issued = access.issue_key(
        api_state(request).gate.ctx,
        body.role,
        device_id=body.device_id,
        subject_id=body.subject_id,
        label=body.label,
        actor=who.actor,
    )
    return IssuedKeyOut(
        id=issued.id,
        role=issued.role,
        device_id=issued.device_id,
        subject_id=issued.subject_id,
        label=issued.label,
        token=issued.token,
    )


@router.get("/v1/keys", response_model=list[KeyOut], **allow("admin", status=()))
def list_keys(request: Request) -> list[KeyOut]:
    """Every key, without secrets: role, scope, last use, revocation."""
    return [KeyOut(**access.key_view(r)) for r in access.list_keys(api_state(request).gate.ctx)]


@router.delete("/v1/keys/{key_id}", response_model=KeyOut, **allow("admin", status=(404,)))
def revoke_key(key_id: str, request: Request, who: Caller) -> KeyOut:
    """Revoke a key at once."""
    row = access.revoke_key(api_state(request).gate.ctx, key_id, actor=who.actor)
    return KeyOut(**access.key_view(row))


@router.get(
    "/v1/security-events",
    response_model=list[SecurityEventOut],
    **allow("admin", "dpo", status=(400,)),
)
def security_events(
    request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[SecurityEventOut]:
    """The latest intrusion alerts: unknown or revoked keys, devices beyond their deployment,
    gallery probing, oversized images, lockouts."""
    rows = access.security_events(api_state(request).gate.ctx, limit=limit)
    return [SecurityEventOut(**access.security_event_view(r)) for r in rows]
