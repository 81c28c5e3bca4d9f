"""Presentation attacks at the Gate (Measures art. 14, art. 9): the passive liveness check on
every captured face of a deployment whose liveness is on, the refusal, and the alert when
attacks repeat at one device.

A refusal is audited like every refusal (``require``), with ``check=liveness`` and the score
among its objects; the alert counts those audit events, so it holds across processes and
restarts: ``law.ATTACKS_BEFORE_ALERT`` attacks at one device within ``law.ATTACK_WINDOW`` raise
one ``presentation_attacks`` security event (the path every intrusion alert takes).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from facegate import law
from facegate.engine.liveness import LivenessResult
from facegate.engine.types import Box, RGBImage
from facegate.service.access import record_security_event
from facegate.service.context import GateContext, require
from facegate.store import models as m
from facegate.store.access_models import SecurityEvent

ALERT_KIND = "presentation_attacks"
CHECK = "liveness"


def screen_presentation(
    ctx: GateContext,
    deployment: law.DeploymentFacts,
    image: RGBImage,
    boxes: Sequence[Box],
    *,
    device_id: str | None,
    actor: str,
    action: str,
    objects: dict[str, str],
) -> list[LivenessResult]:
    """Score each face when the deployment's liveness is on; refuse (``law.Refused``, audited)
    when any is a presentation attack. The results (empty when liveness is off)."""
    if not law.liveness_required(deployment) or not boxes:
        return []
    results = ctx.liveness.check_many(image, boxes)
    decision = law.check_presentation(deployment, (r.live for r in results))
    if decision.allowed:
        return results
    lowest = min(r.score for r in results)
    refusal_objects = {**objects, "check": CHECK, "score": f"{lowest:.4f}"}
    try:
        with ctx.unit():
            require(decision, actor=actor, action=action, objects=refusal_objects)
    except law.Refused:
        if device_id:
            _alert_on_repeat(ctx, device_id)
        raise
    return results  # not reached: the decision refuses


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
            if (ids := event.object_ids()).get("check") == CHECK and ids.get("device") == device_id
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
            detail=f"{len(attacks)} presentation attacks (printed or on-screen faces) within "
            f"{int(law.ATTACK_WINDOW.total_seconds() // 60)} minutes",
        )
