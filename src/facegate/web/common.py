"""What the console and the kiosk share: the visit (signed cookie + CSRF), redirects, forms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from facegate.api.auth import limit
from facegate.api.state import api_state, client_address
from facegate.errors import FacegateError
from facegate.messages import DEFAULT_LANG, LANGS, t
from facegate.web import csrf, sessions
from facegate.web.app import problem, web_state


@dataclass
class Visit:
    """One browser's session: its cookie name, signer and data (mutable)."""

    request: Request
    cookie: str
    data: dict[str, Any]

    @property
    def lang(self) -> str:
        """The page language: what this session chose (``?lang=`` on any page), else
        Chinese."""
        lang = self.data.get("lang")
        return lang if lang in LANGS else DEFAULT_LANG

    @property
    def csrf_token(self) -> str:
        return csrf.ensure_token(self.data)

    def signer(self) -> sessions.Signer:
        state = web_state(self.request)
        return state.console if self.cookie == sessions.CONSOLE_COOKIE else state.kiosk

    def save(self, response: Response) -> Response:
        csrf.ensure_token(self.data)
        sessions.write(response, self.request, self.signer(), self.cookie, self.data)
        return response

    def redirect(self, url: str) -> Response:
        return self.save(RedirectResponse(url, status_code=303))

    def flash(self, kind: str, message: str, reasons: list[dict[str, Any]] | None = None) -> None:
        self.data["flash"] = {"kind": kind, "message": message, "reasons": reasons or []}

    def flash_key(self, kind: str, key: str, **params: Any) -> None:
        """A message from the catalogue, in this visit's language."""
        self.flash(kind, t(key, self.lang, **params))

    def flash_error(self, exc: FacegateError) -> None:
        body = problem(exc, self.lang)
        self.flash("error", body["message"], body["reasons"])

    def take_flash(self) -> dict[str, Any] | None:
        value = self.data.pop("flash", None)
        return value if isinstance(value, dict) else None


def visit(request: Request, cookie: str) -> Visit:
    state = web_state(request)
    signer = state.console if cookie == sessions.CONSOLE_COOKIE else state.kiosk
    data = sessions.read(request, signer, cookie)
    chosen = request.query_params.get("lang", "")
    if chosen in LANGS:  # the language toggle: kept in the session from here on
        data["lang"] = chosen
    return Visit(request, cookie, data)


async def posted(request: Request, current: Visit) -> FormData:
    """The submitted form, after its CSRF token is checked."""
    form = await request.form()
    csrf.check(current.data, form.get(csrf.FIELD))
    return form


def text(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else default


def failed_login(request: Request, detail: str) -> None:
    """A bad key at a login form: an intrusion alert, and the address's failure allowance
    (the REST API's own limiter: 429 once spent)."""
    state = api_state(request)
    source = client_address(request)
    state.alerts.raise_alert("unknown_key", source=source, detail=f"web login: {detail}")
    limit(state, "address", source)
