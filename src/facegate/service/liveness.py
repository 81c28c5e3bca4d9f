"""Presentation attacks at the Gate (Measures art. 14, art. 9): the passive liveness check on
every captured face of a deployment whose liveness is on, the active challenge of an ``active``
deployment's kiosk, the refusal, and the alert when attacks repeat at one device.

A refusal is audited like every refusal (``require``), with ``check=liveness`` (or
``challenge``) and the score or reason among its objects; the alert counts those audit events,
so it holds across processes and restarts: ``law.ATTACKS_BEFORE_ALERT`` attacks at one device
within ``law.ATTACK_WINDOW`` raise one ``presentation_attacks`` security event (the path every
intrusion alert takes).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from facegate import law
from facegate.engine.errors import EngineError
from facegate.engine.image import ImageLimits, ImageSource, load_image
from facegate.engine.liveness import LivenessResult
from facegate.engine.liveness.challenge import ACTIONS, Signals, Verdict, judge, signals
from facegate.engine.photo import PhotoRequest
from facegate.service.access import record_security_event
from facegate.service.context import GateContext, require
from facegate.service.errors import BadRequest
from facegate.service.facts import deployment_facts
from facegate.service.registry import get_deployment, get_device
from facegate.store import models as m
from facegate.store.access_models import SecurityEvent

ALERT_KIND = "presentation_attacks"
CHECKS = ("liveness", "challenge")
MAX_FRAMES = 120
FRAME_LIMITS = ImageLimits(max_bytes=512 * 1024, max_pixels=1280 * 960)


def liveness_setting(ctx: GateContext, deployment_id: str) -> str:
    """The deployment's liveness: ``off``, ``passive`` or ``active``."""
    with ctx.db.transaction(readonly=True) as session:
        return get_deployment(session, deployment_id).liveness


def photo_request(
    ctx: GateContext,
    deployment: law.DeploymentFacts,
    *,
    one_face: bool = True,
    embed_at_most: int | None = None,
) -> PhotoRequest:
    """What the engine is asked to do with a photo of this deployment: the passive check on
    every face when the deployment's liveness is on. A face is embedded only when every face
    passed it, so an attack is refused before anything is embedded."""
    threshold = ctx.liveness_threshold if law.liveness_required(deployment) else None
    return PhotoRequest(one_face=one_face, liveness=threshold, embed_at_most=embed_at_most)


def screen_presentation(
    ctx: GateContext,
    deployment: law.DeploymentFacts,
    results: Sequence[LivenessResult],
    *,
    device_id: str | None,
    actor: str,
    action: str,
    objects: dict[str, str],
) -> None:
    """Refuse (``law.Refused``, audited, counted towards the alert) when the deployment's
    liveness is on and any face of the photo (scored by the engine: ``results``) is a
    presentation attack."""
    if not law.liveness_required(deployment) or not results:
        return
    decision = law.check_presentation(deployment, (r.live for r in results))
    if not decision.allowed:
        lowest = min(r.score for r in results)
        _refuse(
            ctx, decision, device_id, actor, action,
            {**objects, "check": "liveness", "score": f"{lowest:.4f}"},
        )  # fmt: skip


def check_challenge(
    ctx: GateContext,
    device_id: str,
    steps: Sequence[str],
    frames: Sequence[bytes],
    *,
    action: str,
    actor: str,
    image: ImageSource | None = None,
) -> Verdict:
    """Judge the live frames of an ``active`` deployment's kiosk challenge; refuse
    (``liveness.failed``, audited, counted towards the alert) when the steps were not done, or
    when ``image`` (the picture to enrol or verify) shows another face than the challenge's
    last frames (someone doing the challenge for a photo sent in their place)."""
    if not steps or any(step not in ACTIONS for step in steps):
        raise BadRequest("unknown challenge steps")
    if not frames or len(frames) > MAX_FRAMES:
        raise BadRequest(f"a challenge sends between 1 and {MAX_FRAMES} frames")
    with ctx.unit(readonly=True) as session:
        device = get_device(session, device_id)
        deployment = get_deployment(session, device.deployment_id)
        facts = deployment_facts(deployment)
        objects = {"device": device_id, "deployment": deployment.id}
    if not law.challenge_required(facts):
        return Verdict(True, (), "")
    verdict = judge([_frame_signals(ctx, frame) for frame in frames], steps)
    if verdict.passed and image is not None and not _same_face(ctx, frames, image):
        verdict = Verdict(False, verdict.done, "face_changed")
    decision = law.check_challenge(facts, verdict.passed)
    if not decision.allowed:
        _refuse(
            ctx, decision, device_id, actor, action,
            {**objects, "check": "challenge", "reason": verdict.reason},
        )  # fmt: skip
    return verdict


def _same_face(ctx: GateContext, frames: Sequence[bytes], image: ImageSource) -> bool:
    """Is the face of ``image`` the person of the last challenge frame that shows a face?"""
    engine = ctx.engine
    try:
        picture = engine.faces_with_embeddings(engine.load(image))
        for frame in reversed(frames):
            seen = engine.faces_with_embeddings(load_image(frame, FRAME_LIMITS))
            if seen:
                break
        else:
            return False
    except EngineError:
        return False
    if len(picture) != 1:
        return False
    return engine.compare(picture[0].embedding, seen[0].embedding).same_person


def _frame_signals(ctx: GateContext, frame: bytes) -> Signals | None:
    """Eye openness and head turn of the largest face in one frame (None: no face, or not a
    readable image)."""
    engine = ctx.engine
    try:
        image = load_image(frame, FRAME_LIMITS)
    except EngineError:
        return None
    found = engine.locate(image)
    if not found:
        return None
    return signals(ctx.landmarks68.points(image, found[0].box))


def _refuse(
    ctx: GateContext,
    decision: law.Decision,
    device_id: str | None,
    actor: str,
    action: str,
    objects: dict[str, str],
) -> None:
    try:
        with ctx.unit():
            require(decision, actor=actor, action=action, objects=objects)
    except law.Refused:
        if device_id:
            _alert_on_repeat(ctx, device_id)
        raise


def _alert_on_repeat(ctx: GateContext, device_id: str) -> None:
    now = ctx.now()
    since = now - law.ATTACK_WINDOW
    with ctx.db.transaction(readonly=True) as session:
        refused = session.scalars(
            select(m.AuditEvent).where(m.AuditEvent.decision == "refused", m.AuditEvent.at >= since)
        )
        attacks = [
            event.at
            for event in refused
            if (ids := event.object_ids()).get("check") in CHECKS and ids.get("device") == device_id
        ]
        alerted = session.scalar(
            select(SecurityEvent.id).where(
                SecurityEvent.kind == ALERT_KIND,
                SecurityEvent.device_id == device_id,
                SecurityEvent.at >= since,
            )
        )
    if law.attack_alert_due(attacks, now, alerted=alerted is not None):
        record_security_event(
            ctx,
            ALERT_KIND,
            device_id=device_id,
            detail=f"{len(attacks)} presentation attacks (printed or on-screen faces, or failed "
            f"challenges) within {int(law.ATTACK_WINDOW.total_seconds() // 60)} minutes",
        )
