"""Who may call what: each route declares its roles once, with ``allow``; the same list guards
the route, appears in the OpenAPI document (``x-roles`` and the description) and drives the
test matrix.

Roles: ``admin`` (configuration), ``dpo`` (the compliance officer), ``operator`` (subjects,
consent and enrolment at a desk), ``device`` (a registered device: recognition in its own
deployment only), ``subject`` (a person's own key to their rights). ``public``: no key.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request

from facegate.api.auth import Caller, ensure_deployment_scope, ensure_subject_scope
from facegate.api.schemas import ErrorBody
from facegate.api.state import api_state, client_address
from facegate.service.access import ROLES, Forbidden, Principal

PUBLIC = "public"

DESCRIPTIONS = {
    400: "Bad input: malformed request, unreadable image, no face, several faces...",
    401: "Missing, unknown or revoked API key",
    403: "The key's role may not do this, or the key is used beyond its device or subject",
    404: "Unknown controller, deployment, device, subject or key",
    409: "Conflict: e.g. this face is already enrolled under another subject",
    413: "Image (or request body) over the limits",
    422: "Refused by law: `reasons` give the rule codes and the articles",
    429: "Rate limited, or verification locked out after repeated failures (Retry-After)",
    503: "Not ready: the database or the face engine is unavailable",
}


class Allow:
    """Dependency: the caller's role is one of ``roles``; path ids are within its scope."""

    def __init__(self, *roles: str) -> None:
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles {sorted(unknown)}")
        self.roles = roles

    def __call__(self, request: Request, who: Caller) -> Principal:
        if who.role not in self.roles:
            api_state(request).alerts.raise_alert(
                "role_denied",
                principal=who,
                source=client_address(request),
                detail=f"{request.method} {getattr(request.scope.get('route'), 'path', '')}",
            )
            allowed = ", ".join(self.roles)
            raise Forbidden(
                f"the {who.role} role may not do this; allowed: {allowed}",
                key="error.forbidden.roles",
                params={"role": who.role, "allowed": allowed},
            )
        params = request.path_params
        if "deployment_id" in params:
            ensure_deployment_scope(request, who, str(params["deployment_id"]))
        if "subject_id" in params:
            ensure_subject_scope(request, who, str(params["subject_id"]))
        return who


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": ErrorBody, "description": DESCRIPTIONS[s]} for s in sorted(statuses)}


def allow(
    *roles: str, status: tuple[int, ...] = (400,), extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Route decorator arguments: the guard, the documented errors, the roles in OpenAPI
    (``extra``: more of the operation's OpenAPI, e.g. a hand-written request body)."""
    if not roles:
        return {
            "responses": errors(*status),
            "openapi_extra": {"x-roles": [PUBLIC], **(extra or {})},
        }
    return {
        "dependencies": [Depends(Allow(*roles))],
        "responses": errors(401, 403, 429, *status),
        "openapi_extra": {"x-roles": list(roles), **(extra or {})},
    }
