"""The REST API's language: its codes never change; its ``message`` (and each refusal
reason's) follows the request's ``Accept-Language``.

Without the header the API answers in English (``API_DEFAULT_LANG``): scripts, logs and the
engineers who read them get the exact English message of the error, as before. A browser or a
device that sends ``Accept-Language: zh-CN`` (or ranks ``zh`` above ``en``) gets the Chinese
sentence of the message catalogue; a header that names neither language gets English. The
console and the kiosk are different: they are Chinese unless the person chooses English.
"""

from __future__ import annotations

from fastapi import Request
from starlette.types import Scope

from facegate.messages import Lang, negotiate

API_DEFAULT_LANG: Lang = "en"
CONTENT_LANGUAGE: dict[str, str] = {"zh": "zh-CN", "en": "en"}


def request_lang(request: Request) -> Lang:
    return negotiate(request.headers.get("accept-language"), default=API_DEFAULT_LANG)


def scope_lang(scope: Scope) -> Lang:
    """The same, from an ASGI scope (middleware that answers before a route runs)."""
    for name, value in scope.get("headers") or ():
        if name.lower() == b"accept-language":
            return negotiate(value.decode("latin-1"), default=API_DEFAULT_LANG)
    return API_DEFAULT_LANG
