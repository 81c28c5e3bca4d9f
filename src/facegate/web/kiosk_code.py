"""Self-enrolment with a one-time code from the front desk.

Staff find the person's record, record their consent on their behalf and hand them a code
(on screen, paper or QR). At the kiosk the person types it, or scans its QR with the kiosk's
reader (which types it): the code is redeemed for *that* person under *that* consent
(``service.enrolment_codes``, engineer 15p's contract), and the kiosk goes straight to the
camera. No id to keep; no consent asked twice; a wrong code is refused once, beside the field,
and the device locks code entry after repeated misses (with ``Retry-After``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from facegate.errors import FacegateError
from facegate.service.enrolment_codes import redeem_enrolment_code
from facegate.web.app import web_state
from facegate.web.common import posted, text
from facegate.web.kiosk_visit import (
    begin,
    device,
    fail,
    fail_key,
    forget,
    kiosk_visit,
    lang_of,
    page,
)

router: APIRouter = APIRouter()


@router.get("/code", response_class=HTMLResponse)
def code_form(request: Request) -> Response:
    current = kiosk_visit(request)
    device(current)
    return page(current, "kiosk/code.html")


@router.post("/code")
async def redeem(request: Request) -> Response:
    current = kiosk_visit(request)
    who = device(current)
    assert who.device_id is not None
    try:
        form = await posted(request, current)
        typed = text(form, "code")
        if not typed:
            fail_key(current, "kiosk.code.missing", field="code")
            return current.redirect("/kiosk/code")
        ticket = redeem_enrolment_code(
            web_state(request).gate.ctx, typed, device_id=who.device_id, actor=who.actor
        )
    except FacegateError as exc:
        fail(current, exc, field="code")
        retry = getattr(exc, "retry_after", None)
        if not retry:
            return current.redirect("/kiosk/code")
        response = page(current, "kiosk/code.html", 429)
        response.headers["Retry-After"] = str(retry)
        return response
    lang = lang_of(current)
    forget(current)  # whoever was here before is not this person
    current.data["lang"] = lang
    # The person's record and consent were made at the desk: walking away erases nothing.
    begin(current, who, ticket.subject_id, verified=False)
    return current.redirect("/kiosk/face/capture")
