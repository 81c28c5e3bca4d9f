"""A returning person at the kiosk, and their own data.

Nobody keeps an id. A person who enrolled before presses "我已登记 · I am enrolled" (their
explicit act: Measures art. 6, ``capture.opt_in``) and the kiosk captures exactly one face and
searches the deployment's own gallery (1:N, where the deployment is declared for it); or they
present their card or QR code, which finds their record, and then their face (1:1). "My data"
is shown only to a person who has shown their face or credential in this visit; deleting asks
to be confirmed.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from facegate.api.auth import limit
from facegate.api.routes.faces import channel_of, face_call
from facegate.api.state import api_state, client_address
from facegate.errors import FacegateError
from facegate.service.kiosk_views import kiosk_facts
from facegate.web.app import web_state
from facegate.web.common import posted, text
from facegate.web.kiosk import capture_error, capture_page, captured
from facegate.web.kiosk_visit import (
    begin,
    device,
    fail,
    fail_key,
    forget,
    kiosk_visit,
    lang_of,
    page,
    person,
    say,
)

router: APIRouter = APIRouter()

LOOKUP = ("card", "qr")


@router.get("/returning", response_class=HTMLResponse)
def returning(request: Request, to: str = "", by: str = "") -> Response:
    """ "I am enrolled": the face alone where the deployment may search (1:N), else the card
    or QR code first."""
    current = kiosk_visit(request)
    who = device(current)
    assert who.device_id is not None
    facts = kiosk_facts(web_state(request).gate.ctx, who.device_id)
    lang, flash = lang_of(current), current.data.get("flash")
    if to != "me" or person(current) is None:
        forget(current)  # a recognition starts a new person: the last one is forgotten
    current.data.update(lang=lang, flash=flash)
    if to == "me":
        current.data["next"] = "me"
    if facts.identifies and by != "card":
        return capture_page(current, who, "identify", facts=facts)
    return page(current, "kiosk/returning.html", facts=facts)


@router.post("/returning/face")
async def returning_face(request: Request) -> Response:
    """One face, searched in this deployment's gallery: exactly one person found, or
    nobody (and nothing about a face that matched nobody is kept or said)."""
    current = kiosk_visit(request)
    who = device(current)
    state = api_state(request)
    assert who.device_id is not None
    device_id = who.device_id
    try:
        image = await captured(request, current, who, "identify")
        result = await face_call(
            request,
            state,
            who,
            lambda: state.gate.identify(
                device_id, image, actor=who.actor, channel=channel_of(request)
            ),
        )
    except FacegateError as exc:
        return capture_page(current, who, "identify", 422, error=capture_error(current, exc))
    found = sorted({f.subject_id for f in result.faces if f.subject_id})
    if len(found) != 1:
        if state.probes.miss(device_id):
            await run_in_threadpool(
                state.alerts.raise_alert,
                "gallery_probing",
                principal=who,
                source=client_address(request),
                detail="a burst of identification misses at a kiosk",
            )
        say(current, "error", "kiosk.returning.not_found")
        return capture_page(current, who, "identify")
    after = current.data.pop("next", None)
    begin(current, who, found[0], verified=True)
    if after == "me":
        return current.redirect("/kiosk/me")
    return page(current, "kiosk/result.html", outcome="welcome")


@router.post("/returning/card")
async def returning_card(request: Request) -> Response:
    """A card or QR code finds its holder (the deployment's lookup key, never a list);
    then their face, 1:1 (or straight to their data, when that is what they asked for)."""
    current = kiosk_visit(request)
    who = device(current)
    state = api_state(request)
    assert who.device_id is not None
    back = "/kiosk/returning?by=card" + ("&to=me" if current.data.get("next") == "me" else "")
    try:
        form = await posted(request, current)
        kind = text(form, "kind")
        secret = text(form, "secret")
        if kind not in LOOKUP:
            kind = "card"
        if not secret:
            fail_key(current, "kiosk.returning.secret_missing", field="secret")
            return current.redirect(back)
        result = state.gate.verify_alternative(who.device_id, kind, secret, actor=who.actor)
        if not result.matched or not result.subject_id:
            limit(state, "address", client_address(request))  # no guessing cards at a kiosk
            fail_key(current, "kiosk.returning.card_unknown", field="secret")
            return current.redirect(back)
    except FacegateError as exc:
        fail(current, exc, field="secret")
        return current.redirect(back)
    after = current.data.pop("next", None)
    begin(current, who, result.subject_id, verified=True)
    if after == "me":
        return current.redirect("/kiosk/me")
    return current.redirect("/kiosk/face/verify")


# -- my data ----------------------------------------------------------------------------------
@router.get("/me", response_class=HTMLResponse)
def my_data(request: Request) -> Response:
    current = kiosk_visit(request)
    who = device(current)
    here = person(current)
    if here is None or not here.verified:
        assert who.device_id is not None
        current.data["next"] = "me"
        facts = kiosk_facts(web_state(request).gate.ctx, who.device_id)
        return page(current, "kiosk/me_auth.html", facts=facts)
    try:
        report = web_state(request).gate.subject_report(
            here.subject_id, deployment_id=who.deployment_id, actor=who.actor
        )
    except FacegateError:
        report = None
    if report is None or not report["held"]:
        forget(current)
        return current.redirect("/kiosk")
    mine = [c for c in report["consents"] if c["deployment_id"] == who.deployment_id]
    return page(current, "kiosk/me.html", report=report, consents=mine)


@router.post("/me/withdraw")
async def my_withdraw(request: Request) -> Response:
    current = kiosk_visit(request)
    who = device(current)
    here = person(current)
    try:
        await posted(request, current)
        assert who.deployment_id is not None
        if here is not None and here.verified:
            result = web_state(request).gate.withdraw_consent(
                here.subject_id, who.deployment_id, actor=who.actor
            )
            say(current, "ok", "kiosk.me.withdrawn_done", count=result.templates_destroyed)
    except FacegateError as exc:
        fail(current, exc)
    return current.redirect("/kiosk/me")


@router.get("/me/delete", response_class=HTMLResponse)
def my_delete_confirm(request: Request) -> Response:
    """Deleting everything cannot be undone: ask first."""
    current = kiosk_visit(request)
    device(current)
    here = person(current)
    if here is None or not here.verified:
        return current.redirect("/kiosk/me")
    return page(current, "kiosk/delete.html")


@router.post("/me/delete")
async def my_delete(request: Request) -> Response:
    current = kiosk_visit(request)
    who = device(current)
    here = person(current)
    try:
        form = await posted(request, current)
    except FacegateError as exc:
        fail(current, exc)
        return current.redirect("/kiosk/me")
    if here is None or not here.verified:
        return current.redirect("/kiosk/me")
    if text(form, "confirm") != "yes":
        return current.redirect("/kiosk/me/delete")
    lang = lang_of(current)
    try:
        web_state(request).gate.delete_subject(here.subject_id, actor=who.actor)
    except FacegateError as exc:
        fail(current, exc)
        return current.redirect("/kiosk/me")
    forget(current)
    current.data["lang"] = lang
    say(current, "ok", "kiosk.me.deleted")
    return current.redirect("/kiosk")
