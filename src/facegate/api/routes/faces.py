"""Enrol (operator), verify and identify (device, in its own deployment only).

Photos come as multipart (``image`` part) or JSON (``image_base64``); see ``api.images``. The
device comes from the key, never from the request. Failed verifications count towards the
claimed subject's lockout; identification misses towards the device's probing alert.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from facegate import law
from facegate.api.auth import Caller, ensure_subject_scope, limit
from facegate.api.errors import LockedOut
from facegate.api.images import read_image, request_body
from facegate.api.roles import allow
from facegate.api.schemas import (
    EnrolFields,
    EnrolJson,
    EnrolmentOut,
    IdentificationOut,
    IdentifyFields,
    IdentifyJson,
    VerificationOut,
    VerifyFields,
    VerifyJson,
)
from facegate.api.state import ApiState, api_state, client_address
from facegate.engine.errors import ImageTooLarge, ImageUnreadable
from facegate.loopback import is_loopback
from facegate.service.access import Principal

router = APIRouter(tags=["faces"])
log = logging.getLogger("facegate.api")
T = TypeVar("T")


async def face_call(request: Request, state: ApiState, who: Principal, call: Callable[[], T]) -> T:
    """Run a Gate face operation in a worker thread, alone; pixel-limit refusals are alerts."""
    try:
        return await run_in_threadpool(state.with_faces, call)
    except RuntimeError as exc:
        # dlib raises RuntimeError on degenerate input (e.g. a 1x1 image reaching the CNN
        # detector): bad input, not a server fault. The engine should refuse these itself.
        log.warning("engine failure", extra={"event": "engine", "error_type": type(exc).__name__})
        raise ImageUnreadable("the face engine cannot process this image (too small?)") from None
    except ImageTooLarge as exc:
        await run_in_threadpool(
            state.alerts.raise_alert,
            "image_too_large",
            principal=who,
            source=client_address(request),
            detail=exc.message,
        )
        raise


def channel_of(request: Request) -> law.Channel:
    """How the photo came: over TLS or not, and whether both ends are this machine (a
    networked deployment's photos need one or the other)."""
    server = request.scope.get("server") or ("", None)
    return law.Channel(
        encrypted=request.url.scheme == "https",
        loopback=is_loopback(client_address(request)) and is_loopback(str(server[0])),
    )


def check_lockout(state: ApiState, who: Principal, subject_id: str) -> None:
    remaining = state.lockout.remaining((who.deployment_id, subject_id))
    if remaining:
        raise LockedOut(
            "verification of this subject is locked after repeated failures; use the "
            "alternative at the desk or retry later",
            retry_after=remaining,
        )


def note_outcome(
    request: Request, state: ApiState, who: Principal, subject_id: str, matched: bool
) -> None:
    """Count a verification's outcome towards the claimed subject's lockout."""
    key = (who.deployment_id, subject_id)
    if matched:
        state.lockout.succeed(key)
        return
    if state.lockout.fail(key):
        state.metrics.lockouts.inc()
        state.alerts.raise_alert(
            "lockout",
            principal=who,
            subject_id=subject_id,
            source=client_address(request),
            detail="verification locked after repeated failures",
        )


@router.post(
    "/v1/subjects/{subject_id}/enrolments",
    response_model=EnrolmentOut,
    status_code=201,
    **allow(
        "operator",
        status=(400, 404, 409, 413, 422),
        extra=request_body(EnrolJson, EnrolFields),
    ),
)
async def enrol(subject_id: str, request: Request, who: Caller) -> EnrolmentOut:
    """Enrol the subject's face in a deployment (needs their valid consent there). The photo
    is used in memory and never stored: only the encrypted template is."""
    state = api_state(request)
    fields, image = await read_image(request, state, who, EnrolFields)
    result = await face_call(
        request,
        state,
        who,
        lambda: state.gate.enrol(
            subject_id,
            fields.deployment_id,
            image,
            device_id=fields.device_id or None,
            actor=who.actor,
            channel=channel_of(request),
        ),
    )
    return EnrolmentOut(**result.to_dict())


@router.post(
    "/v1/enrol",
    response_model=EnrolmentOut,
    status_code=201,
    **allow(
        "device", status=(400, 404, 409, 413, 422), extra=request_body(VerifyJson, VerifyFields)
    ),
)
async def enrol_at_device(request: Request, who: Caller) -> EnrolmentOut:
    """Enrol at this device (an edge node's kiosk or desk): the subject's face, in the
    device's own deployment, with their valid consent there. The photo is used in memory and
    never stored: only the encrypted template is."""
    state = api_state(request)
    fields, image = await read_image(request, state, who, VerifyFields)
    subject_id = fields.subject_id
    await run_in_threadpool(ensure_subject_scope, request, who, subject_id)
    assert who.device_id is not None and who.deployment_id is not None
    device_id, deployment_id = who.device_id, who.deployment_id
    result = await face_call(
        request,
        state,
        who,
        lambda: state.gate.enrol(
            subject_id,
            deployment_id,
            image,
            device_id=device_id,
            actor=who.actor,
            channel=channel_of(request),
        ),
    )
    return EnrolmentOut(**result.to_dict())


@router.post(
    "/v1/verify",
    response_model=VerificationOut,
    **allow("device", status=(400, 404, 413, 422), extra=request_body(VerifyJson, VerifyFields)),
)
async def verify(request: Request, who: Caller) -> VerificationOut:
    """1:1: is the person at this device the subject they claim to be? Only subjects of the
    device's own deployment (403 otherwise); repeated failures lock the claim (429)."""
    state = api_state(request)
    fields, image = await read_image(request, state, who, VerifyFields)
    subject_id = fields.subject_id
    await run_in_threadpool(ensure_subject_scope, request, who, subject_id)
    limit(state, "subject", subject_id)
    check_lockout(state, who, subject_id)
    assert who.device_id is not None
    device_id = who.device_id
    result = await face_call(
        request,
        state,
        who,
        lambda: state.gate.verify(
            device_id, subject_id, image, actor=who.actor, channel=channel_of(request)
        ),
    )
    state.metrics.matches.labels("verify", "match" if result.matched else "no_match").inc()
    await run_in_threadpool(note_outcome, request, state, who, subject_id, result.matched)
    return VerificationOut(**result.to_dict())


@router.post(
    "/v1/identify",
    response_model=IdentificationOut,
    **allow(
        "device", status=(400, 404, 413, 422), extra=request_body(IdentifyJson, IdentifyFields)
    ),
)
async def identify(request: Request, who: Caller) -> IdentificationOut:
    """1:N: who, among the subjects enrolled in this device's deployment, is in the photo?
    Only for deployments declared for identification."""
    state = api_state(request)
    _, image = await read_image(request, state, who, IdentifyFields)
    assert who.device_id is not None
    device_id = who.device_id
    result = await face_call(
        request,
        state,
        who,
        lambda: state.gate.identify(device_id, image, actor=who.actor, channel=channel_of(request)),
    )
    state.metrics.matches.labels("identify", "match" if result.matched else "no_match").inc()
    if not result.matched and state.probes.miss(device_id):
        await run_in_threadpool(
            state.alerts.raise_alert,
            "gallery_probing",
            principal=who,
            source=client_address(request),
            detail="a burst of identification misses",
        )
    return IdentificationOut(**result.to_dict())
