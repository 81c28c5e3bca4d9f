"""The front desk in the console: find a person, add or correct their record, record their
consent on their behalf in the form the law requires, and hand them a one-time enrolment code
(shown once, with a QR code and a printable slip) that a kiosk redeems to enrol their face.

Every route is named after its action in ``web.permissions``; nothing here queries the store.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from facegate.errors import FacegateError
from facegate.service import ConsentSpec
from facegate.service import console_views as views
from facegate.service.enrolment_codes import (
    DEFAULT_VALID_FOR,
    issue_enrolment_code,
    revoke_enrolment_code,
)
from facegate.service.errors import BadRequest
from facegate.service.people_views import person_detail
from facegate.service.persons import (
    KINDS,
    PersonSpec,
    add_person,
    controller_of,
    find_people,
    get_person,
    list_people,
    update_person,
)
from facegate.web.app import problem, web_state
from facegate.web.common import Visit, posted, text
from facegate.web.console import page, staff
from facegate.web.permissions import require

router = APIRouter(prefix="/console/people", include_in_schema=False)

PERSON_FIELDS = ("name", "kind", "unit", "card_number", "contact", "date_of_birth", "age")
VALID_HOURS = (1, 4, 24, 72, 168)


def _spec(values: dict[str, str]) -> PersonSpec:
    dob: date | None = None
    if values.get("age") == "child":
        try:
            dob = datetime.strptime(values.get("date_of_birth", ""), "%Y-%m-%d").date()
        except ValueError as exc:
            raise BadRequest(
                "give the child's date of birth as YYYY-MM-DD",
                key="error.bad_request.person_dob",
            ) from exc
    return PersonSpec(
        name=values.get("name", ""),
        kind=values.get("kind", "resident"),
        unit=values.get("unit", ""),
        card_number=values.get("card_number", ""),
        contact=values.get("contact", ""),
        date_of_birth=dob,
        age_attested=values.get("age") == "adult",
    )


def _values(form: Any) -> dict[str, str]:
    return {k: text(form, k) for k in PERSON_FIELDS}


def _controllers(request: Request) -> list[dict[str, str]]:
    return views.controllers(web_state(request).gate)


# -- finding people ---------------------------------------------------------------------------
@router.get("", response_class=HTMLResponse, name="people.view")
def people(
    request: Request,
    controller_id: str = "",
    name: str = "",
    card_number: str = "",
    offset: int = 0,
) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    require(who, "people.view")
    ctx = web_state(request).gate.ctx
    controllers = _controllers(request)
    if not controller_id and controllers:
        controller_id = controllers[0]["id"]
    found = None
    listing = None
    error = None
    try:
        if controller_id and (name.strip() or card_number.strip()):
            found = find_people(ctx, controller_id, name=name, card_number=card_number)
        elif controller_id:
            listing = list_people(ctx, controller_id, offset=offset)
    except FacegateError as exc:
        current.flash_error(exc)
        error = True
    return page(
        current,
        who,
        "console/people.html",
        controllers=controllers,
        controller_id=controller_id,
        search_name=name,
        card_number=card_number,
        found=found,
        listing=listing,
        error=error,
    )


# -- adding a person --------------------------------------------------------------------------
def _new_form(
    current: Visit, who: Any, values: dict[str, str], controller_id: str, status: int = 200
) -> Response:
    return page(
        current,
        who,
        "console/person_new.html",
        status,
        values=values,
        kinds=KINDS,
        controllers=_controllers(current.request),
        controller_id=controller_id,
    )


@router.get("/new", response_class=HTMLResponse, name="people.add")
def new_person(request: Request, controller_id: str = "") -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    require(who, "people.add")
    values = {k: "" for k in PERSON_FIELDS} | {"kind": "resident", "age": "adult"}
    return _new_form(current, who, values, controller_id)


@router.post("/new", name="people.add")
async def create_person(request: Request) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    form = await posted(request, current)
    values = _values(form)
    controller_id = text(form, "controller_id")
    try:
        require(who, "people.add")
        person = add_person(
            web_state(request).gate.ctx, controller_id, _spec(values), actor=who.actor
        )
    except FacegateError as exc:
        current.flash_error(exc)
        return _new_form(current, who, values, controller_id, 422)
    current.flash_key("ok", "console.people.added", name=person.name)
    return current.redirect(f"/console/people/{person.id}")


# -- one person -------------------------------------------------------------------------------
def _person_page(
    current: Visit,
    who: Any,
    person_id: str,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    ctx = web_state(current.request).gate.ctx
    detail = person_detail(ctx, person_id)
    person = detail.person
    if values is None:
        values = {
            "name": person.name,
            "kind": person.kind,
            "unit": person.unit,
            "card_number": person.card_number,
            "contact": person.contact,
            "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else "",
            "age": "child" if person.date_of_birth else "adult",
        }
    code_error = current.data.pop("code_error", None)
    return page(
        current,
        who,
        "console/person.html",
        status,
        code_error=code_error if isinstance(code_error, dict) else None,
        detail=detail,
        values=values,
        kinds=KINDS,
        valid_hours=VALID_HOURS,
        default_hours=int(DEFAULT_VALID_FOR.total_seconds() // 3600),
    )


@router.get("/{person_id}", response_class=HTMLResponse, name="people.view")
def person(person_id: str, request: Request) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    require(who, "people.view")
    try:
        return _person_page(current, who, person_id)
    except FacegateError as exc:
        current.flash_error(exc)
        return current.redirect("/console/people")


@router.post("/{person_id}", name="people.edit")
async def edit_person(person_id: str, request: Request) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    form = await posted(request, current)
    values = _values(form)
    try:
        require(who, "people.edit")
        update_person(web_state(request).gate.ctx, person_id, _spec(values), actor=who.actor)
    except FacegateError as exc:
        current.flash_error(exc)
        return _person_page(current, who, person_id, values, 422)
    current.flash_key("ok", "console.people.saved")
    return current.redirect(f"/console/people/{person_id}")


@router.post("/{person_id}/code", name="people.code")
async def issue_code(person_id: str, request: Request) -> Response:
    """Record the consent the person gives at the desk (never pre-ticked: both boxes come
    unticked and an unticked one is refused by the law, as any consent would be), and issue
    the one-time code. The code is kept in the session only until its page shows it once."""
    current, who = staff(request)  # LoginRequired: the login page
    form = None
    try:
        form = await posted(request, current)
        require(who, "people.code")
        deployment_id = text(form, "deployment_id")
        consent: ConsentSpec | None = None
        if text(form, "consent") == "record":
            if text(form, "notice_read") != "yes":
                raise BadRequest(
                    "the person must have read the current notice before consenting",
                    key="error.bad_request.notice_unread",
                )
            consent = ConsentSpec(
                given_by=text(form, "given_by", "self"),
                guardian_relation=text(form, "guardian_relation"),
                form=text(form, "form", "written"),
                alternative_offered=text(form, "alternative_offered") == "yes",
            )
        try:
            hours = int(text(form, "valid_hours", "24"))
        except ValueError:
            hours = 24
        if hours not in VALID_HOURS:
            hours = 24
        issued = issue_enrolment_code(
            web_state(request).gate.ctx,
            person_id,
            deployment_id,
            consent=consent,
            valid_for=timedelta(hours=hours),
            actor=who.actor,
        )
    except FacegateError as exc:
        # the refusal once, inside the form it answers; the choices made there kept (the two
        # consent boxes come back unticked: they are never ticked for the person)
        current.data["code_error"] = {
            "deployment_id": text(form, "deployment_id") if form is not None else "",
            "problem": problem(exc, current.lang),
            "given_by": text(form, "given_by") if form is not None else "",
            "guardian_relation": text(form, "guardian_relation") if form is not None else "",
            "form": text(form, "form") if form is not None else "",
        }
        return current.redirect(f"/console/people/{person_id}")
    current.data["enrolment_code"] = {
        "person_id": person_id,
        "code": issued.code,
        "deployment_id": issued.deployment_id,
        "expires_at": issued.expires_at.isoformat(),
    }
    return current.redirect(f"/console/people/{person_id}/code")


@router.get("/{person_id}/code", response_class=HTMLResponse, name="people.code")
def show_code(person_id: str, request: Request) -> Response:
    """The code, once: on screen with its QR code, and as a slip to print (the page prints
    as the slip alone). Reloading shows it no more."""
    current, who = staff(request)  # LoginRequired: the login page
    require(who, "people.code")
    held = current.data.pop("enrolment_code", None)
    if not isinstance(held, dict) or held.get("person_id") != person_id:
        current.flash_key("warn", "console.people.code_gone")
        return current.redirect(f"/console/people/{person_id}")
    detail = person_detail(web_state(request).gate.ctx, person_id)
    qr = segno.make(str(held["code"]), error="m").svg_inline(scale=6, border=2, omitsize=True)
    return page(
        current,
        who,
        "console/person_code.html",
        detail=detail,
        code=held["code"],
        deployment_name=detail.deployment_name(str(held["deployment_id"])),
        expires_at=datetime.fromisoformat(str(held["expires_at"])),
        qr=qr,
    )


@router.post("/{person_id}/codes/{code_id}/revoke", name="people.code_revoke")
async def revoke_code(person_id: str, code_id: str, request: Request) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    try:
        await posted(request, current)
        require(who, "people.code_revoke")
        revoke_enrolment_code(web_state(request).gate.ctx, code_id, actor=who.actor)
        current.flash_key("ok", "console.people.code_revoked")
    except FacegateError as exc:
        current.flash_error(exc)
    return current.redirect(f"/console/people/{person_id}")


@router.post("/{person_id}/withdraw", name="people.withdraw")
async def withdraw(person_id: str, request: Request) -> Response:
    """The person withdraws their consent at the desk: their template there is destroyed at
    once (M6, PIPL15, PIPL47)."""
    current, who = staff(request)  # LoginRequired: the login page
    try:
        form = await posted(request, current)
        require(who, "people.withdraw")
        gate = web_state(request).gate
        subject_id = get_person(gate.ctx, person_id).subject_id
        result = gate.withdraw_consent(subject_id, text(form, "deployment_id"), actor=who.actor)
        current.flash_key("ok", "console.people.withdrawn", count=result.templates_destroyed)
    except FacegateError as exc:
        current.flash_error(exc)
    return current.redirect(f"/console/people/{person_id}")


@router.post("/{person_id}/erase", name="people.erase")
async def erase(person_id: str, request: Request) -> Response:
    """Erase the person (PIPL47): faces, identity, record, consents, codes; the audit trail
    keeps only the pseudonym."""
    current, who = staff(request)  # LoginRequired: the login page
    try:
        form = await posted(request, current)
        require(who, "people.erase")
        if text(form, "confirm") != "yes":
            raise BadRequest(
                "tick the box to confirm the erasure", key="error.bad_request.confirm_erase"
            )
        gate = web_state(request).gate
        person = get_person(gate.ctx, person_id)
        controller_id = controller_of(gate.ctx, person_id)
        gate.delete_subject(person.subject_id, actor=who.actor)
    except FacegateError as exc:
        current.flash_error(exc)
        return current.redirect(f"/console/people/{person_id}")
    current.flash_key("ok", "console.people.erased")
    return current.redirect(f"/console/people?controller_id={controller_id}")
