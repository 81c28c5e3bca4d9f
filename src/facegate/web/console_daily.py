"""What operators look at every day, in the console: the access-event log (counts per device
and Beijing day, with charts drawn on the server), the audit-log viewer (filters, pages, the
chain's state) and the PIPIA read in the page with every aspect open, or downloaded.

Reads only, through ``service``: ``access_events``, ``audit_views`` and the PIPIA report's
own labels and values (``documents.pipia.pipia_values``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from facegate import law
from facegate.api.routes.assessments import attachment
from facegate.documents.pipia import HTML_LANG, pipia_values, render_pipia_html, render_pipia_pdf
from facegate.errors import FacegateError
from facegate.law.pipia import ASPECTS
from facegate.messages import t
from facegate.service import access_events, audit_views
from facegate.service.assessments import pipia_document
from facegate.service.deadlines import Deadline
from facegate.service.errors import BadRequest
from facegate.web.app import web_state
from facegate.web.charts import Bar, column_chart, row_chart
from facegate.web.common import Visit
from facegate.web.console import need, page, staff
from facegate.web.permissions import ACTIONS

router = APIRouter(prefix="/console", include_in_schema=False)

EVENT_ROLES = ACTIONS["events.view"]
"""Who reads the access-event log: counts only, nobody's identity (the front desk too)."""
AUDIT_ROLES = ACTIONS["audit.view"]
"""Who reads the audit log (as ``GET /v1/audit/verify``): it names subjects' pseudonymous ids."""
PIPIA_ROLES = ACTIONS["pipia.read"]
"""Who reads the impact assessment (as ``GET /v1/deployments/{id}/pipia``)."""
MENU_ROLES = {"events": EVENT_ROLES, "audit": AUDIT_ROLES, "pipia": PIPIA_ROLES}
"""The roles that see each daily view's link (menus show only what the role may open)."""
DEFAULT_DAYS = 14
LABEL_CHARS = 24  # a device's name in the per-device chart, cut with an ellipsis


