"""The consent kiosk: one per device, for the public.

The device's key opens the kiosk once (``/kiosk/login``); from then on the kiosk serves
whoever stands at it: the notice (Chinese first), two equal choices (face or the
alternative), separate consent (a guardian's for a child under 14), capture, enrolment,
verification, and a person's own data (see, withdraw, delete).
"""

from __future__ import annotations

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
from facegate.service import BadRequest, ConsentSpec, Gate, access
from facegate.service.access import Forbidden, Principal, Unauthenticated
from facegate.service.liveness import FRAME_LIMITS
from facegate.web.app import problem, render, web_state
from facegate.web.common import Visit, failed_login, posted, text, visit
from facegate.web.sessions import KIOSK_COOKIE

router = APIRouter(prefix="/kiosk", include_in_schema=False)

CHALLENGE_SECONDS = 120
"""A challenge must be answered within this time of the page that asked it."""
PROMPTS: dict[str, tuple[str, str]] = {
    "blink": ("请眨眼", "Blink"),
    "turn_left": ("请向左转头", "Turn your head to your left"),
    "turn_right": ("请向右转头", "Turn your head to your right"),
}

GUARDIAN_RELATIONS = (
    ("parent", "父母 · Parent"),
    ("guardian", "其他监护人 · Other legal guardian"),
)

FEEDBACK: dict[str, tuple[str, str]] = {
    "face_too_small": ("请靠近一点", "Move closer to the camera"),
    "too_dark": ("太暗了，请到光线充足的地方", "Too dark: face the light"),
    "too_bright": ("太亮了，请避开强光", "Too bright: avoid strong light behind you"),
    "too_blurred": ("画面模糊，请保持不动", "Blurred: hold still"),
    "pose_too_strong": ("请正对摄像头", "Look straight at the camera"),
    "face_cut_off": ("请把脸移到画面中央", "Move your face to the centre"),
    "no_face": ("没有看到人脸，请看向摄像头", "No face found: look at the camera"),
    "multiple_faces": ("请一次一人", "One person at a time, please"),
    "liveness": (
        "未检测到真人：请本人直接面对摄像头，不要使用照片或屏幕；也可以使用其他方式",
        "No live person seen: face the camera yourself, not a photo or a screen; or use the "
        "alternative",
    ),
    "challenge": (
        "请按屏幕提示依次眨眼、转头",
        "Follow the prompts on the screen: blink and turn your head, in that order",
    ),
}


class KioskClosed(Unauthenticated):
    code = "kiosk_closed"


def kiosk_visit(request: Request) -> Visit:
    return visit(request, KIOSK_COOKIE)


def device(current: Visit) -> Principal:
    """The device this kiosk belongs to, while its key and the device are live."""
    key_id, device_id = current.data.get("key_id"), current.data.get("device_id")
    if not isinstance(key_id, str) or not isinstance(device_id, str):
        raise KioskClosed("this kiosk is not opened: open /kiosk/login with the device's key")
    try:
        return access.device_principal(web_state(current.request).gate.ctx, key_id, device_id)
    except Unauthenticated as exc:
        raise KioskClosed(exc.message) from None


def lang_of(current: Visit) -> str:
    lang = current.data.get("lang")
    return lang if lang in ("zh", "en") else "zh"


def page(current: Visit, name: str, status_code: int = 200, **context: Any) -> Response:
    context.update(
        csrf_token=current.csrf_token,
        flash=current.take_flash(),
        lang=lang_of(current),
        person=current.data.get("person"),
    )
    return current.save(render(current.request, name, context, status_code))


def closed(request: Request, exc: FacegateError) -> Response:
    current = kiosk_visit(request)
    current.data = {"csrf": current.data.get("csrf", "")}
    return page(current, "kiosk/login.html", 401, error=exc.message)


def notice_of(request: Request, who: Principal) -> Any:
    assert who.deployment_id is not None
    return web_state(request).gate.notice(who.deployment_id).notice


# -- opening the kiosk --------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return page(kiosk_visit(request), "kiosk/login.html", error=None)


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
        return page(current, "kiosk/login.html", 401, error=exc.message)
    current.data = {"key_id": who.key_id, "device_id": who.device_id, "lang": "zh"}
    return current.redirect("/kiosk")


