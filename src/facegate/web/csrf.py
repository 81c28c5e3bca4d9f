"""CSRF protection: a random token per session, echoed by every form as ``csrf_token``.

Cookies are also ``SameSite=Strict``; the token is the defence that does not depend on the
browser.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from facegate.errors import FacegateError

FIELD = "csrf_token"


class CsrfFailed(FacegateError):
    code = "csrf_failed"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def ensure_token(session: dict[str, Any]) -> str:
    """The session's token, created on first use."""
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = new_token()
        session["csrf"] = token
    return token


def check(session: dict[str, Any], sent: object) -> None:
    expected = session.get("csrf")
    if not isinstance(expected, str) or not isinstance(sent, str) or not sent:
        raise CsrfFailed("this form has expired; reload the page and try again")
    if not hmac.compare_digest(expected, sent):
        raise CsrfFailed("this form has expired; reload the page and try again")
