"""Checks on the state of the system rather than on the law: is the deployment running, does
the device belong to it. Their reasons carry no articles."""

from __future__ import annotations

from facegate.law.decision import Reason
from facegate.law.facts import DeploymentFacts, DeploymentStatus, DeviceFacts


def deployment_active(deployment: DeploymentFacts) -> list[Reason]:
    if deployment.status == DeploymentStatus.ACTIVE:
        return []
    return [
        Reason.of(
            "deployment.inactive",
            f"deployment {deployment.id} is {deployment.status}, not active; "
            "activate it before recognising faces",
        )
    ]


def device_belongs(device: DeviceFacts, deployment: DeploymentFacts) -> list[Reason]:
    if device.deployment_id == deployment.id:
        return []
    return [
        Reason.of(
            "device.wrong_deployment",
            f"device {device.id} belongs to deployment {device.deployment_id}, "
            f"not to deployment {deployment.id}",
        )
    ]


def device_serves(device: DeviceFacts, deployment: DeploymentFacts) -> list[Reason]:
    """The device belongs to the deployment and is switched on."""
    reasons = device_belongs(device, deployment)
    if not device.active:
        reasons.append(Reason.of("device.inactive", f"device {device.id} is deactivated"))
    return reasons