# -- the start: the notice and two equal choices --------------------------------------------------
@router.get("", response_class=HTMLResponse)
def start(request: Request, lang: str = "") -> Response:
    current = kiosk_visit(request)
    who = device(current)
    if lang in ("zh", "en"):
        current.data["lang"] = lang
    for key in ("dob", "minor"):
        current.data.pop(key, None)
    try:
        notice = notice_of(request, who)
    except FacegateError as exc:
        return page(current, "kiosk/unavailable.html", 503, error=problem(exc))
    return page(current, "kiosk/start.html", notice=notice.content, version=notice.version)


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
        if text(form, "age") == "14plus":
            # An attestation instead of a date of birth (PIPL art. 6): the date matters only
            # for a child, whose guardian consents.
            current.data.pop("dob", None)
            current.data["attested"] = True
            current.data["minor"] = False
            return current.redirect("/kiosk/face/consent")
        try:
            born = date.fromisoformat(text(form, "date_of_birth"))
        except ValueError:
            raise BadRequest("请填写出生日期 · Please enter your date of birth") from None
        today = china_date(web_state(request).gate.ctx.now())
        if born > today:
            raise BadRequest("出生日期不能晚于今天 · The date of birth is in the future")
    except FacegateError as exc:
        current.flash_error(exc)
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
        return page(current, "kiosk/unavailable.html", 503, error=problem(exc))
    renewing = bool(current.data.get("reconsent")) and isinstance(current.data.get("person"), str)
    if "dob" not in current.data and not current.data.get("attested") and not renewing:
        return current.redirect("/kiosk/face")
    return page(
        current,
        "kiosk/consent.html",
        notice=notice.content,
        notice_hash=notice.sha256,
        minor=bool(current.data.get("minor")),
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
        current.flash_error(exc)
        return current.redirect("/kiosk/face/consent")
    assert who.deployment_id is not None
    gate = web_state(request).gate
    if text(form, "choice") == "decline":
        gate.record_refusal(who.deployment_id, channel="kiosk", actor=who.actor)
        current.flash("ok", "没关系，您可以使用其他方式。 · No problem: use the alternative.")
        return current.redirect("/kiosk")
    person = current.data.get("person")
    if current.data.get("reconsent") and isinstance(person, str):
        return renew_consent(current, who, gate, person, form)
    dob = current.data.get("dob")
    attested = bool(current.data.get("attested"))
    minor = bool(current.data.get("minor")) and not attested
    if not isinstance(dob, str) and not attested:
        return current.redirect("/kiosk/face")
    if form.get("consent") != "yes":
        current.flash(
            "error",
            "请勾选同意，或选择其他方式。 · Tick the box to consent, or choose the alternative.",
        )
        return current.redirect("/kiosk/face/consent")
    relation = text(form, "guardian_relation")
    if minor and (form.get("guardian_present") != "yes" or not relation):
        current.flash(
            "error",
            "未满14周岁须由父母或监护人同意。 · Under 14: a parent or guardian must consent.",
        )
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
        current.flash_error(exc)
        return current.redirect("/kiosk/face/consent")
    issued = access.issue_key(
        gate.ctx, "subject", subject_id=subject.id, label="kiosk", actor=who.actor
    )
    current.data["person"] = subject.id
    current.data["person_code"] = issued.token
    return current.redirect("/kiosk/face/capture")


def renew_consent(
    current: Visit, who: Principal, gate: Gate, person: str, form: FormData
) -> Response:
    """Consent again after the deployment's purpose or method changed (PIPL art. 14 para. 2):
    the same person, the same template, a consent to the current purpose and method."""
    if form.get("consent") != "yes":
        current.flash(
            "error",
            "请勾选同意，或选择其他方式。 · Tick the box to consent, or choose the alternative.",
        )
        return current.redirect("/kiosk/face/consent")
    spec = ConsentSpec(
        notice_hash=text(form, "notice_hash"),
        alternative_offered=True,
        guardian_relation=text(form, "guardian_relation"),
    )
    assert who.deployment_id is not None
    try:
        gate.record_consent(person, who.deployment_id, spec, actor=who.actor)
    except FacegateError as exc:
        current.flash_error(exc)
        return current.redirect("/kiosk/face/consent")
    current.data.pop("reconsent", None)
    current.flash("ok", "已重新同意 · Consent renewed.")
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
        liveness=setting,
        challenge=challenge,
        prompts=PROMPTS,
        **extra,
    )


