"""What every kiosk page shares: the kiosk's visit (its device, its language), the person now
at it (a server-side session that dies after the idle timeout), and sentences from the
message catalogue (never a raw English error on a Chinese screen).

The kiosk's cookie holds the device it was opened for and, while someone is using it, a
token for their server-side session plus the steps they are part-way through (age, the
challenge drawn...). Every request checks the time since the last one: past the idle timeout
the person is forgotten, on the server, before the page is drawn, whether or not the page's
script sent them back to the start.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from facegate.api.state import api_state
from facegate.errors import FacegateError
from facegate.law import Refused
from facegate.messages import has, t
from facegate.messages.errors import error_text, format_articles, reason_text
from facegate.service import access, kiosk_sessions
from facegate.service.access import Principal, Unauthenticated
from facegate.service.kiosk_sessions import KioskPerson
from facegate.web.app import render, web_state
from facegate.web.common import Visit, visit
from facegate.web.sessions import KIOSK_COOKIE

PERSON_KEYS = (
    "ps",  # the person's server-side session token
    "pending",  # a subject this visit created that holds no face yet
    "dob",
    "minor",
    "attested",
    "challenge",
    "reconsent",
    "claim",
    "next",
    "flash",
)
"""What the kiosk's cookie holds about the person at it: all of it goes when they do."""


class KioskClosed(Unauthenticated):
    code = "kiosk_closed"


def idle_seconds(request: Request) -> float:
    return float(api_state(request).settings.kiosk_idle_seconds)


def kiosk_visit(request: Request) -> Visit:
    """This browser's kiosk visit; the person at it is forgotten when the last request was
    longer ago than the idle timeout."""
    current = visit(request, KIOSK_COOKIE)
    now = time.time()
    seen = current.data.get("seen")
    if isinstance(seen, int | float) and now - seen > idle_seconds(request):
        forget(current)
    current.data["seen"] = now
    return current


def device(current: Visit) -> Principal:
    """The device this kiosk belongs to, while its key and the device are live."""
    key_id, device_id = current.data.get("key_id"), current.data.get("device_id")
    if not isinstance(key_id, str) or not isinstance(device_id, str):
        raise KioskClosed("this kiosk is not opened: open /kiosk/login with the device's key")
    try:
        return access.device_principal(web_state(current.request).gate.ctx, key_id, device_id)
    except Unauthenticated as exc:
        raise KioskClosed(exc.message) from None


def person(current: Visit) -> KioskPerson | None:
    """The person at the kiosk, while their session is live (each look keeps it alive)."""
    token = current.data.get("ps")
    device_id = current.data.get("device_id")
    if not isinstance(token, str) or not isinstance(device_id, str):
        return None
    found = kiosk_sessions.holder(
        web_state(current.request).gate.ctx,
        token,
        device_id=device_id,
        idle_seconds=idle_seconds(current.request),
    )
    if found is None:
        forget(current)
    return found


def begin(current: Visit, who: Principal, subject_id: str, *, verified: bool) -> None:
    """A person is now at the kiosk (after consenting, or recognised): their session."""
    end_session(current)
    assert who.device_id is not None
    current.data["ps"] = kiosk_sessions.start(
        web_state(current.request).gate.ctx,
        key_id=who.key_id,
        device_id=who.device_id,
        subject_id=subject_id,
        verified=verified,
        idle_seconds=idle_seconds(current.request),
    )


def end_session(current: Visit) -> None:
    kiosk_sessions.end(web_state(current.request).gate.ctx, current.data.pop("ps", None))


def forget(current: Visit) -> None:
    """The person has left (Done) or idled out: end their session, erase what they started
    and never finished (a consent with no face: nothing is kept of someone who walked away),
    and start the next person in Chinese."""
    end_session(current)
    pending = current.data.get("pending")
    if isinstance(pending, str):
        erase(current, pending)
    for key in PERSON_KEYS:
        current.data.pop(key, None)
    current.data["lang"] = "zh"


