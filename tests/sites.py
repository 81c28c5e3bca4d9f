"""Helpers for Gate tests: a controllable clock, a lawful deployment, a ready site."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from facegate.service import ConsentSpec, DeploymentSpec, DeviceSpec, Gate


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


ENGLISH: dict[str, object] = {
    "purpose": "Let residents of Block 3 through the north gate",
    "necessity": "Residents asked for hands-free entry; cards were shared and lost",
    "why_not_verify": "Residents walk through without stopping to claim an identity",
    "alternatives": ["PIN pad", "guard desk"],
}


def gate_spec(**changes: object) -> DeploymentSpec:
    """A lawful residential-compound gate: 1:N with a reason, a PIN pad as the alternative."""
    values: dict[str, object] = {
        "name": "North gate",
        "purpose_type": "access_control",
        "purpose": "三号楼住户经北门通行",
        "necessity": "住户要求免接触通行，门卡曾被转借和遗失",
        "method": "identify",
        "why_not_verify": "住户通行时不停步声明身份",
        "location_type": "residential_entrance",
        "retention_days": 365,
        "alternatives": ("密码键盘", "门岗人工核验"),
        # Chinese in the main fields (chinese_required); English beside it.
        "english": dict(ENGLISH),
    }
    values.update(changes)
    if "english" not in changes:
        # The English beside a field describes the default Chinese: drop it for a field the
        # caller replaced (a deployment whose alternative is a card has no English "PIN pad").
        english = {k: v for k, v in ENGLISH.items() if k not in changes}
        values["english"] = english
    return DeploymentSpec(**values)  # type: ignore[arg-type]


# No notice hash: the Gate binds the consent to the notice version currently published.
CONSENT = ConsentSpec(alternative_offered=True)


@dataclass
class Site:
    controller_id: str
    deployment_id: str
    device_id: str
    notice_hash: str = ""


def prepare_activation(gate: Gate, deployment_id: str) -> str:
    """What activation needs beyond the deployment itself: an approved impact assessment
    (pipia.before) and a published notice (notice.required_items). The notice's hash."""
    gate.create_pipia(deployment_id)
    # The reviewer has checked each drafted statement (approval is refused before).
    gate.confirm_pipia(deployment_id, gate.unconfirmed_pipia(deployment_id))
    gate.approve_pipia(deployment_id, approver="Li Wei", role="dpo")
    return gate.publish_notice(deployment_id).sha256


def make_site(gate: Gate, name: str = "North gate", **changes: object) -> Site:
    controller = gate.register_controller(name="Sunrise Property Co.", contact="dpo@sunrise.cn")
    deployment = gate.create_deployment(controller.id, gate_spec(name=name, **changes))
    device = gate.register_device(
        deployment.id,
        DeviceSpec(
            name=f"{name} camera",
            location_description="Block 3, north entrance",
            location_type="residential_entrance",
        ),
    )
    notice_hash = prepare_activation(gate, deployment.id)
    gate.activate(deployment.id)
    return Site(controller.id, deployment.id, device.id, notice_hash)
