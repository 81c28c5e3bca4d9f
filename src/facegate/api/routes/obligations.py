"""Obligations: processing records (dpo, admin), security incidents and their notification
letters (dpo), record-filing with the cyberspace office (status, submit, accept: admin and dpo;
the filing package: dpo)."""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from facegate.api.auth import Caller
from facegate.api.roles import allow
from facegate.api.routes.assessments import HTML, PDF, allow_with, attachment, documents
from facegate.api.schemas import Id, Strict
from facegate.api.state import api_state
from facegate.documents.incident import letter_html
from facegate.documents.records import records_csv, records_pdf
from facegate.documents.render import html_to_pdf
from facegate.service import BadRequest
from facegate.service import filing as filing_service
from facegate.service.incidents import IncidentSpec, get_incident, list_incidents

router = APIRouter(tags=["obligations"])

CSV = "text/csv"
ZIP = "application/zip"
Text = Field(min_length=1, max_length=4000)
# China-time days whose bounds are still representable in UTC (the calendar's edges are not).
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9999, 12, 30)


# -- bodies -------------------------------------------------------------------------------
class RecordRowOut(BaseModel):
    day: str
    deployment_id: str = Field(description="The deployment, or * for events of every one")
    actor: str
    enrolments: int
    verifications: int
    identifications: int
    alternatives: int
    withdrawals: int
    deletions: int
    transfers: int
    refusals: int


class RecordsOut(BaseModel):
    deployment_id: str | None
    deployment: str
    controller: str
    start: str
    end: str
    generated_at: str
    pruned_before: str | None = Field(description="Records of earlier days have been pruned")
    rows: list[RecordRowOut]
    totals: dict[str, int]


class IncidentIn(Strict):
    controller_id: str = Id
    severity: Literal["minor", "major"] = Field(
        description="A major incident stales the PIPIA of every deployment it touches"
    )
    description: str = Text
    occurred_at: datetime | None = Field(
        default=None, description="ISO time with an offset; now if omitted"
    )
    categories: str = Text
    cause: str = Text
    harm: str = Text
    measures: str = Text
    remedies: str = Text
    contact: str = Text
    deployment_ids: list[str] = Field(default_factory=list, max_length=100)


class IncidentOut(BaseModel):
    id: str
    controller_id: str
    severity: str
    description: str
    occurred_at: str
    recorded_at: str
    categories: str
    cause: str
    harm: str
    measures: str
    remedies: str
    contact: str
    deployment_ids: list[str]
    pipia_staled: list[str]
    recorded_by: str
    deadlines: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Reports owed and by when (《国家网络安全事件报告管理办法》 art. 4; PIPL "
        "art. 57): initial_report, summary_report, people",
    )


class FilingOut(BaseModel):
    id: str
    controller_id: str
    kind: str = Field(description="threshold, change or cancel")
    rule: str
    status: str = Field(description="open, submitted, accepted...")
    triggered_on: str
    individuals: int
    due: str
    provisional: bool
    due_source: str
    reference: str
    changes: list[str]
    submitted_at: str | None
    accepted_at: str | None
    disposed_at: str | None
    templates_destroyed: int | None


class ControllerFilingOut(BaseModel):
    controller_id: str
    controller: str
    individuals: int = Field(description="Individuals whose face information is stored")
    threshold: int
    obligations: list[FilingOut]


class FilingStatusOut(BaseModel):
    controllers: list[ControllerFilingOut]


class SubmitIn(Strict):
    reference: str = Field(min_length=1, max_length=500, description="The office's reference")


