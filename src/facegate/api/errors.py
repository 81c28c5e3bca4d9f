"""Errors as JSON: one mapping from facegate's typed errors to HTTP status codes.

==========================================================  ======  ==========================
error                                                        status  code(s)
==========================================================  ======  ==========================
bad input: ``BadRequest``, engine errors, malformed request  400     bad_request, no_face, ...
missing, unknown, malformed or revoked API key               401     unauthenticated, key_revoked
role not allowed; device or subject key beyond its scope     403     forbidden, out_of_scope
unknown controller, deployment, device, subject, key, route  404     unknown_*, not_found
conflict, the same face under another subject; stale ids      409     conflict, duplicate_identity
image (or request body) over the limits                      413     image_too_large
refused by law (``Refused``): ``reasons`` with articles       422     refused
rate limited; verification locked out after failures         429     rate_limited, locked_out
not initialised / store unavailable; every face worker busy  503     not_initialised, engine_busy
==========================================================  ======  ==========================

Every error body is ``{"error": {"code", "message", "details"?, "reasons"?}, "request_id"}``:
the ``error`` object is exactly what the CLI prints with ``--json``. ``code`` and each
reason's ``code`` and ``articles`` are stable; ``message`` (and each reason's) is in the
language ``Accept-Language`` asks for (:mod:`facegate.api.language`: English without the
header, Chinese from the message catalogue when the header prefers ``zh``), and the response
says which in ``Content-Language``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from facegate.api.language import CONTENT_LANGUAGE, request_lang
from facegate.engine.errors import EngineError, ImageTooLarge
from facegate.engine.pool import EngineBusy
from facegate.errors import FacegateError
from facegate.law import Refused
from facegate.messages import t
from facegate.messages.catalogue import has
from facegate.messages.errors import localized
from facegate.service import Conflict, NotFound, NotInitialised
from facegate.service.access import Forbidden, Unauthenticated
from facegate.service.enrolment_codes import EnrolmentCodeLocked
from facegate.store.errors import StoreError

log = logging.getLogger("facegate.api")


class RateLimited(FacegateError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, details={"retry_after": max(1, round(retry_after))})
        self.retry_after = max(1, round(retry_after))


class LockedOut(RateLimited):
    code = "locked_out"


class BodyTooLarge(ImageTooLarge):
    """The request body is over the limit (checked on Content-Length, then while reading)."""


STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (Refused, 422),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (ImageTooLarge, 413),
    (RateLimited, 429),
    (EnrolmentCodeLocked, 429),
    (NotInitialised, 503),
    (EngineBusy, 503),
    (StoreError, 500),
    (EngineError, 400),
    (FacegateError, 400),
)


def status_for(exc: BaseException) -> int:
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", ""))


def error_response(
    request: Request, status: int, error: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": error, "request_id": request_id(request)}
    headers = dict(headers or {})
    headers["Content-Language"] = CONTENT_LANGUAGE[request_lang(request)]
    headers["Vary"] = "Accept-Language"
    return JSONResponse(body, status_code=status, headers=headers)


async def facegate_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FacegateError)
    status = status_for(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, RateLimited | EngineBusy | EnrolmentCodeLocked):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, Refused):
        request.state.refused_codes = exc.decision.codes
    if status >= 500:
        log.error("server error", extra={"event": "error", "code": exc.code})
    return error_response(request, status, localized(exc, request_lang(request)), headers)


def _clean(errors: list[Any]) -> list[dict[str, Any]]:
    """Validation errors without the offending input (it could be an image or a secret)."""
    return [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", ""))}
        for error in errors
        if isinstance(error, dict)
    ]


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    error = {
        "code": "bad_request",
        "message": t("api.request_malformed", request_lang(request)),
        "details": {"errors": _clean(list(exc.errors()))},
    }
    return error_response(request, 400, error)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    code = codes.get(exc.status_code, "bad_request" if exc.status_code < 500 else "error")
    lang = request_lang(request)
    message = (
        str(exc.detail) if lang == "en" or not has(f"error.{code}") else t(f"error.{code}", lang)
    )
    return error_response(
        request,
        exc.status_code,
        {"code": code, "message": message},
        dict(exc.headers or {}),
    )


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # The type only: messages of unexpected errors are not vetted for personal data.
    log.error("unexpected error", extra={"event": "error", "error_type": type(exc).__name__})
    message = t("api.internal_error", request_lang(request))
    return error_response(request, 500, {"code": "internal_error", "message": message})


async def integrity_error(request: Request, exc: Exception) -> JSONResponse:
    """A write that contradicts the stored data (e.g. an id that names nothing)."""
    message = t("api.records_do_not_fit", request_lang(request))
    error = {"code": "conflict", "message": message}
    return error_response(request, 409, error)


def install(app: FastAPI) -> None:
    app.add_exception_handler(FacegateError, facegate_error)
    app.add_exception_handler(IntegrityError, integrity_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
