"""The alternative at the kiosk: no face at all (Measures art. 10).

The page offers what this deployment offers: a card, a QR code, a PIN, a member of staff. A
refusal is shown once, beside its field, with what the person typed kept (never a secret);
a wrong PIN or card can be tried again until the lockout, which says when to come back.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from facegate.api.auth import limit
from facegate.api.routes.faces import check_lockout, note_outcome
from facegate.api.state import api_state, client_address
from facegate.errors import FacegateError
from facegate.service.kiosk_views import KioskFacts, kiosk_facts, pin_holder
from facegate.web.app import web_state
from facegate.web.common import Visit, posted, text
from facegate.web.kiosk_visit import device, fail, fail_key, kiosk_visit, page

router: APIRouter = APIRouter()

SECRET_FIELDS = {"card": "card", "qr": "qr", "pin": "pin"}


@router.get("/alternative", response_class=HTMLResponse)
def alternative_form(request: Request) -> Response:
    current = kiosk_visit(request)
    who = device(current)
    assert who.device_id is not None
    facts = kiosk_facts(web_state(request).gate.ctx, who.device_id)
    return page(current, "kiosk/alternative.html", facts=facts)


@router.post("/alternative")
async def alternative(request: Request) -> Response:
    current = kiosk_visit(request)
    who = device(current)
    state = api_state(request)
    assert who.device_id is not None
    facts = kiosk_facts(state.gate.ctx, who.device_id)
    try:
        form = await posted(request, current)
    except FacegateError as exc:
        fail(current, exc)
        return current.redirect("/kiosk/alternative")
    kind = text(form, "kind")
    if kind not in facts.kinds or kind == "staff_check":
        return current.redirect("/kiosk/alternative")
    field = SECRET_FIELDS[kind]
    secret = text(form, field)
    member = text(form, "member") if kind == "pin" else ""
    name, unit = (text(form, "name"), text(form, "unit")) if kind == "pin" else ("", "")
    kept = {k: v for k, v in (("member", member), ("name", name), ("unit", unit)) if v}
    if kind == "pin" and not member and not name:
        fail_key(current, "kiosk.alternative.name_missing", field="name", values=kept)
        return current.redirect("/kiosk/alternative")
    if not secret:
        fail_key(current, f"kiosk.alternative.{kind}_missing", field=field, values=kept)
        return current.redirect("/kiosk/alternative")
    if kind == "pin" and not member:
        # By name (and unit): the person the front desk recorded, never an id to remember.
        member = pin_holder(state.gate.ctx, who.device_id, name, unit) or ""
        if not member:
            try:
                limit(state, "address", client_address(request))
            except FacegateError as exc:
                return refused(current, exc, field, kept, facts)
            fail_key(current, "kiosk.alternative.pin_wrong", field=field, values=kept)
            return current.redirect("/kiosk/alternative")
    try:
        if kind == "pin":
            check_lockout(state, who, member)
            result = state.gate.verify_alternative(
                who.device_id, "pin", secret, subject_id=member, actor=who.actor
            )
            note_outcome(request, state, who, member, result.matched)
        else:
            result = state.gate.verify_alternative(who.device_id, kind, secret, actor=who.actor)
        if not result.matched:  # no guessing cards, nor PINs across many numbers
            limit(state, "address", client_address(request))
    except FacegateError as exc:
        return refused(current, exc, field, kept, facts)
    if not result.matched:
        # Try again: the same field, the number kept; the lockout comes after five tries.
        fail_key(current, f"kiosk.alternative.{kind}_wrong", field=field, values=kept)
        return current.redirect("/kiosk/alternative")
    return page(current, "kiosk/result.html", outcome="passed", method=kind, person=None)


def refused(
    current: Visit, exc: FacegateError, field: str, kept: dict[str, str], facts: KioskFacts
) -> Response:
    """A refusal beside ``field``; locked out (or too many tries from here): when to come
    back, on the page and in ``Retry-After``."""
    fail(current, exc, field=field, values=kept)
    retry = getattr(exc, "retry_after", None)
    if not retry:
        return current.redirect("/kiosk/alternative")
    response = page(current, "kiosk/alternative.html", 429, facts=facts)
    response.headers["Retry-After"] = str(retry)
    return response
