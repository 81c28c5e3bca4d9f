"""The compliance officer's console: dashboard, deployment wizard, PIPIA, notice, activation,
devices, subjects' rights, processing records and the filing package.

Staff log in with their user name, password and TOTP code (or an admin, dpo or operator API
key). Each route is named after an action of ``web.permissions``, which says which roles may
use it; the pages ask the same table (``can``) before showing a link, a button or a form.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from facegate.api.routes.assessments import attachment
from facegate.documents.notice import render_sign_pdf
from facegate.documents.records import records_csv
from facegate.errors import FacegateError
from facegate.law.pipia import ASPECTS, Statement
from facegate.messages import t
from facegate.messages.errors import error_text
from facegate.messages.times import local_date
from facegate.service import ConsentSpec, DeploymentSpec, DeviceSpec, access, users, web_sessions
from facegate.service import console_views as views
from facegate.service import filing as filing_service
from facegate.service.access import STAFF_ROLES, Forbidden, Principal, Unauthenticated
from facegate.service.assessment_views import pipia_view
from facegate.service.assessments import UnknownAssessment
from facegate.service.errors import BadRequest
from facegate.service.notices import NoNotice, PublicUrlMissing, public_notice_url
from facegate.web import form_errors
from facegate.web.app import render, web_state
from facegate.web.common import Visit, failed_login, posted, text, visit
from facegate.web.permissions import allowed, nav_for, require
from facegate.web.sessions import CONSOLE_COOKIE

router = APIRouter(prefix="/console", include_in_schema=False)


class LoginRequired(Unauthenticated):
    code = "login_required"


def console_visit(request: Request) -> Visit:
    return visit(request, CONSOLE_COOKIE)


def principal(current: Visit) -> Principal | None:
    """The logged-in staff member, while their session and key are live (server-side: logging
    out or revoking the key ends it for every copy of the cookie)."""
    who = web_sessions.holder(web_state(current.request).gate.ctx, current.data.get("sid"))
    return who if who is not None and who.role in STAFF_ROLES else None


def need(who: Principal, *roles: str) -> None:
    if who.role not in roles:
        names = ", ".join(roles)
        raise Forbidden(
            f"the {who.role} role may not do this; allowed: {names}",
            key="error.forbidden.roles",
            params={"role": who.role, "allowed": names},
        )


def page(
    current: Visit, who: Principal | None, name: str, status_code: int = 200, **context: Any
) -> Response:
    role = who.role if who is not None else None
    context.update(
        who=who,
        csrf_token=current.csrf_token,
        flash=current.take_flash(),
        lang=current.lang,
        # what the reader's role may do: every link, button and form asks (no dead ends)
        can=lambda action: allowed(role, action),
        nav=nav_for(role),
        # the sign's QR code needs the address people reach the service at (never guessed)
        sign_ready=bool(web_state(current.request).gate.ctx.public_url),
    )
    return current.save(render(current.request, name, context, status_code))


def refuse(current: Visit, who: Principal, action: str) -> Response:
    """A page this role may not open (typed in, or an old bookmark: no menu leads there): the
    console's 403 page saying why (``web.app``'s error page, never raw JSON)."""
    require(who, action)  # raises Forbidden for a role the table does not list
    return current.redirect("/console")


def staff(request: Request) -> tuple[Visit, Principal]:
    current = console_visit(request)
    who = principal(current)
    if who is None:
        raise LoginRequired("log in with your API key")
    return current, who


def login_redirect(request: Request) -> Response:
    current = console_visit(request)
    current.data.pop("sid", None)
    return current.redirect("/console/login")


# -- login ------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse, name="login")
def login_form(request: Request) -> Response:
    current = console_visit(request)
    return page(current, None, "console/login.html", error=None)


@router.post("/login", name="login")
async def login(request: Request) -> Response:
    """A named user (user name, password, TOTP code), or an API key (scripts, emergencies).
    Every failure raises an intrusion alert and spends the address's allowance, as a wrong
    key does at the REST API; a user name is also locked after repeated failures."""
    current = console_visit(request)
    username = ""
    try:
        form = await posted(request, current)
        ctx = web_state(request).gate.ctx
        if text(form, "api_key"):
            who = access.authenticate(ctx, text(form, "api_key"))
        else:
            username = text(form, "username")
            who = users.authenticate_user(
                ctx, username, str(form.get("password") or ""), text(form, "otp")
            )
        if who.role not in STAFF_ROLES:
            raise Forbidden(
                "the console is for admin, dpo and operator keys", key="error.forbidden.console"
            )
    except FacegateError as exc:
        if isinstance(exc, Unauthenticated):
            try:
                failed_login(request, exc.message)
            except FacegateError as limited:
                exc = limited
        return page(
            current,
            None,
            "console/login.html",
            429 if exc.code in ("locked_out", "rate_limited") else 401,
            error=error_text(exc, current.lang, precise=False),
            username=username,
        )
    state = web_state(request)
    sid = web_sessions.start(state.gate.ctx, who, seconds=state.console.max_age)
    current.data = {"sid": sid, "lang": current.lang}  # a fresh session at login: no fixation
    return current.redirect("/console")


@router.post("/logout", name="logout")
async def logout(request: Request) -> Response:
    current = console_visit(request)
    await posted(request, current)
    web_sessions.end(web_state(request).gate.ctx, current.data.get("sid"))
    current.data = {"lang": current.lang}
    return current.redirect("/console/login")


# -- dashboard ----------------------------------------------------------------------------------
@router.get("", response_class=HTMLResponse, name="dashboard")
def dashboard(request: Request) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    gate = web_state(request).gate
    today = local_date(gate.ctx.now(), gate.ctx.time_zone)  # the day it is where people are
    return page(
        current,
        who,
        "console/dashboard.html",
        d=views.dashboard(gate),
        today=today.isoformat(),
        month_ago=(today - timedelta(days=30)).isoformat(),
    )


# -- the deployment wizard ----------------------------------------------------------------------
WIZARD_DEFAULTS: dict[str, str] = {
    "name": "",
    "purpose_type": "access_control",
    "purpose": "",
    "necessity": "",
    "method": "verify",
    "why_not_verify": "",
    "location_type": "residential_entrance",
    "retention_days": "365",
    "retention_justification": "",
    "alternatives": "",
    "transfer_mode": "on_device",
    "capture_mode": "explicit_act",
    "purpose_en": "",
    "necessity_en": "",
    "alternatives_en": "",
    "liveness": "passive",
}


WIZARD_FIELDS = (
    "controller_name",
    "controller_contact",
    "name",
    "purpose_type",
    "purpose",
    "necessity",
    "why_not_verify",
    "location_type",
    "capture_mode",
    "transfer_mode",
    "retention_days",
    "alternatives",
)
"""The wizard's fields a refusal can be printed beside."""


