"""Controllers, deployments and devices (configuration: admin; reading: dpo and operator too)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from facegate.api.auth import Caller
from facegate.api.roles import allow
from facegate.api.schemas import (
    ControllerIn,
    ControllerOut,
    DeploymentIn,
    DeploymentOut,
    DeploymentPatch,
    DeviceIn,
    DeviceOut,
    OperatorKindIn,
)
from facegate.api.state import api_state
from facegate.service import DeploymentSpec, DeviceSpec, UnknownDeployment
from facegate.service.views import controller_view, deployment_view, device_view

router = APIRouter(tags=["registry"])
NULLABLE = frozenset({"mlps_level", "target_fmr"})


@router.post("/v1/controllers", response_model=ControllerOut, status_code=201, **allow("admin"))
def register_controller(body: ControllerIn, request: Request, who: Caller) -> ControllerOut:
    """Register the controller (the organisation that processes faces)."""
    row = api_state(request).gate.register_controller(
        **body.model_dump(mode="json"), actor=who.actor
    )
    return ControllerOut(**controller_view(row))


@router.put(
    "/v1/controllers/{controller_id}/operator-kind",
    response_model=ControllerOut,
    **allow("admin", status=(400, 404, 422)),
)
def set_operator_kind(
    controller_id: str, body: OperatorKindIn, request: Request, who: Caller
) -> ControllerOut:
    """Record the controller's operator kind (critical information infrastructure, central or
    state organ, or other): incidents are reported on that kind's clock from then on."""
    row = api_state(request).gate.set_operator_kind(
        controller_id, body.operator_kind.value, actor=who.actor
    )
    return ControllerOut(**controller_view(row))


@router.post(
    "/v1/deployments",
    response_model=DeploymentOut,
    status_code=201,
    **allow("admin", status=(400, 404, 422)),
)
def create_deployment(body: DeploymentIn, request: Request, who: Caller) -> DeploymentOut:
    """Describe a deployment (one purpose of processing); refused if the law forbids it."""
    values = body.model_dump(exclude={"controller_id"})
    values["alternatives"] = tuple(values["alternatives"])
    values["english"] = {k: v for k, v in (values["english"] or {}).items() if v is not None}
    row = api_state(request).gate.create_deployment(
        body.controller_id, DeploymentSpec(**values), actor=who.actor
    )
    return DeploymentOut(**deployment_view(row))


@router.get(
    "/v1/deployments",
    response_model=list[DeploymentOut],
    **allow("admin", "dpo", "operator", status=()),
)
def list_deployments(request: Request) -> list[DeploymentOut]:
    """Every deployment, oldest first."""
    return [DeploymentOut(**deployment_view(r)) for r in api_state(request).gate.deployments()]


def _deployment_out(request: Request, deployment_id: str) -> DeploymentOut:
    for row in api_state(request).gate.deployments():
        if row.id == deployment_id:
            return DeploymentOut(**deployment_view(row))
    raise UnknownDeployment(f"no deployment {deployment_id!r}")


@router.get(
    "/v1/deployments/{deployment_id}",
    response_model=DeploymentOut,
    **allow("admin", "dpo", "operator", status=(404,)),
)
def get_deployment(deployment_id: str, request: Request) -> DeploymentOut:
    """One deployment."""
    return _deployment_out(request, deployment_id)


@router.patch(
    "/v1/deployments/{deployment_id}",
    response_model=DeploymentOut,
    **allow("admin", status=(400, 404, 422)),
)
def update_deployment(
    deployment_id: str, body: DeploymentPatch, request: Request, who: Caller
) -> DeploymentOut:
    """Change a deployment; the law checks it as it would become."""
    changes = {
        k: v
        for k, v in body.model_dump(exclude_unset=True).items()
        if v is not None or k in NULLABLE
    }
    if changes.get("english") is not None:
        changes["english"] = {k: v for k, v in changes["english"].items() if v is not None}
    row = api_state(request).gate.update_deployment(deployment_id, actor=who.actor, **changes)
    return DeploymentOut(**deployment_view(row))


@router.post(
    "/v1/deployments/{deployment_id}/activate",
    response_model=DeploymentOut,
    **allow("admin", status=(404, 422)),
)
def activate(deployment_id: str, request: Request, who: Caller) -> DeploymentOut:
    """Start processing; refused until every prerequisite is met."""
    row = api_state(request).gate.activate(deployment_id, actor=who.actor)
    return DeploymentOut(**deployment_view(row))


@router.post(
    "/v1/deployments/{deployment_id}/suspend",
    response_model=DeploymentOut,
    **allow("admin", status=(404,)),
)
def suspend(deployment_id: str, request: Request, who: Caller) -> DeploymentOut:
    """Pause processing (recognition is refused while suspended)."""
    row = api_state(request).gate.suspend(deployment_id, actor=who.actor)
    return DeploymentOut(**deployment_view(row))


@router.post(
    "/v1/deployments/{deployment_id}/stop",
    response_model=DeploymentOut,
    **allow("admin", status=(404,)),
)
def stop(deployment_id: str, request: Request, who: Caller) -> DeploymentOut:
    """End processing for good."""
    row = api_state(request).gate.stop(deployment_id, actor=who.actor)
    return DeploymentOut(**deployment_view(row))


@router.post(
    "/v1/deployments/{deployment_id}/devices",
    response_model=DeviceOut,
    status_code=201,
    **allow("admin", status=(400, 404, 422)),
)
def register_device(deployment_id: str, body: DeviceIn, request: Request, who: Caller) -> DeviceOut:
    """Register a device; refused in prohibited places or without signage where required.
    Issue its key with POST /v1/keys (role device)."""
    row = api_state(request).gate.register_device(
        deployment_id, DeviceSpec(**body.model_dump()), actor=who.actor
    )
    return DeviceOut(**device_view(row))
