"""The control plane's side of the sync with its edge nodes (device keys only).

An edge node pulls its deployment's events (``GET /v1/sync/down?after=N``) and pushes its own
(``POST /v1/sync/up``). Events hold facts, never a face: see ``facegate.service.sync``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from facegate import law
from facegate.api.auth import Caller
from facegate.api.roles import allow
from facegate.api.state import api_state
from facegate.service import Conflict
from facegate.service.access_events import REPORT_DAYS, parse_report
from facegate.service.sync import BATCH, SyncRejected, UpBatch, WireEvent

router = APIRouter(tags=["sync"])


class NotControlPlane(Conflict):
    code = "not_control_plane"


class SyncEventBody(BaseModel):
    seq: int = Field(ge=1)
    kind: str
    entity: str
    row_id: str
    payload: dict[str, Any]


class SyncDownOut(BaseModel):
    device_id: str
    deployment_id: str
    after: int = Field(description="The position the edge asked from (and so acknowledged)")
    head: int = Field(description="The last sequence number of the deployment's log")
    events: list[SyncEventBody]
    lookup_key: str = Field(
        default="",
        description="The deployment's credential lookup key (hex), to find card and QR holders",
    )


class AccessCountBody(BaseModel):
    """One Beijing day of the device's attempts, counted in the edge's audit log."""

    day: date
    match: int = Field(default=0, ge=0)
    no_match: int = Field(default=0, ge=0)
    alternative: int = Field(default=0, ge=0)
    refused: int = Field(default=0, ge=0)


class SyncUpIn(BaseModel):
    events: list[SyncEventBody] = Field(default_factory=list, max_length=BATCH)
    audit_seq: int = Field(default=0, ge=0)
    audit_hash: str = Field(default="", max_length=64)
    offline_limit_hours: float = Field(default=24.0, gt=0, le=24 * 365)
    down_applied_seq: int = Field(default=0, ge=0)
    access_counts: list[AccessCountBody] = Field(
        default_factory=list,
        max_length=REPORT_DAYS,
        description="The device's attempts per Beijing day (match, no match, alternative, "
        "refused): counts only, for the console's access-event log",
    )


class SyncUpOut(BaseModel):
    acknowledged: int = Field(description="The edge's log is held up to here")
    applied: int
    skipped: int


def _control_plane(request: Request) -> None:
    if api_state(request).gate.ctx.site != law.SiteRole.CONTROL:
        raise NotControlPlane('this facegate is not a control plane (role = "control")')


@router.get("/v1/sync/down", response_model=SyncDownOut, **allow("device", status=(400, 404, 409)))
def sync_down(
    request: Request,
    who: Caller,
    after: int = Query(0, ge=0, description="The last sequence number the edge has applied"),
    limit: int = Query(BATCH, ge=1, le=BATCH),
) -> SyncDownOut:
    """The facts this device's edge node needs, after ``after``, in order."""
    _control_plane(request)
    assert who.device_id is not None
    batch = api_state(request).gate.sync_down_batch(who.device_id, after, limit=limit)
    return SyncDownOut(**batch.to_dict())


@router.post("/v1/sync/up", response_model=SyncUpOut, **allow("device", status=(400, 404, 409)))
async def sync_up(body: SyncUpIn, request: Request, who: Caller) -> SyncUpOut:
    """What happened at this device's edge node: consents and refusals at its kiosk, the
    templates it holds (ids and expiry only), its alerts, its audit head. A replay changes
    nothing; a gap answers 409 ``sync_gap`` with the expected sequence number."""
    _control_plane(request)
    assert who.device_id is not None
    device_id = who.device_id
    try:
        counts = parse_report(c.model_dump(mode="json") for c in body.access_counts)
    except ValueError as exc:
        raise SyncRejected(f"malformed access counts: {exc}") from None
    batch = UpBatch(
        events=tuple(WireEvent.from_dict(e.model_dump()) for e in body.events),
        audit_seq=body.audit_seq,
        audit_hash=body.audit_hash,
        offline_limit_hours=body.offline_limit_hours,
        down_applied_seq=body.down_applied_seq,
        access_counts=counts,
    )
    gate = api_state(request).gate
    result = await run_in_threadpool(gate.sync_apply_up, device_id, batch, actor=who.actor)
    return SyncUpOut(acknowledged=result.position, applied=result.applied, skipped=result.skipped)