def wizard_page(
    current: Visit,
    who: Principal,
    values: dict[str, str],
    status_code: int = 200,
    errors: form_errors.FieldErrors | None = None,
) -> Response:
    gate = web_state(current.request).gate
    return page(
        current,
        who,
        "console/wizard.html",
        status_code,
        values=values,
        errors=errors or {},
        controllers=views.controllers(gate),
        purposes=views.purpose_choices(),
        locations=views.location_choices(),
        retention_warning=retention_warning(
            values.get("purpose_type", ""), values.get("retention_days", ""), current.lang
        ),
        retention_defaults=retention_defaults(current.lang),
    )


def retention_warning(purpose_type: str, days: str, lang: str) -> str:
    """The wizard's warning when the retention asked for is above the purpose's default, in
    the page's language; empty when it is not (or the input is not usable)."""
    if not views.retention_warning(purpose_type, days):
        return ""
    return t(
        "console.wizard.retention_warning",
        lang,
        days=int(days),
        default=views.default_retention(purpose_type),
        purpose=views.purpose_names(lang).get(purpose_type, purpose_type),
    )


def retention_defaults(lang: str) -> str:
    """Each purpose's default retention, for the hint beside the field."""
    names = views.purpose_names(lang)
    separator = "、" if lang == "zh" else ", "
    return separator.join(f"{names[key]} {days}" for key, days in views.retention_defaults())


