"""Staff and machines in the console: named users (admin creates them; a new user's TOTP
secret is shown once with its QR code), API keys for devices and scripts (create with a role
and device, shown once; revoke; last used), and one's own account (change password).

Every route is named after its action in ``web.permissions``; nothing here queries the store.
"""

from __future__ import annotations

from typing import Any

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from facegate.errors import FacegateError
from facegate.service import access, listings, users
from facegate.service.access import STAFF_ROLES, Principal
from facegate.service.errors import BadRequest
from facegate.web.app import web_state
from facegate.web.common import Visit, posted, text
from facegate.web.console import page, staff
from facegate.web.permissions import require

router = APIRouter(prefix="/console", include_in_schema=False)

KEY_ROLES = ("device", "operator", "dpo", "admin")


def _qr(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(scale=4, border=2, omitsize=True)


# -- users ---------------------------------------------------------------------------------------
def _users_page(
    current: Visit, who: Principal, values: dict[str, str] | None = None, status: int = 200
) -> Response:
    ctx = web_state(current.request).gate.ctx
    secret = current.data.pop("new_secret", None)
    return page(
        current,
        who,
        "console/users.html",
        status,
        users=users.list_users(ctx),
        roles=STAFF_ROLES,
        values=values or {"username": "", "display_name": "", "role": "operator"},
        secret=secret if isinstance(secret, dict) else None,
        secret_qr=_qr(str(secret["otpauth_uri"])) if isinstance(secret, dict) else "",
    )


@router.get("/users", response_class=HTMLResponse, name="users.view")
def users_page(request: Request) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    require(who, "users.view")
    return _users_page(current, who)


@router.post("/users", name="users.add")
async def add_user(request: Request) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    form = await posted(request, current)
    values = {k: text(form, k) for k in ("username", "display_name", "role")}
    try:
        require(who, "users.add")
        new = users.add_user(
            web_state(request).gate.ctx,
            values["username"],
            values["role"],
            str(form.get("password") or ""),
            display_name=values["display_name"],
            actor=who.actor,
        )
    except FacegateError as exc:
        current.flash_error(exc)
        return _users_page(current, who, values, 422)
    current.data["new_secret"] = new.to_dict()
    current.flash_key("ok", "console.users.added", username=new.username)
    return current.redirect("/console/users")


async def _change(request: Request, user_id: str, run: Any) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    try:
        form = await posted(request, current)
        require(who, "users.change")
        run(current, who, form)
    except FacegateError as exc:
        current.flash_error(exc)
    return current.redirect("/console/users")


@router.post("/users/{user_id}/role", name="users.change")
async def user_role(user_id: str, request: Request) -> Response:
    def run(current: Visit, who: Principal, form: Any) -> None:
        view = users.set_role(
            web_state(request).gate.ctx, user_id, text(form, "role"), actor=who.actor
        )
        current.flash_key("ok", "console.users.role_set", username=view.username)

    return await _change(request, user_id, run)


@router.post("/users/{user_id}/disable", name="users.change")
async def user_disable(user_id: str, request: Request) -> Response:
    def run(current: Visit, who: Principal, form: Any) -> None:
        view = users.disable_user(web_state(request).gate.ctx, user_id, actor=who.actor)
        current.flash_key("ok", "console.users.disabled", username=view.username)

    return await _change(request, user_id, run)


@router.post("/users/{user_id}/enable", name="users.change")
async def user_enable(user_id: str, request: Request) -> Response:
    def run(current: Visit, who: Principal, form: Any) -> None:
        view = users.enable_user(web_state(request).gate.ctx, user_id, actor=who.actor)
        current.flash_key("ok", "console.users.enabled", username=view.username)

    return await _change(request, user_id, run)


@router.post("/users/{user_id}/password", name="users.change")
async def user_password(user_id: str, request: Request) -> Response:
    def run(current: Visit, who: Principal, form: Any) -> None:
        users.set_password(
            web_state(request).gate.ctx,
            user_id,
            str(form.get("password") or ""),
            actor=who.actor,
        )
        current.flash_key("ok", "console.users.password_set")

    return await _change(request, user_id, run)


@router.post("/users/{user_id}/totp", name="users.change")
async def user_totp(user_id: str, request: Request) -> Response:
    def run(current: Visit, who: Principal, form: Any) -> None:
        new = users.reset_totp(web_state(request).gate.ctx, user_id, actor=who.actor)
        current.data["new_secret"] = new.to_dict()
        current.flash_key("ok", "console.users.totp_reset", username=new.username)

    return await _change(request, user_id, run)


# -- API keys ------------------------------------------------------------------------------------
def _keys_page(
    current: Visit, who: Principal, values: dict[str, str] | None = None, status: int = 200
) -> Response:
    ctx = web_state(current.request).gate.ctx
    token = current.data.pop("new_key", None)
    keys = [access.key_view(k) for k in access.list_keys(ctx)]
    keys = [k for k in keys if k["role"] != "subject"]  # a person's own keys are theirs
    keys.sort(key=lambda k: (k["revoked_at"] is not None, k["created_at"] or ""), reverse=False)
    return page(
        current,
        who,
        "console/keys.html",
        status,
        keys=keys,
        roles=KEY_ROLES,
        devices=listings.devices(ctx),
        values=values or {"role": "device", "device_id": "", "label": ""},
        new_key=token if isinstance(token, dict) else None,
    )


@router.get("/keys", response_class=HTMLResponse, name="keys.view")
def keys_page(request: Request) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    require(who, "keys.view")
    return _keys_page(current, who)


@router.post("/keys", name="keys.create")
async def create_key(request: Request) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    form = await posted(request, current)
    values = {k: text(form, k) for k in ("role", "device_id", "label")}
    try:
        require(who, "keys.create")
        role = values["role"]
        issued = access.issue_key(
            web_state(request).gate.ctx,
            role,
            device_id=values["device_id"] if role == "device" else None,
            label=values["label"],
            actor=who.actor,
        )
    except FacegateError as exc:
        current.flash_error(exc)
        return _keys_page(current, who, values, 422)
    current.data["new_key"] = {"id": issued.id, "role": issued.role, "token": issued.token}
    return current.redirect("/console/keys")


@router.post("/keys/{key_id}/revoke", name="keys.revoke")
async def revoke_key(key_id: str, request: Request) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    try:
        await posted(request, current)
        require(who, "keys.revoke")
        access.revoke_key(web_state(request).gate.ctx, key_id, actor=who.actor)
        current.flash_key("ok", "console.keys.revoked", key_id=key_id)
    except FacegateError as exc:
        current.flash_error(exc)
    return current.redirect("/console/keys")


# -- one's own account ---------------------------------------------------------------------------
@router.get("/account", response_class=HTMLResponse, name="account")
def account(request: Request) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    require(who, "account")
    me = users.get_user(web_state(request).gate.ctx, who.user_id) if who.user_id else None
    return page(current, who, "console/account.html", me=me)


@router.post("/account/password", name="account.password")
async def change_password(request: Request) -> Response:
    current, who = staff(request)  # LoginRequired: the login page
    try:
        form = await posted(request, current)
        require(who, "account.password")
        if not who.user_id:
            raise access.Forbidden("a key has no password", key="error.forbidden.key_password")
        if str(form.get("new_password") or "") != str(form.get("new_password_again") or ""):
            raise BadRequest(
                "the two new passwords differ", key="error.bad_request.passwords_differ"
            )
        users.change_own_password(
            web_state(request).gate.ctx,
            who.user_id,
            str(form.get("current_password") or ""),
            str(form.get("new_password") or ""),
            actor=who.actor,
        )
    except FacegateError as exc:
        current.flash_error(exc)
        return current.redirect("/console/account")
    # the password change ended every session of the user, this one too: log in again
    current.data = {"lang": current.data.get("lang", "zh")}
    current.flash_key("ok", "console.users.password_changed")
    return current.redirect("/console/login")
