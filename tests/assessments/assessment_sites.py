"""Helpers for the PIPIA and notice tests (a module name unique across the test folders)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from facegate.service import ConsentSpec, DeploymentSpec, DeviceSpec, Gate


class TestClock:
    __test__ = False

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


SPEC = DeploymentSpec(
    name="North gate",
    purpose_type="access_control",
    purpose="三号楼住户经北门通行",
    necessity="住户要求免接触通行，门卡曾被转借和遗失",
    method="identify",
    why_not_verify="住户通行时不停步声明身份",
    location_type="residential_entrance",
    retention_days=365,
    alternatives=("密码键盘", "门岗人工核验"),
    english={
        "purpose": "Let residents of Block 3 through the north gate",
        "necessity": "Residents asked for hands-free entry; cards were shared and lost",
        "why_not_verify": "Residents walk through without stopping to claim an identity",
        "alternatives": ["PIN pad", "guard desk"],
    },
)

CONSENT = ConsentSpec(alternative_offered=True)


@dataclass
class DraftSite:
    controller_id: str
    deployment_id: str
    device_id: str


def draft_site(gate: Gate) -> DraftSite:
    """A lawful deployment with a device, not yet assessed, noticed or activated."""
    controller = gate.register_controller(name="Sunrise Property Co.", contact="dpo@sunrise.cn")
    deployment = gate.create_deployment(controller.id, SPEC)
    device = gate.register_device(
        deployment.id,
        DeviceSpec(
            name="cam-1",
            location_description="Block 3, north entrance",
            location_type="residential_entrance",
        ),
    )
    return DraftSite(controller.id, deployment.id, device.id)


def assess_and_notice(gate: Gate, deployment_id: str) -> str:
    """Approve an assessment and publish the notice; the notice's hash."""
    gate.create_pipia(deployment_id)
    gate.confirm_pipia(deployment_id, gate.unconfirmed_pipia(deployment_id))
    gate.approve_pipia(deployment_id, approver="Li Wei", role="dpo")
    return gate.publish_notice(deployment_id).sha256