@router.get("/deployments/new", response_class=HTMLResponse, name="deployment.create")
def wizard(request: Request) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    if not allowed(who.role, "deployment.create"):
        return refuse(current, who, "deployment.create")
    return wizard_page(current, who, dict(WIZARD_DEFAULTS))


@router.post("/deployments/new", name="deployment.create")
async def create_deployment(request: Request) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    form = await posted(request, current)
    values = {k: text(form, k, v) for k, v in WIZARD_DEFAULTS.items()}
    values.update(
        {k: text(form, k) for k in ("controller_id", "controller_name", "controller_contact")}
    )
    gate = web_state(request).gate
    required = {"name": t("console.daily.required", current.lang)}
    if not values["controller_id"]:
        required.update(controller_name=required["name"], controller_contact=required["name"])
    blank = form_errors.missing(values, required)
    if blank:  # refused beside the blank fields, before anything is sent
        current.flash("error", t("console.daily.fix_fields", current.lang))
        return wizard_page(current, who, values, 422, blank)
    try:
        require(who, "deployment.create")
        if values["location_type"] not in dict(views.location_choices()):
            raise Forbidden(
                "choose one of the offered location types", key="error.forbidden.location"
            )
        alternatives = tuple(a.strip() for a in values["alternatives"].splitlines() if a.strip())
        try:
            retention = int(values["retention_days"])
        except ValueError:
            retention = 0
        controller_id = values["controller_id"]
        if not controller_id:
            controller = gate.register_controller(
                name=values["controller_name"],
                contact=values["controller_contact"],
                actor=f"admin:{who.key_id}",
            )
            controller_id = controller.id
        spec = DeploymentSpec(
            name=values["name"],
            purpose_type=values["purpose_type"],
            purpose=values["purpose"],
            necessity=values["necessity"],
            method=values["method"],
            why_not_verify=values["why_not_verify"],
            location_type=values["location_type"],
            retention_days=retention,
            retention_justification=values["retention_justification"],
            alternatives=alternatives,
            transfer_mode=values["transfer_mode"],
            capture_mode=values["capture_mode"],
            english={  # the fields above are the Chinese; English documents use these
                "purpose": values["purpose_en"],
                "necessity": values["necessity_en"],
                "alternatives": values["alternatives_en"].splitlines(),
            },
            liveness=values["liveness"],
        )
        row = gate.create_deployment(controller_id, spec, actor=who.actor)
    except FacegateError as exc:
        # Each reason once, beside the field that fixes it; the rest at the top.
        errors = form_errors.refused_form(current, exc, values, form_errors.WIZARD, WIZARD_FIELDS)
        return wizard_page(current, who, values, 422, errors)
    current.flash("ok", t("console.flash.deployment_created", current.lang, name=row.name))
    return current.redirect(f"/console/deployments/{row.id}")


# -- one deployment: PIPIA, notice, devices, activation ------------------------------------------
@router.get("/deployments/{deployment_id}", response_class=HTMLResponse, name="deployment.view")
def deployment_page(deployment_id: str, request: Request) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    gate = web_state(request).gate
    try:
        card = views.deployment_cards(gate, only=deployment_id)[0]
    except FacegateError as exc:
        current.flash_error(exc)
        return current.redirect("/console")
    pipia: dict[str, Any] | None = None
    pipia_decision: dict[str, Any] | None = None
    try:
        report = gate.pipia(deployment_id)
        pipia = pipia_view(report.assessment)
        pipia_decision = views.decision_view(report.decision)
    except UnknownAssessment:
        pass
    notice: dict[str, Any] | None = None
    try:
        state = gate.notice(deployment_id)
        notice = {"version": state.notice.version, "sha256": state.notice.sha256}
    except NoNotice:
        pass
    return page(
        current,
        who,
        "console/deployment.html",
        card=card,
        pipia=pipia,
        pipia_decision=pipia_decision,
        aspects=ASPECTS,
        notice=notice,
        locations=views.location_choices(),
        device_token=current.data.pop("device_token", None),
        device_form=current.data.pop("device_form", None) or {"values": {}, "errors": {}},
        accuracy=gate.accuracy(deployment_id),
    )