# -- processing records -------------------------------------------------------------------
@router.get(
    "/v1/records",
    response_model=RecordsOut,
    **allow_with(
        {
            200: {
                "description": "The records as JSON, CSV or PDF",
                "content": {
                    CSV: {"schema": {"type": "string"}},
                    PDF: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        },
        "admin",
        "dpo",
        status=(400, 404),
    ),
)
def processing_records(
    request: Request,
    start: Annotated[date, Query(alias="from", description="First day (China time)")],
    end: Annotated[date, Query(alias="to", description="Last day (China time)")],
    deployment_id: Annotated[str | None, Query(description="One deployment; all if omitted")] = (
        None
    ),
    fmt: Annotated[Literal["json", "csv", "pdf"], Query(alias="format")] = "json",
    lang: Annotated[Literal["zh", "en"], Query(description="Language of the PDF")] = "zh",
) -> RecordsOut | Response:
    """Processing records per day, deployment and actor, derived from the audit log: what
    the Measures (art. 9) ask to be kept for three years."""
    if start < FIRST_DAY or end > LAST_DAY:
        raise BadRequest(f"the period must lie within {FIRST_DAY} .. {LAST_DAY}")
    data = api_state(request).gate.processing_records(deployment_id, start, end)
    stem = f"records-{deployment_id or 'all'}-{start.isoformat()}-{end.isoformat()}"
    if fmt == "csv":
        return attachment(records_csv(data).encode(), f"{CSV}; charset=utf-8", f"{stem}.csv")
    if fmt == "pdf":
        return attachment(records_pdf(data, lang), PDF, f"{stem}.{lang}.pdf")
    return RecordsOut(
        deployment_id=data.deployment_id,
        deployment=data.deployment,
        controller=data.controller,
        start=data.start.isoformat(),
        end=data.end.isoformat(),
        generated_at=data.generated_at,
        pruned_before=data.pruned_before.isoformat() if data.pruned_before else None,
        rows=[RecordRowOut(**row.to_dict()) for row in data.rows],
        totals=data.totals,
    )


# -- incidents ----------------------------------------------------------------------------
@router.post(
    "/v1/incidents",
    response_model=IncidentOut,
    status_code=201,
    **allow("dpo", status=(400, 404)),
)
def record_incident(body: IncidentIn, request: Request, who: Caller) -> IncidentOut:
    """Record a security incident with what its notifications must say (PIPL art. 57); a major
    one stales the PIPIA of every deployment it touches."""
    gate = api_state(request).gate
    values = body.model_dump(exclude={"occurred_at", "deployment_ids"})
    spec = IncidentSpec(
        **values,
        occurred_at=body.occurred_at or gate.ctx.now(),
        deployment_ids=tuple(body.deployment_ids),
    )
    return IncidentOut(**gate.record_incident(spec, actor=who.actor))


@router.get("/v1/incidents", response_model=list[IncidentOut], **allow("dpo", status=()))
def incidents(request: Request) -> list[IncidentOut]:
    """Every recorded incident, oldest first."""
    return [IncidentOut(**row) for row in list_incidents(api_state(request).gate.ctx)]


@router.get(
    "/v1/incidents/{incident_id}/letters/{audience}",
    response_class=Response,
    **allow_with(
        documents(HTML, PDF, description="The letter, as HTML or PDF"), "dpo", status=(400, 404)
    ),
)
def incident_letter(
    incident_id: str,
    audience: Literal["authority", "people"],
    request: Request,
    lang: Literal["zh", "en"] = "zh",
    fmt: Annotated[Literal["html", "pdf"], Query(alias="format")] = "html",
) -> Response:
    """The notification letter to the authority or to the people affected."""
    html = letter_html(get_incident(api_state(request).gate.ctx, incident_id), audience, lang)
    if fmt == "pdf":
        filename = f"incident-{incident_id}-{audience}.{lang}.pdf"
        return attachment(html_to_pdf(html), PDF, filename)
    return HTMLResponse(html)


# -- record-filing ------------------------------------------------------------------------
@router.get("/v1/filing", response_model=FilingStatusOut, **allow("admin", "dpo", status=()))
def filing_status(request: Request) -> FilingStatusOut:
    """Per controller: individuals whose face information is stored, the filing threshold,
    and the filing obligations with their due dates."""
    controllers = api_state(request).gate.filing_status()
    return FilingStatusOut.model_validate({"controllers": controllers})


@router.post(
    "/v1/filing/{filing_id}/submit",
    response_model=FilingOut,
    **allow("admin", "dpo", status=(400, 404, 409)),
)
def submit_filing(filing_id: str, body: SubmitIn, request: Request, who: Caller) -> FilingOut:
    """Mark a filing submitted to the office, with its reference."""
    view = api_state(request).gate.submit_filing(filing_id, body.reference, actor=who.actor)
    return FilingOut(**view)


@router.post(
    "/v1/filing/{filing_id}/accept",
    response_model=FilingOut,
    **allow("admin", "dpo", status=(404, 409)),
)
def accept_filing(filing_id: str, request: Request, who: Caller) -> FilingOut:
    """Mark a submitted filing accepted (put on record by the office)."""
    return FilingOut(**api_state(request).gate.accept_filing(filing_id, actor=who.actor))


@router.get(
    "/v1/filing/package",
    response_class=Response,
    **allow_with(
        {
            200: {
                "description": "A ZIP: the package as HTML and PDF (zh, en) and the checklist",
                "content": {ZIP: {"schema": {"type": "string", "format": "binary"}}},
            }
        },
        "dpo",
        status=(400, 404),
    ),
)
def filing_package(
    request: Request, controller_id: Annotated[str, Query(min_length=1, max_length=64)]
) -> Response:
    """The filing package of a controller, from live data (Measures art. 15)."""
    from facegate.documents.filing import write_package

    data = filing_service.package_data(api_state(request).gate.ctx, controller_id)
    with tempfile.TemporaryDirectory(prefix="facegate-filing-") as directory:
        archive = Path(write_package(data, Path(directory))["zip"]).read_bytes()
    return attachment(archive, ZIP, f"filing-{controller_id}.zip")
