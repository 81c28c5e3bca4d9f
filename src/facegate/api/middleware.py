"""Per request: an id (``X-Request-ID`` echoed when sane, else generated), a JSON access log line
(route template, never the raw path or body), metrics, and a JSON 500 for unexpected errors."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from facegate.api.language import scope_lang
from facegate.api.metrics import Metrics
from facegate.messages import t

log = logging.getLogger("facegate.api.access")
SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if SANE_ID.match(text) else None
    return None


async def send_json_error(
    send: Send, status: int, error: dict[str, Any], request_id: str, *, close: bool = False
) -> None:
    """A whole JSON error response, ``{"error": ..., "request_id": ...}``, sent directly (for
    middleware that answers before or instead of the app)."""
    body = json.dumps({"error": error, "request_id": request_id}, ensure_ascii=False).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestContext:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500
        started_response = False
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                started_response = True
                status = int(message["status"])
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            status = 500
            log.error(
                "unexpected error",
                extra={
                    "event": "error",
                    "request_id": request_id,
                    "error_type": type(exc).__name__,
                },
            )
            if not started_response:
                message = t("api.internal_error", scope_lang(scope))
                error = {"code": "internal_error", "message": message}
                await send_json_error(send, 500, error, request_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            for code in state.get("refused_codes", ()):
                self.metrics.refusals.labels(code).inc()
            who = state.get("principal")
            # An edge node's periodic sync is routine: logged at debug level unless it fails.
            routine = route.startswith("/v1/sync/") and status < 400
            log.log(
                logging.DEBUG if routine else logging.INFO,
                "request",
                extra={
                    "event": "request",
                    "request_id": request_id,
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "key_id": getattr(who, "key_id", None),
                    "role": getattr(who, "role", None),
                },
            )