async def act(request: Request, deployment_id: str, permission: str, action: Any) -> Response:
    """Run one POSTed action on a deployment, then back to its page with the outcome."""
    current, who = staff(request)  # LoginRequired: the login page
    try:
        form = await posted(request, current)
        require(who, permission)
        message = action(current, who, form)
        current.flash("ok", message)
    except FacegateError as exc:
        current.flash_error(exc)
    return current.redirect(f"/console/deployments/{deployment_id}")


@router.post("/deployments/{deployment_id}/pipia", name="pipia.create")
async def create_pipia(deployment_id: str, request: Request) -> Response:
    def run(current: Visit, who: Principal, form: Any) -> str:
        row = web_state(request).gate.create_pipia(deployment_id, actor=who.actor)
        return t("console.flash.pipia_drafted", current.lang, number=row.number)

    return await act(request, deployment_id, "pipia.create", run)


def aspect_title(key: str, lang: str) -> str:
    for aspect in ASPECTS:
        if aspect.key == key:
            return aspect.title_en if lang == "en" else aspect.title_zh
    return key


def _statements(raw: str) -> list[Statement]:
    """One statement a line: ``English | 中文`` (either side may be empty)."""
    items = []
    for line in raw.splitlines():
        if not line.strip():
            continue
        en, _, zh = line.partition("|")
        items.append(Statement(en.strip(), zh.strip()))
    return items


@router.post("/deployments/{deployment_id}/pipia/edit", name="pipia.edit")
async def edit_pipia(deployment_id: str, request: Request) -> Response:
    def run(current: Visit, who: Principal, form: Any) -> str:
        aspect = text(form, "aspect")
        web_state(request).gate.edit_pipia(
            deployment_id,
            aspect,
            findings=_statements(text(form, "findings")),
            measures=_statements(text(form, "measures")),
            actor=who.actor,
        )
        return t(
            "console.flash.pipia_aspect_saved",
            current.lang,
            aspect=aspect_title(aspect, current.lang),
        )

    return await act(request, deployment_id, "pipia.edit", run)


@router.post("/deployments/{deployment_id}/pipia/approve", name="pipia.approve")
async def approve_pipia(deployment_id: str, request: Request) -> Response:
    def run(current: Visit, who: Principal, form: Any) -> str:
        checked = [str(v) for v in form.getlist("confirm") if str(v).strip()]
        if checked:  # the statements the DPO ticked as checked, one by one
            web_state(request).gate.confirm_pipia(deployment_id, checked, actor=who.actor)
        row = web_state(request).gate.approve_pipia(
            deployment_id,
            approver=text(form, "approver"),
            role=text(form, "approver_role", "dpo") or "dpo",
            actor=who.actor,
        )
        return t(
            "console.flash.pipia_approved", current.lang, number=row.number, approver=row.approver
        )

    return await act(request, deployment_id, "pipia.approve", run)


@router.post("/deployments/{deployment_id}/notice", name="notice.publish")
async def publish_notice(deployment_id: str, request: Request) -> Response:
    def run(current: Visit, who: Principal, form: Any) -> str:
        row = web_state(request).gate.publish_notice(deployment_id, actor=who.actor)
        return t("console.flash.notice_published", current.lang, version=row.version)

    return await act(request, deployment_id, "notice.publish", run)