def erase(current: Visit, subject_id: str) -> None:
    """Erase a subject this visit created (with its consent) and never enrolled."""
    current.data.pop("pending", None)
    gate = web_state(current.request).gate
    with contextlib.suppress(FacegateError):  # already erased
        gate.delete_subject(subject_id, actor=f"device:{current.data.get('key_id', '')}")


def lang_of(current: Visit) -> str:
    lang = current.data.get("lang")
    return lang if lang in ("zh", "en") else "zh"


# -- sentences ---------------------------------------------------------------------------------
def error_view(exc: FacegateError, lang: str) -> dict[str, Any]:
    """What a page shows of an error, in ``lang``: the kiosk's own sentence where it has one
    (``kiosk.error.<code>``), else the catalogue's (``error.<code>``); a refusal's reasons from
    the law's catalogue with their articles cited in ``lang``. Never the exception's English
    on a Chinese page."""
    reasons: list[dict[str, str]] = []
    if isinstance(exc, Refused):
        reasons = [
            {
                "message": reason_text(r.code, r.message, lang),
                "articles": format_articles(r.articles, lang) if r.articles else "",
            }
            for r in exc.decision.reasons
        ]
    retry = getattr(exc, "retry_after", None)
    if exc.code == "locked_out" and isinstance(retry, int | float):
        message = t("kiosk.error.locked_out", lang, minutes=max(1, -(-int(retry) // 60)))
    elif has(f"kiosk.error.{exc.code}"):
        message = t(f"kiosk.error.{exc.code}", lang)
    elif reasons:
        message = t("kiosk.error.refused", lang)
    else:
        message = error_text(exc, lang, precise=False)
    return {"message": message, "reasons": reasons}


def say(current: Visit, kind: str, key: str, **params: Any) -> None:
    """A sentence for the next page (by key: drawn in the language of that page)."""
    current.data["flash"] = {"kind": kind, "key": key, "params": params}


def fail(
    current: Visit, exc: FacegateError, *, field: str = "", values: dict[str, str] | None = None
) -> None:
    """An error for the next page: beside ``field`` when it is about one, with the values
    the person typed kept (never a secret)."""
    current.data["flash"] = {
        "kind": "error",
        **error_view(exc, lang_of(current)),
        "field": field,
        "values": values or {},
    }


def fail_key(
    current: Visit, key: str, *, field: str = "", values: dict[str, str] | None = None
) -> None:
    """A kiosk sentence as an error, beside ``field``."""
    current.data["flash"] = {
        "kind": "error",
        "key": key,
        "params": {},
        "field": field,
        "values": values or {},
    }


def flash_view(flash: dict[str, Any] | None, lang: str) -> dict[str, Any] | None:
    if not flash:
        return None
    view: dict[str, Any] = {
        "kind": flash.get("kind", "ok"),
        "field": flash.get("field", ""),
        "values": flash.get("values") or {},
        "reasons": [],
    }
    if "key" in flash:
        view["message"] = t(str(flash["key"]), lang, **dict(flash.get("params") or {}))
    else:
        view["message"] = str(flash.get("message", ""))
        view["reasons"] = list(flash.get("reasons") or [])
    return view


def page(current: Visit, name: str, status_code: int = 200, **context: Any) -> Response:
    """Draw a kiosk page: the catalogue in the kiosk's language, the person (if any), the
    idle timeout for the page's script, a refusal once (beside its field when it has one)."""
    lang = lang_of(current)
    flash = flash_view(current.take_flash(), lang)
    context.setdefault("person", person(current) if "device_id" in current.data else None)
    # The idle timer runs wherever there is something to forget: a person, a step begun, or
    # a language other than the default (never on the staff's login page).
    context.setdefault(
        "idle_on",
        name != "kiosk/login.html"
        and (context["person"] is not None or lang != "zh" or name != "kiosk/start.html"),
    )
    context.update(
        csrf_token=current.csrf_token,
        flash=None if flash and flash["field"] else flash,
        field_error=flash if flash and flash["field"] else None,
        values=(flash or {}).get("values") or context.pop("values", {}),
        lang=lang,
        idle=int(idle_seconds(current.request)),
    )
    return current.save(render(current.request, name, context, status_code))