@router.get("/face/capture", response_class=HTMLResponse)
def capture(request: Request) -> Response:
    current = kiosk_visit(request)
    who = device(current)
    if not current.data.get("person"):
        return current.redirect("/kiosk")
    return capture_page(current, who, "enrol")


@router.get("/face/verify", response_class=HTMLResponse)
def verify_form(request: Request) -> Response:
    current = kiosk_visit(request)
    who = device(current)
    if not current.data.get("person"):
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
        raise BadRequest("挑战已过期，请重试 · The challenge has expired: please try again")
    return [str(step) for step in issued["steps"]]


async def challenge_frames(request: Request, form: FormData) -> list[bytes]:
    frames = []
    for part in form.getlist("frame"):
        if isinstance(part, UploadFile):
            frames.append(await part.read(FRAME_LIMITS.max_bytes + 1))
    if not frames:
        raise BadRequest("没有收到摄像头画面 · No camera frames were received")
    return frames


async def photo(request: Request, form: FormData) -> bytes:
    upload = form.get("image")
    if not isinstance(upload, UploadFile):
        raise BadRequest("请拍照或上传照片 · Take or upload a photo")
    limit = api_state(request).settings.image_limits.max_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ImageTooLarge(f"the photo is over {limit} bytes", details={"max_bytes": limit})
    if not data:
        raise BadRequest("请拍照或上传照片 · Take or upload a photo")
    return data


def feedback(exc: FacegateError) -> list[tuple[str, str]]:
    """What the person should do about a photo the engine refused, both languages."""
    if isinstance(exc, FaceQualityTooLow):
        return [FEEDBACK[f] for f in exc.failed if f in FEEDBACK]
    if isinstance(exc, NoFace):
        return [FEEDBACK["no_face"]]
    if isinstance(exc, MultipleFaces):
        return [FEEDBACK["multiple_faces"]]
    if isinstance(exc, Refused) and "liveness.failed" in exc.decision.codes:
        challenge = any(r.message == CHALLENGE_MESSAGE for r in exc.decision.reasons)
        return [FEEDBACK["challenge" if challenge else "liveness"]]
    return []


async def face_step(request: Request, mode: str) -> Response:
    current = kiosk_visit(request)
    who = device(current)
    subject_id = current.data.get("person")
    if not isinstance(subject_id, str):
        return current.redirect("/kiosk")
    state = api_state(request)
    gate = state.gate
    assert who.deployment_id is not None and who.device_id is not None
    device_id, deployment_id = who.device_id, who.deployment_id
    try:
        form = await posted(request, current)
        image = await photo(request, form)
        if gate.liveness_setting(deployment_id) == "active":
            steps = issued_challenge(current, mode)
            frames = await challenge_frames(request, form)
            await face_call(
                request,
                state,
                who,
                lambda: gate.check_challenge(
                    device_id, steps, frames, action=mode, actor=who.actor, image=image
                ),
            )
        if mode == "enrol":
            await face_call(
                request,
                state,
                who,
                lambda: gate.enrol(
                    subject_id,
                    deployment_id,
                    image,
                    device_id=device_id,
                    actor=who.actor,
                    channel=channel_of(request),
                ),
            )
            current.flash("ok", "已登记 · Enrolled. Now let's check it works.")
            return current.redirect("/kiosk/face/verify")
        check_lockout(state, who, subject_id)
        result = await face_call(
            request,
            state,
            who,
            lambda: gate.verify(
                device_id, subject_id, image, actor=who.actor, channel=channel_of(request)
            ),
        )
        note_outcome(request, state, who, subject_id, result.matched)
    except FacegateError as exc:
        if isinstance(exc, Refused) and "consent.purpose_change" in exc.decision.codes:
            # The purpose or method changed since this person consented: offer to consent
            # again (the alternative stays on the start page as an equal choice).
            current.data["reconsent"] = True
            current.flash(
                "error",
                "用途或方式已变更，请阅读新的告知并重新同意，或选择其他方式。 · The purpose or "
                "method changed: read the new notice and consent again, or use the alternative.",
            )
            return current.redirect("/kiosk/face/consent")
        return capture_page(current, who, mode, 422, error=problem(exc), hints=feedback(exc))
    return page(current, "kiosk/result.html", matched=result.matched, method="face")


