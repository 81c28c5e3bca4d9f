"""Presentation attacks (Measures art. 14, art. 9): a printed or on-screen face is refused.

The controller must take the necessary security measures (M14) and its impact assessment must
show that the risk of misuse is controlled (M9). A face that the liveness check scores as an
attack is therefore neither enrolled nor recognised, and repeated attacks at one device are a
security alert. The check itself is the engine's; here is what follows from its verdict.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from facegate.law.decision import Decision, Reason
from facegate.law.facts import DeploymentFacts, Liveness

PRESENTATION_MESSAGE = (
    "the face presented is not a live person (a printed or on-screen photo); "
    "present yourself to the camera, or use the alternative"
)
CHALLENGE_MESSAGE = (
    "the liveness challenge (blink, turn the head) was not completed in front of the "
    "camera; try again, or use the alternative"
)

ATTACKS_BEFORE_ALERT = 3
"""This many presentation attacks at one device ..."""
ATTACK_WINDOW = timedelta(minutes=5)
"""... within this time raise a security alert."""


def liveness_required(deployment: DeploymentFacts) -> bool:
    """Does every captured face of this deployment pass the passive check?"""
    return deployment.liveness != Liveness.OFF


def challenge_required(deployment: DeploymentFacts) -> bool:
    """Does the kiosk also ask for the active challenge (blink, turn) over live frames?"""
    return deployment.liveness == Liveness.ACTIVE


def check_presentation(deployment: DeploymentFacts, live: Iterable[bool]) -> Decision:
    """Refuse when liveness is on and any face in the capture is not live (M14, M9)."""
    if not liveness_required(deployment) or all(live):
        return Decision.allow()
    return Decision.refuse(Reason.of("liveness.failed", PRESENTATION_MESSAGE))


def check_challenge(deployment: DeploymentFacts, passed: bool) -> Decision:
    """Refuse when the deployment asks for the active challenge and it was not completed."""
    if not challenge_required(deployment) or passed:
        return Decision.allow()
    return Decision.refuse(Reason.of("liveness.failed", CHALLENGE_MESSAGE))


def attack_alert_due(attacks: Iterable[datetime], now: datetime, *, alerted: bool) -> bool:
    """Raise an alert when ``ATTACKS_BEFORE_ALERT`` attacks at one device (``attacks``: their
    times, this one included) fall within ``ATTACK_WINDOW`` of ``now``, unless one was already
    raised for this device within the window (``alerted``)."""
    recent = [at for at in attacks if now - ATTACK_WINDOW <= at <= now]
    return len(recent) >= ATTACKS_BEFORE_ALERT and not alerted
