"""Authentication: the API key in ``Authorization: Bearer <key>`` becomes a ``Principal``.

Unknown, malformed and revoked keys raise an intrusion alert and spend the caller's address's
allowance of failures (then 429). A valid key spends its own token bucket.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from facegate.api.errors import RateLimited
from facegate.api.state import ApiState, api_state, client_address
from facegate.service import access
from facegate.service.access import OutOfScope, Principal, RevokedKey, Unauthenticated

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key issued by `facegate key create` or POST /v1/keys: "
    "`Authorization: Bearer fgk_<id>_<secret>`.",
)


def limit(state: ApiState, scope: str, key: str) -> None:
    limiter = {
        "key": state.key_limits,
        "subject": state.subject_limits,
        "address": state.anonymous_limits,
    }[scope]
    wait = limiter.take(key)
    if wait:
        state.metrics.rate_limited.labels(scope).inc()
        raise RateLimited(f"too many requests for this {scope}; retry later", retry_after=wait)


def authenticated(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    state = api_state(request)
    source = client_address(request)
    if credentials is None:
        limit(state, "address", source)
        raise Unauthenticated("an API key is required: send Authorization: Bearer <key>")
    try:
        who = access.authenticate(state.gate.ctx, credentials.credentials)
    except Unauthenticated as exc:
        kind = "revoked_key" if isinstance(exc, RevokedKey) else "unknown_key"
        state.alerts.raise_alert(kind, source=source, detail=exc.message)
        limit(state, "address", source)
        raise
    request.state.principal = who
    limit(state, "key", who.key_id)
    return who


Caller = Annotated[Principal, Depends(authenticated)]


def ensure_subject_scope(request: Request, who: Principal, subject_id: str) -> None:
    """A device names only subjects of its own deployment (any record there, even a withdrawn
    consent); a subject key only its own subject. Unknown subjects are out of scope too, so a
    device cannot probe which ids exist elsewhere."""
    state = api_state(request)
    if who.role == "subject" and who.subject_id != subject_id:
        _out_of_scope(request, who, "a subject key reaches only its own subject")
    if who.role == "device":
        assert who.deployment_id is not None
        if not access.subject_known_to_deployment(state.gate.ctx, subject_id, who.deployment_id):
            _out_of_scope(
                request, who, "this subject is not known to this device's deployment", subject_id
            )


def ensure_deployment_scope(request: Request, who: Principal, deployment_id: str) -> None:
    if who.role == "device" and who.deployment_id != deployment_id:
        _out_of_scope(request, who, "a device key reaches only its own deployment")


def _out_of_scope(request: Request, who: Principal, message: str, subject_id: str = "") -> None:
    api_state(request).alerts.raise_alert(
        "out_of_scope",
        principal=who,
        subject_id=subject_id,
        source=client_address(request),
        detail=message,
    )
    raise OutOfScope(message)