@router.post("/face/enrol")
async def enrol(request: Request) -> Response:
    return await face_step(request, "enrol")


@router.post("/face/verify")
async def verify(request: Request) -> Response:
    return await face_step(request, "verify")


# -- the alternative: no face at all --------------------------------------------------------------
@router.get("/alternative", response_class=HTMLResponse)
def alternative_form(request: Request) -> Response:
    current = kiosk_visit(request)
    device(current)
    return page(current, "kiosk/alternative.html")


@router.post("/alternative")
async def alternative(request: Request) -> Response:
    current = kiosk_visit(request)
    who = device(current)
    state = api_state(request)
    assert who.device_id is not None
    try:
        form = await posted(request, current)
        subject_id, pin = text(form, "member"), text(form, "pin")
        if not subject_id or not pin:
            raise BadRequest("请填写编号和密码 · Enter your number and PIN")
        check_lockout(state, who, subject_id)
        result = state.gate.verify_alternative(
            who.device_id, "pin", pin, subject_id=subject_id, actor=who.actor
        )
        note_outcome(request, state, who, subject_id, result.matched)
    except FacegateError as exc:
        current.flash_error(exc)
        return current.redirect("/kiosk/alternative")
    return page(current, "kiosk/result.html", matched=result.matched, method="pin")


# -- my data ----------------------------------------------------------------------------------
@router.get("/me", response_class=HTMLResponse)
def my_data(request: Request) -> Response:
    current = kiosk_visit(request)
    who = device(current)
    subject_id = current.data.get("person")
    report = None
    if isinstance(subject_id, str):
        try:
            report = web_state(request).gate.subject_report(
                subject_id, deployment_id=who.deployment_id, actor=who.actor
            )
        except FacegateError:
            current.data.pop("person", None)
        if report is not None and not report["held"]:
            current.data.pop("person", None)
            report = None
    return page(
        current,
        "kiosk/me.html",
        report=report,
        deployment_id=who.deployment_id,
        code=current.data.pop("person_code", None),
    )


@router.post("/me")
async def my_data_login(request: Request) -> Response:
    current = kiosk_visit(request)
    device(current)
    try:
        form = await posted(request, current)
        found = access.authenticate(web_state(request).gate.ctx, text(form, "code"))
        if found.role != "subject" or not found.subject_id:
            raise Forbidden("这不是个人码 · This is not a personal code")
    except FacegateError as exc:
        if isinstance(exc, Unauthenticated):
            try:
                failed_login(request, exc.message)
            except FacegateError as limited:
                exc = limited
        current.flash_error(exc)
        return current.redirect("/kiosk/me")
    current.data["person"] = found.subject_id
    return current.redirect("/kiosk/me")


@router.post("/me/withdraw")
async def my_withdraw(request: Request) -> Response:
    current = kiosk_visit(request)
    who = device(current)
    try:
        await posted(request, current)
        subject_id = current.data.get("person")
        assert who.deployment_id is not None
        if isinstance(subject_id, str):
            result = web_state(request).gate.withdraw_consent(
                subject_id, who.deployment_id, actor=who.actor
            )
            current.flash(
                "ok",
                f"已撤回同意，人脸数据已删除（{result.templates_destroyed}）。 · Consent "
                f"withdrawn; {result.templates_destroyed} face template(s) destroyed.",
            )
    except FacegateError as exc:
        current.flash_error(exc)
    return current.redirect("/kiosk/me")


@router.post("/me/delete")
async def my_delete(request: Request) -> Response:
    current = kiosk_visit(request)
    who = device(current)
    try:
        await posted(request, current)
        subject_id = current.data.pop("person", None)
        if isinstance(subject_id, str):
            gate = web_state(request).gate
            gate.delete_subject(subject_id, actor=who.actor)
            current.flash("ok", "您的数据已删除。 · Your data has been deleted.")
    except FacegateError as exc:
        current.flash_error(exc)
    return current.redirect("/kiosk")


@router.post("/done")
async def done(request: Request) -> Response:
    """The person leaves: the kiosk forgets them."""
    current = kiosk_visit(request)
    try:
        await posted(request, current)
    except FacegateError as exc:
        current.flash_error(exc)
        return current.redirect("/kiosk")
    for key in ("person", "person_code", "dob", "minor"):
        current.data.pop(key, None)
    return current.redirect("/kiosk")
