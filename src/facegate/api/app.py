"""The app factory: everything the service needs is passed in; nothing is global."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.types import Scope

from facegate import __version__
from facegate.api import docs, errors
from facegate.api.hardening import BodyLimit, SecurityHeaders
from facegate.api.middleware import RequestContext
from facegate.api.routes import ROUTERS
from facegate.api.settings import ApiSettings
from facegate.api.state import ApiState
from facegate.service import Gate
from facegate.web import mount_web

DESCRIPTION = """\
Face recognition with China's facial recognition Measures in its data path. Every route
translates a request into one call of the Gate, which asks the law before it touches a face.

**Authentication**: `Authorization: Bearer <API key>`. Each operation lists the roles that may
call it (`x-roles`): `admin`, `dpo`, `operator`, `device` (its own deployment only; the device
comes from the key), `subject` (their own rights only), or `public`.

**Errors** are JSON, `{"error": {"code", "message", "details"?, "reasons"?}, "request_id"}`:
400 bad input, 401 no or bad key, 403 role or scope, 404 unknown id, 409 conflict or duplicate
identity, 413 image too large, 422 refused by law (`reasons`: rule codes and articles),
429 rate limited or locked out (`Retry-After`), 503 not ready.

**Photos**: `multipart/form-data` with an `image` part, or JSON with `image_base64`; at most
15 MB and 40 megapixels by default. Photos are never stored or logged.
"""


def create_app(gate: Gate, settings: ApiSettings | None = None) -> FastAPI:
    """The REST service over ``gate``. The caller owns the Gate (and closes it)."""
    settings = settings or ApiSettings()
    state = ApiState.build(gate, settings)
    app = FastAPI(
        title="facegate",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # served from the package by facegate.api.docs, not from a CDN
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs else None,
    )
    app.state.api = state
    errors.install(app)

    def body_refused(scope: Scope, size: int) -> None:
        client = scope.get("client")
        state.alerts.raise_alert(
            "image_too_large",
            source=str(client[0]) if client else "",
            detail=f"request body of at least {size} bytes",
        )

    # Innermost first: the body cap, then request ids and logs, then the security headers
    # (outermost, so that every response carries them, errors included).
    app.add_middleware(
        BodyLimit,
        image_cap=settings.max_body_bytes,
        small_cap=settings.max_form_bytes,
        on_refused=body_refused,
    )
    app.add_middleware(RequestContext, metrics=state.metrics)
    app.add_middleware(SecurityHeaders)
    for router in ROUTERS:
        app.include_router(router)
    if settings.docs:
        docs.install(app, "/openapi.json")
    mount_web(app, gate)  # the console (/console) and the kiosk (/kiosk)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with facegate's conventions: request validation answers 400 (not
    FastAPI's 422, which here means refused by law), and each operation states its roles."""
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            default_422 = responses.get("422", {})
            ref = str(default_422.get("content", {}).get("application/json", {}).get("schema"))
            if "HTTPValidationError" in ref:
                del responses["422"]
            roles = operation.get("x-roles", [])
            if roles:
                text = operation.get("description", "").rstrip()
                operation["description"] = f"{text}\n\n**Roles:** {', '.join(roles)}".strip()
            for status, response in responses.items():
                if status.startswith(("2", "4", "5")):
                    response.setdefault("headers", {})["X-Request-ID"] = {
                        "description": "The request's id (echoed when the client sent one)",
                        "schema": {"type": "string"},
                    }
    components = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    return schema