@router.post("/deployments/{deployment_id}/activate", name="deployment.activate")
async def activate(deployment_id: str, request: Request) -> Response:
    def run(current: Visit, who: Principal, form: Any) -> str:
        web_state(request).gate.activate(deployment_id, actor=who.actor)
        return t("console.flash.activated", current.lang)

    return await act(request, deployment_id, "deployment.activate", run)


DEVICE_FIELDS = (
    "name",
    "location_description",
    "location_type",
    "public_place",
    "signage_confirmed",
)


@router.post("/deployments/{deployment_id}/devices", name="device.register")
async def register_device(deployment_id: str, request: Request) -> Response:
    """Register a device. A refusal comes back beside the fields that would fix it, with every
    field as it was typed (kept in the session across the redirect)."""
    current, who = staff(request)  # LoginRequired: the login page
    form = await posted(request, current)
    values = {k: text(form, k) for k in DEVICE_FIELDS}
    required = {k: t("console.daily.required", current.lang) for k in DEVICE_FIELDS[:2]}
    errors = form_errors.missing(values, required)
    if errors:
        current.flash("error", t("console.daily.fix_fields", current.lang))
    else:
        try:
            require(who, "device.register")
            if values["location_type"] not in dict(views.location_choices()):
                raise Forbidden(
                    "choose one of the offered location types", key="error.forbidden.location"
                )
            gate = web_state(request).gate
            device = gate.register_device(
                deployment_id,
                DeviceSpec(
                    name=values["name"],
                    location_description=values["location_description"],
                    location_type=values["location_type"],
                    public_place=values["public_place"] == "on",
                    signage_confirmed=values["signage_confirmed"] == "on",
                ),
                actor=who.actor,
            )
            issued = access.issue_key(
                gate.ctx, "device", device_id=device.id, label="kiosk", actor=who.actor
            )
        except FacegateError as exc:
            errors = form_errors.refused_form(
                current, exc, values, form_errors.DEVICE, DEVICE_FIELDS
            )
        else:
            current.data["device_token"] = issued.token
            current.flash(
                "ok", t("console.flash.device_registered", current.lang, name=device.name)
            )
            return current.redirect(f"/console/deployments/{deployment_id}")
    current.data["device_form"] = {"values": values, "errors": errors}
    return current.redirect(f"/console/deployments/{deployment_id}")


@router.get("/deployments/{deployment_id}/notice", response_class=HTMLResponse, name="notice.view")
def notice_preview(deployment_id: str, request: Request) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    try:
        row = web_state(request).gate.notice(deployment_id).notice
    except FacegateError as exc:
        current.flash_error(exc)
        return current.redirect(f"/console/deployments/{deployment_id}")
    return page(
        current,
        who,
        "console/notice.html",
        deployment_id=deployment_id,
        content=row.content,
        version=row.version,
        sha256=row.sha256,
    )


@router.get("/deployments/{deployment_id}/sign.pdf", name="notice.sign")
def notice_sign(deployment_id: str, request: Request) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    if not allowed(who.role, "notice.sign"):
        return refuse(current, who, "notice.sign")
    row = web_state(request).gate.notice(deployment_id).notice
    try:
        url = public_notice_url(web_state(request).gate.ctx, deployment_id)
    except PublicUrlMissing as exc:  # never a link built from the request's Host header
        current.flash_error(exc)
        return current.redirect(f"/console/deployments/{deployment_id}")
    pdf = render_sign_pdf(row.content, url=url, version=row.version)
    return attachment(pdf, "application/pdf", f"notice-sign-{deployment_id}-v{row.version}.pdf")


# -- subjects and their rights ------------------------------------------------------------------
@router.get("/subjects", response_class=HTMLResponse, name="subjects.view")
def subjects(request: Request, subject_id: str = "") -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    if not allowed(who.role, "subjects.view"):
        return refuse(current, who, "subjects.view")
    report = None
    error = None
    if subject_id.strip():
        try:
            report = web_state(request).gate.subject_report(subject_id.strip(), actor=who.actor)
        except FacegateError as exc:
            error = error_text(exc, current.lang, precise=False)
    return page(
        current,
        who,
        "console/subjects.html",
        subject_id=subject_id.strip(),
        report=report,
        error=error,
    )


