"""Impact assessments (PIPIA: admin and dpo draft and read, the dpo approves) and the
transparency notice (published by admin or dpo; the full notice page is public, since the
people it concerns must read it without a key, and the printed sign's QR code points to it)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, model_validator

from facegate.api.auth import Caller
from facegate.api.roles import allow
from facegate.api.schemas import ReasonOut, Strict
from facegate.api.state import api_state
from facegate.documents.notice import render_notice_html, render_sign_pdf
from facegate.documents.pipia import render_pipia_html, render_pipia_pdf
from facegate.law import Decision
from facegate.law.pipia import ASPECT_KEYS, Statement
from facegate.service import notices
from facegate.service.assessment_views import decision_view, notice_view, pipia_view
from facegate.service.assessments import pipia_document

router = APIRouter(tags=["assessments"])

HTML = "text/html"
PDF = "application/pdf"
TEXT_SCHEMA = {"type": "string"}
BINARY_SCHEMA = {"type": "string", "format": "binary"}


def documents(*media_types: str, description: str) -> dict[int | str, dict[str, Any]]:
    """The 200 answer of a route that returns a document (HTML and/or PDF), not JSON."""
    content = {t: {"schema": BINARY_SCHEMA if t == PDF else TEXT_SCHEMA} for t in media_types}
    return {200: {"description": description, "content": content}}


def allow_with(
    responses: dict[int | str, dict[str, Any]], *roles: str, status: tuple[int, ...]
) -> dict[str, Any]:
    """``allow``, with more documented answers (e.g. a 200 that is a document)."""
    options = allow(*roles, status=status)
    options["responses"] = {**responses, **options["responses"]}
    return options


def attachment(data: bytes, media_type: str, filename: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# -- bodies -------------------------------------------------------------------------------
class DecisionView(BaseModel):
    allowed: bool
    explain: str
    reasons: list[ReasonOut]


class StatementIn(Strict):
    en: str = Field(default="", max_length=4000)
    zh: str = Field(default="", max_length=4000)

    @model_validator(mode="after")
    def _some_text(self) -> StatementIn:
        if not (self.en.strip() or self.zh.strip()):
            raise ValueError("a statement needs English or Chinese text")
        return self


class PipiaPatch(Strict):
    """Replace the findings and/or the measures of one aspect of the draft (an omitted list
    stays as it is)."""

    aspect: str = Field(description=f"One of: {', '.join(ASPECT_KEYS)}")
    findings: list[StatementIn] | None = Field(default=None, max_length=100)
    measures: list[StatementIn] | None = Field(default=None, max_length=100)


class ApproveIn(Strict):
    approver: str = Field(min_length=1, max_length=500, description="Name of the approver")
    role: str = Field(default="dpo", min_length=1, max_length=200, description="Their role")


class PipiaOut(BaseModel):
    id: str
    deployment_id: str
    number: int
    status: str = Field(description="draft, approved or stale")
    snapshot_hash: str
    snapshot: dict[str, Any]
    aspects: dict[str, Any]
    created_by: str
    created_at: str | None
    approver: str
    approver_role: str
    approved_at: str | None
    stale_at: str | None
    stale_reason: str
    conclusion: dict[str, Any] | None = Field(
        default=None,
        description="Overall conclusion: risk_level (low, medium, high), may_proceed, "
        "conditions, confirmed",
    )
    unconfirmed: list[str] = Field(
        default_factory=list,
        description="Drafted statements no person has confirmed yet (approval is refused "
        "while any is left), e.g. purpose.findings.2 or conclusion",
    )
    decision: DecisionView | None = Field(
        default=None, description="Whether processing may rely on it now (pipia.before)"
    )


class NoticeOut(BaseModel):
    id: str
    deployment_id: str
    version: int
    sha256: str = Field(description="What consents bind to")
    published_by: str
    published_at: str | None
    content: dict[str, Any]
    decision: DecisionView | None = Field(
        default=None,
        description="Whether the notice still matches the deployment (notice.required_items)",
    )


class StaleConsentOut(BaseModel):
    consent_id: str
    subject_id: str
    scope: str
    notice_hash: str
    notice_version: int | None
    given_at: str | None


class StaleConsentsOut(BaseModel):
    deployment_id: str
    current_version: int
    current_hash: str
    stale: list[StaleConsentOut]


def _decision(decision: Decision) -> DecisionView:
    return DecisionView.model_validate(decision_view(decision))


# -- PIPIA --------------------------------------------------------------------------------
@router.post(
    "/v1/deployments/{deployment_id}/pipia",
    response_model=PipiaOut,
    status_code=201,
    **allow("admin", "dpo", status=(404, 409)),
)
def create_pipia(deployment_id: str, request: Request, who: Caller) -> PipiaOut:
    """A new draft assessment of the deployment's current purpose and method, pre-filled from
    its configuration and the security settings in force (409 while such a draft exists)."""
    row = api_state(request).gate.create_pipia(deployment_id, actor=who.actor)
    return PipiaOut(**pipia_view(row))


@router.get(
    "/v1/deployments/{deployment_id}/pipia",
    response_model=PipiaOut,
    **allow("admin", "dpo", status=(404,)),
)
def get_pipia(deployment_id: str, request: Request) -> PipiaOut:
    """The newest assessment, and whether processing may rely on it now."""
    report = api_state(request).gate.pipia(deployment_id)
    return PipiaOut(**pipia_view(report.assessment), decision=_decision(report.decision))


@router.patch(
    "/v1/deployments/{deployment_id}/pipia",
    response_model=PipiaOut,
    **allow("admin", "dpo", status=(400, 404, 409)),
)
def edit_pipia(deployment_id: str, body: PipiaPatch, request: Request, who: Caller) -> PipiaOut:
    """Replace the findings and/or measures of one aspect, while the assessment is a draft
    (409 once approved or stale: create a new one)."""

    def statements(items: list[StatementIn] | None) -> list[Statement] | None:
        return None if items is None else [Statement(s.en, s.zh) for s in items]

    row = api_state(request).gate.edit_pipia(
        deployment_id,
        body.aspect,
        findings=statements(body.findings),
        measures=statements(body.measures),
        actor=who.actor,
    )
    return PipiaOut(**pipia_view(row))


class ConfirmIn(Strict):
    statements: list[str] = Field(
        min_length=1,
        description="The drafted statements you have checked: purpose.findings.1, ..., conclusion",
    )


class ConclusionIn(Strict):
    risk_level: Literal["low", "medium", "high"]
    may_proceed: bool
    conditions: list[StatementIn] = Field(default_factory=list)


@router.post(
    "/v1/deployments/{deployment_id}/pipia/confirm",
    response_model=PipiaOut,
    **allow("admin", "dpo", status=(400, 404, 409)),
)
def confirm_pipia(deployment_id: str, body: ConfirmIn, request: Request, who: Caller) -> PipiaOut:
    """Confirm drafted statements one by one after checking them (a drafted statement may
    assert what only people know; the draft cannot be approved while one is unconfirmed)."""
    row = api_state(request).gate.confirm_pipia(deployment_id, body.statements, actor=who.actor)
    return PipiaOut(**pipia_view(row))


@router.put(
    "/v1/deployments/{deployment_id}/pipia/conclusion",
    response_model=PipiaOut,
    **allow("admin", "dpo", status=(400, 404, 409)),
)
def conclude_pipia(
    deployment_id: str, body: ConclusionIn, request: Request, who: Caller
) -> PipiaOut:
    """Write the report's overall conclusion: risk level, whether processing may proceed,
    and its conditions."""
    row = api_state(request).gate.conclude_pipia(
        deployment_id,
        risk_level=body.risk_level,
        may_proceed=body.may_proceed,
        conditions=[Statement(c.en, c.zh) for c in body.conditions],
        actor=who.actor,
    )
    return PipiaOut(**pipia_view(row))


@router.post(
    "/v1/deployments/{deployment_id}/pipia/approve",
    response_model=PipiaOut,
    **allow("dpo", status=(400, 404, 409, 422)),
)
def approve_pipia(deployment_id: str, body: ApproveIn, request: Request, who: Caller) -> PipiaOut:
    """Approve the draft: refused (422) unless it assesses the current purpose and method and
    every aspect has findings or measures."""
    row = api_state(request).gate.approve_pipia(
        deployment_id, approver=body.approver, role=body.role, actor=who.actor
    )
    return PipiaOut(**pipia_view(row))


@router.get(
    "/v1/deployments/{deployment_id}/pipia/report",
    response_class=Response,
    **allow_with(
        documents(HTML, PDF, description="The report, as HTML or PDF"),
        "admin",
        "dpo",
        status=(400, 404),
    ),
)
def pipia_report(
    deployment_id: str,
    request: Request,
    lang: Literal["zh", "en"] = "zh",
    fmt: Annotated[Literal["html", "pdf"], Query(alias="format")] = "html",
) -> Response:
    """The newest assessment's report (Chinese or English; HTML or PDF)."""
    report = api_state(request).gate.pipia(deployment_id)
    doc = pipia_document(report.assessment, report.deployment, report.controller)
    if fmt == "pdf":
        filename = f"pipia-{deployment_id}-{report.assessment.number}.{lang}.pdf"
        return attachment(render_pipia_pdf(doc, lang=lang), PDF, filename)
    return HTMLResponse(render_pipia_html(doc, lang=lang))


