"""Liveness, readiness and metrics: no key needed, nothing personal in them."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import text

from facegate.api.metrics import CONTENT_TYPE_LATEST
from facegate.api.roles import allow
from facegate.api.schemas import HealthOut, ReadyOut
from facegate.api.state import api_state
from facegate.service import NotInitialised

router = APIRouter(tags=["system"])


@router.get("/v1/health", response_model=HealthOut, **allow(status=()))
def health() -> HealthOut:
    """The process is up."""
    return HealthOut(status="ok")


@router.get("/v1/ready", response_model=ReadyOut, **allow(status=(503,)))
def ready(request: Request) -> ReadyOut:
    """The database answers and the face engine is loaded (loading it on the first call)."""
    gate = api_state(request).gate
    try:
        with gate.ctx.db.transaction(readonly=True) as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:
        raise NotInitialised("the database is unavailable") from exc
    engine = gate.ctx.engine is not None
    return ReadyOut(status="ready", database=True, engine=engine)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
    openapi_extra={"x-roles": ["public"]},
)
def metrics(request: Request) -> Response:
    """Prometheus metrics: requests, latencies, refusals by rule, matches, lockouts, alerts."""
    body = api_state(request).metrics.render()
    return Response(body, media_type=CONTENT_TYPE_LATEST)
