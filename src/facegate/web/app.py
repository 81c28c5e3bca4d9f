"""Mount the console and the kiosk beside the REST API: same Gate, same keys and roles."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from facegate.errors import FacegateError
from facegate.law.refusal import Refused
from facegate.messages import DEFAULT_LANG, t
from facegate.messages.errors import error_text, format_articles, reason_text
from facegate.messages.jinja import install as install_messages
from facegate.service import Gate
from facegate.web.sessions import Signer, derive_secret

HERE = Path(__file__).resolve().parent


@dataclass
class WebState:
    gate: Gate
    templates: Jinja2Templates
    console: Signer
    kiosk: Signer


def web_state(request: Request) -> WebState:
    state = request.app.state.web
    assert isinstance(state, WebState)
    return state


def problem(exc: FacegateError, lang: str | None = None) -> dict[str, Any]:
    """An error as the pages show it: the message and, for a refusal, each reason's rule
    code, articles (and their citation) and message.

    With ``lang`` (``zh`` or ``en``) every sentence comes from the message catalogue, never
    the raw English of the exception. Without it (the kiosk's pages until they are moved to
    the catalogue) the exception's own English message, as before.
    """
    reasons: list[dict[str, Any]] = []
    if isinstance(exc, Refused):
        shown = lang or "en"
        reasons = [
            {
                "code": r.code,
                "articles": list(r.articles),
                "cited": format_articles(r.articles, shown) if r.articles else "",
                "message": reason_text(r.code, r.message, shown),
            }
            for r in exc.decision.reasons
        ]
    if lang is None:
        return {"code": exc.code, "message": exc.message, "reasons": reasons}
    message = t("error.refused", lang) if reasons else error_text(exc, lang, precise=False)
    return {"code": exc.code, "message": message, "reasons": reasons}


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A page; its ``lang`` is Chinese unless the route says otherwise."""
    context.setdefault("lang", DEFAULT_LANG)
    response = web_state(request).templates.TemplateResponse(
        request, name, context, status_code=status_code
    )
    assert isinstance(response, HTMLResponse)
    return response


def console_error_page(request: Request, exc: FacegateError) -> Response:
    """A refused console request as a page (a download the role may not take, a record that
    is not there), in the console session's language; no session: the login page."""
    from facegate.api.errors import status_for
    from facegate.service.access import Unauthenticated
    from facegate.web.common import visit
    from facegate.web.sessions import CONSOLE_COOKIE

    current = visit(request, CONSOLE_COOKIE)
    if isinstance(exc, Unauthenticated):
        current.data.pop("sid", None)
        return current.redirect("/console/login")
    context = {
        "error": problem(exc, current.lang),
        "lang": current.lang,
        "who": None,
        "csrf_token": current.csrf_token,
        "flash": None,
        "back": "/console",
    }
    return current.save(render(request, "console/error.html", context, status_for(exc)))


def mount_web(app: FastAPI, gate: Gate, *, session_hours: float = 8.0) -> None:
    """Add the console (``/console``), the kiosk (``/kiosk``) and their static files."""
    from facegate.web.console import LoginRequired, login_redirect
    from facegate.web.console import router as console_router
    from facegate.web.console_daily import MENU_ROLES, time_left
    from facegate.web.console_daily import router as daily_router
    from facegate.web.console_people import router as people_router
    from facegate.web.console_staff import router as staff_router
    from facegate.web.kiosk import KioskClosed, closed
    from facegate.web.kiosk import router as kiosk_router

    secret = derive_secret(gate.ctx.master_key)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    install_messages(templates.env, time_zone=gate.ctx.time_zone)
    templates.env.globals["time_left"] = time_left  # the dashboard's deadlines
    templates.env.globals["daily_roles"] = MENU_ROLES  # who sees the daily views' links
    app.state.web = WebState(
        gate=gate,
        templates=templates,
        console=Signer(derive_secret(secret, "console"), max_age=int(session_hours * 3600)),
        kiosk=Signer(derive_secret(secret, "kiosk"), max_age=7 * 24 * 3600),
    )
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="web-static")
    app.include_router(console_router)
    app.include_router(daily_router)
    app.include_router(people_router)
    app.include_router(staff_router)
    app.include_router(kiosk_router)

    # A kiosk whose key or device is no longer live shows its login page, whichever step the
    # person was at: one handler here rather than a clause in every kiosk route.
    async def kiosk_closed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, KioskClosed)
        return closed(request, exc)

    app.add_exception_handler(KioskClosed, kiosk_closed)

    # A console page asked for without a live staff session goes to the login page: one
    # handler here rather than a clause in every console route.
    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return login_redirect(request)

    app.add_exception_handler(LoginRequired, login_required)

    # The console's downloads and actions answer a refusal with a page in the session's
    # language, never the REST API's JSON; everywhere else the API's handler answers as before.
    from facegate.api.errors import facegate_error

    async def console_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FacegateError)
        if not request.url.path.startswith("/console"):
            return await facegate_error(request, exc)
        return console_error_page(request, exc)

    app.add_exception_handler(FacegateError, console_error)

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/console", status_code=303)