# -- notice -------------------------------------------------------------------------------
def public_notice_url(request: Request, deployment_id: str) -> str:
    """Where the full notice is served under the configured public URL (what the sign's QR
    code points to); never built from the request's Host header."""
    return notices.public_notice_url(api_state(request).gate.ctx, deployment_id)


@router.post(
    "/v1/deployments/{deployment_id}/notice",
    response_model=NoticeOut,
    **allow("admin", "dpo", status=(404, 422)),
)
def publish_notice(deployment_id: str, request: Request, who: Caller) -> NoticeOut:
    """Publish the notice as the deployment and controller now are: a new version only if its
    content changed (refused while a required item is missing)."""
    row = api_state(request).gate.publish_notice(deployment_id, actor=who.actor)
    return NoticeOut(**notice_view(row))


@router.get(
    "/v1/deployments/{deployment_id}/notice",
    response_class=Response,  # errors stay JSON in the document
    name="notice_page",
    **allow_with(documents(HTML, description="The notice page"), status=(400, 404)),
)
def notice_page(
    deployment_id: str,
    request: Request,
    lang: Literal["zh", "en", "bilingual"] = "zh",
    large: Annotated[bool, Query(description="Large type")] = False,
) -> HTMLResponse:
    """The published notice as an accessible HTML page, for the people it concerns: no key
    needed. The printed sign's QR code points here."""
    row = api_state(request).gate.notice(deployment_id).notice
    html = render_notice_html(
        row.content,
        lang=lang,
        version=row.version,
        sha256=row.sha256,
        large=large,
        url=notices.public_notice_link(api_state(request).gate.ctx, deployment_id),
    )
    return HTMLResponse(html)


@router.get(
    "/v1/deployments/{deployment_id}/notice/sign.pdf",
    response_class=Response,
    **allow_with(
        documents(PDF, description="The printable A4 sign"),
        "admin",
        "dpo",
        status=(404, 409),
    ),
)
def notice_sign(deployment_id: str, request: Request) -> Response:
    """The printable A4 sign for the place of the devices: the short form in both languages
    and a QR code to the public notice page under the configured public URL (409
    ``public_url_missing`` without one)."""
    row = api_state(request).gate.notice(deployment_id).notice
    url = public_notice_url(request, deployment_id)
    pdf = render_sign_pdf(row.content, url=url, version=row.version)
    return attachment(pdf, PDF, f"notice-sign-{deployment_id}-v{row.version}.pdf")


@router.get(
    "/v1/deployments/{deployment_id}/notice/stale-consents",
    response_model=StaleConsentsOut,
    **allow("dpo", "operator", status=(404,)),
)
def stale_consents(deployment_id: str, request: Request) -> StaleConsentsOut:
    """Standing consents given on an older notice version: these people must be told again
    (and consent again before any new enrolment)."""
    report = api_state(request).gate.stale_consents(deployment_id)
    return StaleConsentsOut.model_validate(report.to_dict())
