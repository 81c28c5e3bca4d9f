"""The consent kiosk: one per device, for the public.

The device's key opens the kiosk once (``/kiosk/login``); from then on the kiosk serves
whoever stands at it: the notice (Chinese first), two equal choices (face or the
alternative), separate consent (a guardian's for a child under 14), capture, enrolment,
verification. A returning person is recognised on their own act (``kiosk_returning``), the
alternative asks only for what the deployment offers (``kiosk_alternative``), and the kiosk
forgets each person when they leave or stop touching it (``kiosk_visit``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from facegate.api.routes.faces import channel_of, check_lockout, face_call, note_outcome
from facegate.api.state import api_state
from facegate.engine.errors import FaceQualityTooLow, ImageTooLarge, MultipleFaces, NoFace
from facegate.engine.liveness.challenge import new_challenge
from facegate.errors import FacegateError
from facegate.law import Refused
from facegate.law.age import is_minor
from facegate.law.dates import china_date
from facegate.law.liveness import CHALLENGE_MESSAGE
from facegate.service import BadRequest, ConsentSpec, Gate, access, kiosk_sessions
from facegate.service.access import Forbidden, Principal, Unauthenticated
from facegate.service.errors import DuplicateIdentity
from facegate.service.kiosk_views import kiosk_facts
from facegate.service.liveness import FRAME_LIMITS
from facegate.web.app import web_state
from facegate.web.common import Visit, failed_login, posted, text
from facegate.web.kiosk_visit import (
    KioskClosed,
    begin,
    device,
    erase,
    error_view,
    fail,
    fail_key,
    forget,
    kiosk_visit,
    lang_of,
    page,
    person,
    say,
)

router = APIRouter(prefix="/kiosk", include_in_schema=False)

__all__ = ["KioskClosed", "capture_error", "capture_page", "captured", "closed", "router"]

CHALLENGE_SECONDS = 120
"""A challenge must be answered within this time of the page that asked it."""
STEPS = ("blink", "turn_left", "turn_right")
GUARDIAN_RELATIONS = ("parent", "guardian")
HINTS = (
    "face_too_small",
    "too_dark",
    "too_bright",
    "too_blurred",
    "pose_too_strong",
    "face_cut_off",
)
CAPTURE_ACTIONS = {
    "enrol": "/kiosk/face/enrol",
    "verify": "/kiosk/face/verify",
    "identify": "/kiosk/returning/face",
}


def closed(request: Request, exc: FacegateError) -> Response:
    current = kiosk_visit(request)
    current.data = {"csrf": current.data.get("csrf", ""), "lang": lang_of(current)}
    return page(current, "kiosk/login.html", 401, error=True, person=None)


def notice_of(request: Request, who: Principal) -> Any:
    assert who.deployment_id is not None
    return web_state(request).gate.notice(who.deployment_id).notice


def unavailable(current: Visit, exc: FacegateError) -> Response:
    return page(
        current,
        "kiosk/unavailable.html",
        503,
        error=error_view(exc, lang_of(current)),
    )


# -- opening the kiosk --------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return page(kiosk_visit(request), "kiosk/login.html", error=False, person=None)


@router.post("/login")
async def login(request: Request) -> Response:
    current = kiosk_visit(request)
    try:
        form = await posted(request, current)
        who = access.authenticate(web_state(request).gate.ctx, text(form, "api_key"))
        if who.role != "device":
            raise Forbidden("a kiosk opens with its device's key")
    except FacegateError as exc:
        if isinstance(exc, Unauthenticated):
            try:
                failed_login(request, exc.message)
            except FacegateError as limited:
                exc = limited
        return page(current, "kiosk/login.html", 401, error=True, person=None)
    forget(current)
    current.data.update(key_id=who.key_id, device_id=who.device_id, lang="zh")
    return current.redirect("/kiosk")


# -- the start: the notice and two equal choices --------------------------------------------------
@router.get("", response_class=HTMLResponse)
def start(request: Request, lang: str = "") -> Response:
    current = kiosk_visit(request)
    who = device(current)
    if lang in ("zh", "en"):
        current.data["lang"] = lang
    for key in ("dob", "minor", "attested", "next", "claim"):
        current.data.pop(key, None)
    try:
        notice = notice_of(request, who)
    except FacegateError as exc:
        return unavailable(current, exc)
    assert who.device_id is not None
    return page(
        current,
        "kiosk/start.html",
        notice=notice.content,
        version=notice.version,
        facts=kiosk_facts(web_state(request).gate.ctx, who.device_id),
    )


@router.post("/lang")
async def switch_language(request: Request) -> Response:
    """中文 / English on every page: the same page again, in the other language."""
    current = kiosk_visit(request)
    try:
        form = await posted(request, current)
    except FacegateError:
        return current.redirect("/kiosk")
    current.data["lang"] = "en" if text(form, "lang") == "en" else "zh"
    back = text(form, "back")
    return current.redirect(back if back.startswith("/kiosk") and "//" not in back else "/kiosk")


@router.post("/done")
async def done(request: Request) -> Response:
    """The person leaves (the Done button, or the page's idle timer): the kiosk forgets them."""
    current = kiosk_visit(request)
    with contextlib.suppress(FacegateError):  # an expired form still ends the session
        await posted(request, current)
    forget(current)
    return current.redirect("/kiosk")


# -- face: age, consent, capture, enrol, verify -------------------------------------------------
@router.get("/face", response_class=HTMLResponse)
def age_question(request: Request) -> Response:
    current = kiosk_visit(request)
    device(current)
    return page(current, "kiosk/age.html", today=date.today().isoformat())


@router.post("/face")
async def age_answer(request: Request) -> Response:
    current = kiosk_visit(request)
    device(current)
    try:
        form = await posted(request, current)
    except FacegateError as exc:
        fail(current, exc)
        return current.redirect("/kiosk/face")
    if text(form, "age") == "14plus":
        # An attestation instead of a date of birth (PIPL art. 6): the date matters only
        # for a child, whose guardian consents.
        current.data.pop("dob", None)
        current.data["attested"] = True
        current.data["minor"] = False
        return current.redirect("/kiosk/face/consent")
    typed = text(form, "date_of_birth")
    try:
        born = date.fromisoformat(typed)
    except ValueError:
        fail_key(current, "kiosk.age.dob_missing", field="date_of_birth")
        return current.redirect("/kiosk/face")
    today = china_date(web_state(request).gate.ctx.now())
    if born > today:
        fail_key(
            current, "kiosk.age.dob_future", field="date_of_birth", values={"date_of_birth": typed}
        )
        return current.redirect("/kiosk/face")
    current.data["dob"] = born.isoformat()
    current.data.pop("attested", None)
    current.data["minor"] = is_minor(born, today)
    return current.redirect("/kiosk/face/consent")


@router.get("/face/consent", response_class=HTMLResponse)
def consent_form(request: Request) -> Response:
    current = kiosk_visit(request)
    who = device(current)
    try:
        notice = notice_of(request, who)
    except FacegateError as exc:
        return unavailable(current, exc)
    renewing = bool(current.data.get("reconsent")) and person(current) is not None
    if "dob" not in current.data and not current.data.get("attested") and not renewing:
        return current.redirect("/kiosk/face")
    return page(
        current,
        "kiosk/consent.html",
        notice=notice.content,
        notice_hash=notice.sha256,
        minor=bool(current.data.get("minor")) and not renewing,
        relations=GUARDIAN_RELATIONS,
        # A networked deployment's photos travel: its own consent, asked for separately.
        networked=dict(notice.facts or {}).get("transfer_mode") == "networked",
    )


@router.post("/face/consent")
async def consent(request: Request) -> Response:
    current = kiosk_visit(request)
    who = device(current)
    try:
        form = await posted(request, current)
    except FacegateError as exc:
        fail(current, exc)
        return current.redirect("/kiosk/face/consent")
    assert who.deployment_id is not None
    gate = web_state(request).gate
    if text(form, "choice") == "decline":
        gate.record_refusal(who.deployment_id, channel="kiosk", actor=who.actor)
        forget(current)
        say(current, "ok", "kiosk.consent.declined")
        return current.redirect("/kiosk")
    here = person(current)
    if current.data.get("reconsent") and here is not None:
        return renew_consent(current, who, gate, here.subject_id, form)
    dob = current.data.get("dob")
    attested = bool(current.data.get("attested"))
    minor = bool(current.data.get("minor")) and not attested
    if not isinstance(dob, str) and not attested:
        return current.redirect("/kiosk/face")
    relation = text(form, "guardian_relation")
    kept = {"guardian_relation": relation} if relation in GUARDIAN_RELATIONS else {}
    if minor and not relation:
        fail_key(current, "kiosk.consent.relation_missing", field="guardian_relation")
        return current.redirect("/kiosk/face/consent")
    if minor and form.get("guardian_present") != "yes":
        fail_key(current, "kiosk.consent.guardian_missing", field="guardian_present", values=kept)
        return current.redirect("/kiosk/face/consent")
    if form.get("consent") != "yes":
        fail_key(current, "kiosk.consent.tick_missing", field="consent", values=kept)
        return current.redirect("/kiosk/face/consent")
    spec = ConsentSpec(
        given_by="guardian" if minor else "self",
        guardian_relation=relation if minor else "",
        form="electronic",
        notice_hash=text(form, "notice_hash"),
        alternative_offered=True,  # the start page offers the alternative as an equal choice
        pre_ticked=False,
        bundled=False,
    )
    if isinstance(current.data.get("pending"), str):  # consented before, never enrolled
        erase(current, current.data["pending"])
    subject = gate.register_subject(
        date_of_birth=date.fromisoformat(dob) if isinstance(dob, str) else None,
        age_attested=attested and not isinstance(dob, str),
        actor=who.actor,
    )
    try:
        gate.record_consent(subject.id, who.deployment_id, spec, actor=who.actor)
        if form.get("transmission") == "yes":  # its own tick, its own record (M8, PIPL 29)
            transmission = dataclasses.replace(spec, scope="transmission")
            gate.record_consent(subject.id, who.deployment_id, transmission, actor=who.actor)
    except FacegateError as exc:
        gate.delete_subject(subject.id, actor=who.actor)
        fail(current, exc)
        return current.redirect("/kiosk/face/consent")
    begin(current, who, subject.id, verified=False)
    # Until a face is enrolled, leaving (or idling out) erases this subject and its consent.
    current.data["pending"] = subject.id
    return current.redirect("/kiosk/face/capture")


def renew_consent(
    current: Visit, who: Principal, gate: Gate, subject_id: str, form: FormData
) -> Response:
    """Consent again after the deployment's purpose or method changed (PIPL art. 14 para. 2):
    the same person, the same template, a consent to the current purpose and method."""
    if form.get("consent") != "yes":
        fail_key(current, "kiosk.consent.tick_missing", field="consent")
        return current.redirect("/kiosk/face/consent")
    spec = ConsentSpec(
        notice_hash=text(form, "notice_hash"),
        alternative_offered=True,
        guardian_relation=text(form, "guardian_relation"),
    )
    assert who.deployment_id is not None
    try:
        gate.record_consent(subject_id, who.deployment_id, spec, actor=who.actor)
    except FacegateError as exc:
        fail(current, exc)
        return current.redirect("/kiosk/face/consent")
    current.data.pop("reconsent", None)
    say(current, "ok", "kiosk.consent.renewed")
    return current.redirect("/kiosk/face/verify")


def capture_page(
    current: Visit, who: Principal, mode: str, status_code: int = 200, **extra: Any
) -> Response:
    """The capture form as the deployment's liveness wants it: camera or upload (off), camera
    only (passive), camera and a fresh challenge in random order (active)."""
    assert who.deployment_id is not None
    setting = web_state(current.request).gate.liveness_setting(who.deployment_id)
    challenge: tuple[str, ...] = ()
    if setting == "active":
        challenge = new_challenge()
        current.data["challenge"] = {"steps": list(challenge), "mode": mode, "at": time.time()}
    return page(
        current,
        "kiosk/capture.html",
        status_code,
        mode=mode,
        action=CAPTURE_ACTIONS[mode],
        liveness=setting,
        challenge=challenge,
        **extra,
    )


@router.get("/face/capture", response_class=HTMLResponse)
def capture(request: Request) -> Response:
    current = kiosk_visit(request)
    who = device(current)
    if person(current) is None:
        return current.redirect("/kiosk")
    return capture_page(current, who, "enrol")


@router.get("/face/verify", response_class=HTMLResponse)
def verify_form(request: Request) -> Response:
    current = kiosk_visit(request)
    who = device(current)
    if person(current) is None:
        return current.redirect("/kiosk")
    return capture_page(current, who, "verify")


def issued_challenge(current: Visit, mode: str) -> list[str]:
    """The steps this kiosk page asked for (once: the challenge is spent by its answer)."""
    issued = current.data.pop("challenge", None)
    if (
        not isinstance(issued, dict)
        or issued.get("mode") != mode
        or not isinstance(issued.get("steps"), list)
        or time.time() - float(issued.get("at", 0)) > CHALLENGE_SECONDS
    ):
        raise ChallengeExpired("the challenge has expired: please try again")
    return [str(step) for step in issued["steps"]]


class ChallengeExpired(BadRequest):
    code = "challenge_expired"


class NoPhoto(BadRequest):
    code = "no_photo"


async def challenge_frames(form: FormData) -> list[bytes]:
    frames = []
    for part in form.getlist("frame"):
        if isinstance(part, UploadFile):
            frames.append(await part.read(FRAME_LIMITS.max_bytes + 1))
    if not frames:
        raise NoPhoto("no camera frames were received")
    return frames


async def photo(request: Request, form: FormData) -> bytes:
    upload = form.get("image")
    if not isinstance(upload, UploadFile):
        raise NoPhoto("take or upload a photo")
    limit = api_state(request).settings.image_limits.max_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ImageTooLarge(f"the photo is over {limit} bytes", details={"max_bytes": limit})
    if not data:
        raise NoPhoto("take or upload a photo")
    return data


def hints(exc: FacegateError) -> list[str]:
    """What the person should do about a photo the engine refused: catalogue keys."""
    if isinstance(exc, FaceQualityTooLow):
        return [f"kiosk.hint.{f}" for f in exc.failed if f in HINTS]
    if isinstance(exc, NoFace):
        return ["kiosk.hint.no_face"]
    if isinstance(exc, MultipleFaces):
        return ["kiosk.hint.multiple_faces"]
    if isinstance(exc, Refused) and "liveness.failed" in exc.decision.codes:
        challenge = any(r.message == CHALLENGE_MESSAGE for r in exc.decision.reasons)
        return ["kiosk.hint.challenge" if challenge else "kiosk.hint.liveness"]
    if isinstance(exc, Refused) and "capture.opt_in" in exc.decision.codes:
        return ["kiosk.hint.multiple_faces"]
    return []


def capture_error(current: Visit, exc: FacegateError) -> dict[str, Any]:
    return {**error_view(exc, lang_of(current)), "hints": hints(exc)}


async def captured(request: Request, current: Visit, who: Principal, mode: str) -> bytes:
    """The photo the capture form sent, after the active challenge (where the deployment
    asks for one) is passed by the same person."""
    form = await posted(request, current)
    image = await photo(request, form)
    state = api_state(request)
    assert who.deployment_id is not None and who.device_id is not None
    device_id = who.device_id
    if state.gate.liveness_setting(who.deployment_id) == "active":
        steps = issued_challenge(current, mode)
        frames = await challenge_frames(form)
        await face_call(
            request,
            state,
            who,
            lambda: state.gate.check_challenge(
                device_id, steps, frames, action=mode, actor=who.actor, image=image
            ),
        )
    return image


@router.post("/face/enrol")
async def enrol(request: Request) -> Response:
    current = kiosk_visit(request)
    who = device(current)
    here = person(current)
    if here is None:
        return current.redirect("/kiosk")
    state = api_state(request)
    assert who.deployment_id is not None and who.device_id is not None
    device_id, deployment_id = who.device_id, who.deployment_id
    try:
        image = await captured(request, current, who, "enrol")
        await face_call(
            request,
            state,
            who,
            lambda: state.gate.enrol(
                here.subject_id,
                deployment_id,
                image,
                device_id=device_id,
                actor=who.actor,
                channel=channel_of(request),
            ),
        )
    except DuplicateIdentity:
        # The face is someone's already. Say nothing of whose, or that it is: erase what was
        # just recorded for this visit (the subject and its consent) and end the session.
        lang = lang_of(current)
        forget(current)
        current.data["lang"] = lang
        return page(current, "kiosk/result.html", 409, outcome="enrol_failed", person=None)
    except FacegateError as exc:
        return capture_page(current, who, "enrol", 422, error=capture_error(current, exc))
    current.data.pop("pending", None)  # enrolled: kept under the consent, until withdrawn
    say(current, "ok", "kiosk.capture.enrolled")
    return current.redirect("/kiosk/face/verify")


@router.post("/face/verify")
async def verify(request: Request) -> Response:
    current = kiosk_visit(request)
    who = device(current)
    here = person(current)
    if here is None:
        return current.redirect("/kiosk")
    state = api_state(request)
    assert who.device_id is not None
    device_id, subject_id = who.device_id, here.subject_id
    try:
        check_lockout(state, who, subject_id)
        image = await captured(request, current, who, "verify")
        result = await face_call(
            request,
            state,
            who,
            lambda: state.gate.verify(
                device_id, subject_id, image, actor=who.actor, channel=channel_of(request)
            ),
        )
        note_outcome(request, state, who, subject_id, result.matched)
    except FacegateError as exc:
        if isinstance(exc, Refused) and "consent.purpose_change" in exc.decision.codes:
            # The purpose or method changed since this person consented: offer to consent
            # again (the alternative stays on the start page as an equal choice).
            current.data["reconsent"] = True
            say(current, "error", "kiosk.consent.purpose_changed")
            return current.redirect("/kiosk/face/consent")
        status = 429 if exc.code == "locked_out" else 422
        response = capture_page(current, who, "verify", status, error=capture_error(current, exc))
        if exc.code == "locked_out":
            response.headers["Retry-After"] = str(getattr(exc, "retry_after", 60))
        return response
    if result.matched:
        kiosk_sessions.mark_verified(web_state(request).gate.ctx, current.data.get("ps"))
    return page(
        current,
        "kiosk/result.html",
        outcome="verified" if result.matched else "not_verified",
        retry="/kiosk/face/verify",
    )


# The returning person, my data and the alternative: their own modules, one router (imported
# last: they use the capture steps above).
from facegate.web import kiosk_alternative, kiosk_code, kiosk_returning  # noqa: E402

router.include_router(kiosk_returning.router)
router.include_router(kiosk_alternative.router)
router.include_router(kiosk_code.router)