def parse_day(raw: str, field: str, errors: dict[str, str], lang: str) -> date | None:
    """An ISO date from a filter field; an unreadable one is noted against its field."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[field] = t("console.daily.bad_date", lang)
        return None


def refuse_role(current: Visit, exc: FacegateError) -> Response:
    """A page this role may not read: back to the dashboard, saying why (never a raw 403)."""
    current.flash_error(exc)
    return current.redirect("/console")


# -- the access-event log -----------------------------------------------------------------------
def _short(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"


def series(lang: str) -> list[tuple[str, str]]:
    return [(key, t(f"console.events.outcome.{key}", lang)) for key in access_events.OUTCOMES]


def event_charts(log: access_events.AccessLog, lang: str) -> dict[str, Any]:
    names = series(lang)
    days = column_chart(
        "chart-days",
        [Bar(d.day.strftime("%m-%d"), d.counts, d.day.isoformat()) for d in log.days],
        names,
        title=t("console.events.chart_days", lang),
        description=t(
            "console.events.chart_days_desc",
            lang,
            start=log.start.isoformat(),
            end=log.end.isoformat(),
            **log.totals,
        ),
    )
    per_device: dict[str, dict[str, int]] = {}
    labels: dict[str, tuple[str, str]] = {}
    for row in log.rows:
        counts = per_device.setdefault(row.device_id, dict.fromkeys(access_events.OUTCOMES, 0))
        for key, value in row.counts.items():
            counts[key] += value
        labels[row.device_id] = (row.device, row.deployment)
    devices = row_chart(
        "chart-devices",
        [
            Bar(_short(labels[i][0]), counts, f"{labels[i][0]} · {labels[i][1]}")
            for i, counts in per_device.items()
        ],
        names,
        title=t("console.events.chart_devices", lang),
        description=t("console.events.chart_devices_desc", lang, devices=len(per_device)),
    )
    return {"days": days, "devices": devices if per_device else None}


@router.get("/events", response_class=HTMLResponse, name="events.view")
def events(request: Request, device: str = "", start: str = "", end: str = "") -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    try:
        need(who, *EVENT_ROLES)
    except FacegateError as exc:
        return refuse_role(current, exc)
    gate = web_state(request).gate
    lang = current.lang
    today = law.china_date(gate.ctx.now())
    errors: dict[str, str] = {}
    first = parse_day(start, "start", errors, lang) or today - timedelta(days=DEFAULT_DAYS - 1)
    last = parse_day(end, "end", errors, lang) or today
    values = {"device": device, "start": start or first.isoformat(), "end": end or last.isoformat()}
    log = None
    if not errors:
        if last < first:
            errors["end"] = t("console.daily.end_before_start", lang)
        elif (last - first).days + 1 > access_events.MAX_DAYS:
            errors["start"] = t("console.events.too_long", lang, days=access_events.MAX_DAYS)
    if not errors:
        try:
            log = access_events.access_log(gate.ctx, first, last, device_id=device)
        except BadRequest:  # a device that is not (or no longer) registered
            errors["device"] = t("console.events.unknown_device", lang)
    choices = log.devices if log is not None else access_events.devices(gate.ctx)
    return page(
        current,
        who,
        "console/events.html",
        422 if errors else 200,
        values=values,
        errors=errors,
        log=log,
        devices=choices,
        outcomes=access_events.OUTCOMES,
        charts=event_charts(log, lang) if log is not None else None,
    )


# -- the audit-log viewer -----------------------------------------------------------------------
@router.get("/audit", response_class=HTMLResponse, name="audit.view")
def audit(
    request: Request,
    action: str = "",
    actor: str = "",
    deployment: str = "",
    start: str = "",
    end: str = "",
    page_number: int = 1,
    verify: bool = False,
) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    try:
        need(who, *AUDIT_ROLES)
    except FacegateError as exc:
        return refuse_role(current, exc)
    lang = current.lang
    errors: dict[str, str] = {}
    first = parse_day(start, "start", errors, lang)
    last = parse_day(end, "end", errors, lang)
    if first is not None and last is not None and last < first:
        errors["end"] = t("console.daily.end_before_start", lang)
    values = {
        "action": action.strip(),
        "actor": actor.strip(),
        "deployment": deployment.strip(),
        "start": start.strip(),
        "end": end.strip(),
    }
    query = audit_views.AuditQuery(
        action=values["action"],
        actor=values["actor"],
        start=first,
        end=last,
        deployment_id=values["deployment"],
        page=max(1, page_number),
    )
    # With a field in error the chain's state and the choices still show; the rows do not (the
    # filter asked for cannot apply).
    result = audit_views.audit_page(web_state(request).gate.ctx, query, fresh=verify)
    kept = {k: v for k, v in values.items() if v}

    def page_url(number: int) -> str:
        return "/console/audit?" + urlencode({**kept, "page_number": number})

    return page(
        current,
        who,
        "console/audit.html",
        422 if errors else 200,
        values=values,
        errors=errors,
        result=result,
        families=audit_views.families(result.actions),
        previous_url=page_url(result.page - 1) if result.page > 1 and not errors else "",
        next_url=page_url(result.page + 1) if result.page < result.pages and not errors else "",
        verify_url="/console/audit?" + urlencode({**kept, "verify": 1}),
    )


# -- the PIPIA, read in the console -------------------------------------------------------------
@router.get("/deployments/{deployment_id}/pipia", response_class=HTMLResponse, name="pipia.read")
def pipia_read(deployment_id: str, request: Request) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    gate = web_state(request).gate
    lang = current.lang
    try:
        need(who, *PIPIA_ROLES)
        report = gate.pipia(deployment_id)
    except FacegateError as exc:
        current.flash_error(exc)
        return current.redirect(f"/console/deployments/{deployment_id}")
    doc = pipia_document(report.assessment, report.deployment, report.controller)
    labels, values = pipia_values(doc, lang=lang)
    return page(
        current,
        who,
        "console/pipia.html",
        deployment_id=deployment_id,
        doc=doc,
        r=labels,
        d=values,
        aspect_keys=[a.key for a in ASPECTS],
        report_lang=HTML_LANG[lang],
        in_force=report.decision.allowed,
    )


@router.get("/deployments/{deployment_id}/pipia.{fmt}", name="pipia.read")
def pipia_download(deployment_id: str, fmt: str, request: Request, lang: str = "zh") -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    try:
        need(who, *PIPIA_ROLES)
        if fmt not in ("html", "pdf") or lang not in HTML_LANG:
            raise BadRequest("the report is offered as html or pdf, in zh or en")
        report = web_state(request).gate.pipia(deployment_id)
    except FacegateError as exc:
        current.flash_error(exc)
        return current.redirect(f"/console/deployments/{deployment_id}")
    doc = pipia_document(report.assessment, report.deployment, report.controller)
    name = f"pipia-{deployment_id}-{doc.number}.{lang}.{fmt}"
    if fmt == "pdf":
        return attachment(render_pipia_pdf(doc, lang=lang), "application/pdf", name)
    html = render_pipia_html(doc, lang=lang).encode()
    return attachment(html, "text/html; charset=utf-8", name)


# -- deadlines on the dashboard -----------------------------------------------------------------
def time_left(deadline: Deadline, lang: str = "zh") -> str:
    """How long is left (or how late it is), as the dashboard says it: working days (and
    calendar days) for a filing, hours (days and hours past two days) for an incident's
    report; "at once" for what was due the moment the incident was discovered."""
    if deadline.kind == "incident.people":
        return t("console.deadlines.at_once", lang)
    if deadline.seconds_left is None:
        return t("console.deadlines.after_handling", lang)
    late = deadline.overdue
    seconds = abs(deadline.seconds_left)
    if deadline.is_filing and deadline.working_days_left is not None:
        days = int(seconds // 86400)
        working = abs(deadline.working_days_left)
        key = "overdue_working_days" if late else "working_days_left"
        return t(f"console.deadlines.{key}", lang, working=working, days=days)
    hours = int(seconds // 3600)
    if hours >= 48:
        key = "overdue_days_hours" if late else "days_hours_left"
        return t(f"console.deadlines.{key}", lang, days=hours // 24, hours=hours % 24)
    minutes = int(seconds // 60) % 60
    key = "overdue_hours" if late else "hours_left"
    return t(f"console.deadlines.{key}", lang, hours=hours, minutes=minutes)