@router.post("/subjects/{subject_id}/withdraw", name="subjects.withdraw")
async def withdraw(subject_id: str, request: Request) -> Response:
    current, who = staff(request)
    try:
        form = await posted(request, current)
        require(who, "subjects.withdraw")
        result = web_state(request).gate.withdraw_consent(
            subject_id, text(form, "deployment_id"), actor=who.actor
        )
        current.flash(
            "ok",
            t("console.flash.consent_withdrawn", current.lang, count=result.templates_destroyed),
        )
    except FacegateError as exc:
        current.flash_error(exc)
    return current.redirect(f"/console/subjects?subject_id={subject_id}")


@router.post("/subjects/{subject_id}/reconsent", name="subjects.reconsent")
async def reconsent(subject_id: str, request: Request) -> Response:
    """Staff-assisted renewal of a consent after the deployment's purpose or method changed
    (PIPL14 para. 2; NDSR22): the person has read the current notice and was offered the
    alternative; staff record the consent in the form the deployment requires. Neither box is
    ever pre-ticked, so an unticked one is refused by the law as any other consent would be."""
    current, who = staff(request)
    try:
        form = await posted(request, current)
        require(who, "subjects.reconsent")
        if text(form, "notice_read") != "yes":
            raise BadRequest(
                "the person must have read the current notice before consenting",
                key="error.bad_request.notice_unread",
            )
        web_state(request).gate.record_consent(
            subject_id,
            text(form, "deployment_id"),
            ConsentSpec(
                given_by=text(form, "given_by", "self"),
                guardian_relation=text(form, "guardian_relation"),
                form=text(form, "form", "written"),
                alternative_offered=text(form, "alternative_offered") == "yes",
            ),
            actor=who.actor,
        )
        current.flash("ok", t("console.flash.consent_renewed", current.lang))
    except FacegateError as exc:
        current.flash_error(exc)
    return current.redirect(f"/console/subjects?subject_id={subject_id}")


@router.post("/subjects/{subject_id}/delete", name="subjects.delete")
async def delete(subject_id: str, request: Request) -> Response:
    current, who = staff(request)
    try:
        await posted(request, current)
        require(who, "subjects.delete")
        gate = web_state(request).gate
        counts = gate.delete_subject(subject_id, actor=who.actor)
        current.flash("ok", t("console.flash.subject_erased", current.lang, counts=counts))
    except FacegateError as exc:
        current.flash_error(exc)
    return current.redirect("/console/subjects")


# -- records and filing -------------------------------------------------------------------------
@router.get("/records.csv", name="records.export")
def records(request: Request, start: date, end: date, deployment_id: str = "") -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    if not allowed(who.role, "records.export"):
        return refuse(current, who, "records.export")
    data = web_state(request).gate.processing_records(deployment_id or None, start, end)
    name = f"records-{deployment_id or 'all'}-{start.isoformat()}-{end.isoformat()}.csv"
    return attachment(records_csv(data).encode(), "text/csv; charset=utf-8", name)


@router.get("/filing/{controller_id}/package.zip", name="filing.package")
def filing_package(controller_id: str, request: Request) -> Response:
    from facegate.documents.filing import write_package

    current, who = staff(request)  # LoginRequired: the login page
    if not allowed(who.role, "filing.package"):
        return refuse(current, who, "filing.package")
    data = filing_service.package_data(web_state(request).gate.ctx, controller_id)
    with tempfile.TemporaryDirectory(prefix="facegate-filing-") as directory:
        archive = Path(write_package(data, Path(directory))["zip"]).read_bytes()
    return attachment(archive, "application/zip", f"filing-{controller_id}.zip")
