"""HTTP hardening for every response and request: security headers, and a cap on the size of
every request body (checked on ``Content-Length`` and again while the body streams in, so a
large body is never read whole).

Headers: a Content-Security-Policy that allows only facegate's own scripts, styles and images
(the pages have no inline script or style) and no framing (``frame-ancestors 'none'`` and
``X-Frame-Options: DENY``), ``Referrer-Policy: no-referrer``, ``X-Content-Type-Options:
nosniff``, a camera allowed only to facegate's own pages, and HSTS when served over TLS.
The API's documentation pages (``/docs``, ``/redoc``, served from the package by
:mod:`facegate.api.docs`) boot from an inline script and get a policy that allows that and
still nothing from another host (ReDoc's footer would otherwise fetch its vendor's logo).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from facegate.api.language import scope_lang
from facegate.api.middleware import send_json_error
from facegate.messages import t
from facegate.messages.errors import human_bytes

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
DOCS_PATHS = ("/docs", "/redoc")

# Routes that take a photo: the image limit (plus the envelope) applies; every other route
# takes at most ``small_cap`` bytes.
IMAGE_ROUTES = re.compile(
    r"^/(v1/subjects/[^/]+/enrolments|v1/verify|v1/identify|kiosk/face/(enrol|verify))/?$"
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        docs = path.startswith(DOCS_PATHS)
        tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", DOCS_CSP if docs else CSP)
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("Permissions-Policy", "camera=(self), microphone=()")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                if path.startswith(("/console", "/kiosk")):
                    headers.setdefault("Cache-Control", "no-store")
                if tls:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """413 for a request body over its route's cap, before or while it is read."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        image_cap: int,
        small_cap: int,
        on_refused: Callable[[Scope, int], None] | None = None,
    ) -> None:
        self.app = app
        self.image_cap = image_cap
        self.small_cap = small_cap
        self.on_refused = on_refused

    def cap_for(self, path: str) -> int:
        return self.image_cap if IMAGE_ROUTES.match(path) else self.small_cap

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.cap_for(str(scope.get("path", "")))
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > cap:
                    await self._refuse(scope, send, cap, declared)
                    return
        seen = 0
        started = refused = False

        async def counted() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap and not started:
                    # Answer now; to the app the client is gone, and what it sends is dropped.
                    refused = True
                    await self._refuse(scope, send, cap, seen)
                    return {"type": "http.disconnect"}
            return message

        async def watch(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watch)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, scope: Scope, send: Send, cap: int, size: int) -> None:
        if self.on_refused is not None:
            await run_in_threadpool(self.on_refused, scope, size)
        photo = cap == self.image_cap and IMAGE_ROUTES.match(str(scope.get("path", "")))
        # A photo route answers as the route itself would (the image limit).
        code = "image_too_large" if photo else "body_too_large"
        error = {
            "code": code,
            "message": (
                f"the request body is over {cap} bytes, the limit of this route"
                if scope_lang(scope) == "en"
                else t(f"error.{code}.bytes", "zh", limit=human_bytes(cap))
            ),
            "details": {"max_bytes": cap},
        }
        request_id = str(scope.get("state", {}).get("request_id", ""))
        await send_json_error(send, 413, error, request_id, close=True)
