"""People and users in the console, in a real browser (Debian's Chromium, Playwright), with axe.

- Named users log in with user name, password and a TOTP code; each role sees a menu of what it
  may do, and a crawl of every page it can reach finds no link that answers 403 and no button or
  form whose action its role may not perform (no dead ends: issue 15).
- The front desk finds a person, records their consent on their behalf, and issues a one-time
  enrolment code shown once with its QR code and a printable slip.
- The admin creates a user (TOTP secret shown once) and an API key (shown once), and revokes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyotp
import pytest
from axe_check import assert_accessible
from fastapi.routing import APIRoute
from starlette.routing import Match
from web_support import screenshot_dir, serve

from facegate.api import create_app
from facegate.service import ConsentSpec, Gate
from facegate.service.enrolment_codes import issue_enrolment_code
from facegate.service.persons import PersonSpec, add_person
from facegate.service.users import add_user
from facegate.web.permissions import ACTIONS, allowed
from sites import gate_spec, make_site

pytestmark = pytest.mark.slow

TIMEOUT = 15_000
DESK = {"width": 1280, "height": 900}
PASSWORD = "front desk passphrase"
ROLES = ("admin", "dpo", "operator")


@pytest.fixture(scope="module")
def world(web_gate: Gate) -> dict[str, Any]:
    """An active deployment with a person, their consent and a code; a draft deployment with a
    drafted assessment (so that its approve and edit forms show); one user per role."""
    site = make_site(web_gate)
    draft = web_gate.create_deployment(site.controller_id, gate_spec(name="East gate"))
    web_gate.create_pipia(draft.id)
    person = add_person(
        web_gate.ctx,
        site.controller_id,
        PersonSpec(name="张伟", unit="3-1201", card_number="A1-0042", age_attested=True),
        actor="test",
    )
    issue_enrolment_code(
        web_gate.ctx,
        person.id,
        site.deployment_id,
        consent=ConsentSpec(alternative_offered=True, form="written"),
        actor="test",
    )
    secrets = {
        role: add_user(web_gate.ctx, f"{role}-user", role, PASSWORD, actor="test").totp_secret
        for role in ROLES
    }
    return {"site": site, "person": person, "draft": draft.id, "secrets": secrets}


@pytest.fixture(scope="module")
def app_and_url(web_gate: Gate, world: dict[str, Any]) -> Iterator[tuple[Any, str]]:
    app = create_app(web_gate)
    with serve(app) as url:
        yield app, url


def log_in(page: Any, base_url: str, username: str, secret: str) -> None:
    page.goto(f"{base_url}/console/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#otp").fill(pyotp.TOTP(secret).now())
    page.get_by_test_id("user-login").locator("button[type=submit]").click()
    page.wait_for_url(f"{base_url}/console")


def api_routes(routes: Any) -> Iterator[APIRoute]:
    """Every route of the app, through the routers it includes."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def route_for(app: Any, method: str, path: str) -> APIRoute | None:
    scope = {"type": "http", "method": method, "path": path}
    for route in api_routes(app.routes):
        if route.matches(scope)[0] == Match.FULL:
            return route
    return None


def test_every_console_route_is_named_after_an_action_with_roles(
    app_and_url: tuple[Any, str],
) -> None:
    app, _ = app_and_url
    console = [r for r in api_routes(app.routes) if r.path.startswith("/console")]
    assert len(console) > 20
    missing = sorted(
        {f"{sorted(r.methods)} {r.path}: {r.name}" for r in console}
        - {f"{sorted(r.methods)} {r.path}: {r.name}" for r in console if r.name in ACTIONS}
    )
    assert not missing, missing


def crawl(page: Any, app: Any, base_url: str, role: str) -> set[str]:
    """Visit every console page the role reaches from the dashboard: each link answers without
    403 (or any error), and each form on each page posts to a route the role may use."""
    todo, seen = ["/console"], set()
    while todo:
        url = todo.pop(0)
        if url in seen:
            continue
        seen.add(url)
        answer = page.request.get(base_url + url, max_redirects=0)
        assert answer.status < 400, (role, url, answer.status)
        assert answer.status not in (301, 302, 303, 307), (role, url, answer.headers)
        downloaded = "attachment" in answer.headers.get("content-disposition", "")
        if downloaded or "text/html" not in answer.headers.get("content-type", ""):
            continue  # a document to download (PDF, CSV, ZIP, HTML): reached, and allowed
        page.goto(base_url + url)
        flash = page.locator("[data-testid=flash].error")
        assert flash.count() == 0, (role, url, flash.all_inner_texts())
        for href in page.eval_on_selector_all(
            "a[href]", "els => els.map(e => e.getAttribute('href'))"
        ):
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith("/console"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            route = route_for(app, "GET", parts.path)
            assert route is not None, (role, url, href)
            assert allowed(role, route.name), (role, url, href, route.name)
            todo.append(target)
        forms = page.eval_on_selector_all(
            "form",
            "els => els.map(f => [(f.getAttribute('method') || 'get').toUpperCase(),"
            " f.getAttribute('action') || location.pathname])",
        )
        for method, action in forms:
            path = urlsplit(action).path
            if path.startswith("/console/logout"):
                continue
            route = route_for(app, method, path)
            assert route is not None, (role, url, method, action)
            assert allowed(role, route.name), (role, url, method, action, route.name)
    return seen


def test_each_role_sees_only_what_it_may_use(
    browser: Any, app_and_url: tuple[Any, str], world: dict[str, Any]
) -> None:
    app, base_url = app_and_url
    reached: dict[str, set[str]] = {}
    for role in ROLES:
        context = browser.new_context(viewport=DESK)
        context.set_default_timeout(TIMEOUT)
        page = context.new_page()
        log_in(page, base_url, f"{role}-user", world["secrets"][role])
        menu = (
            page.get_by_role("navigation")
            .locator("a")
            .evaluate_all("els => els.map(e => e.getAttribute('href'))")
        )
        assert "/console" in menu
        reached[role] = crawl(page, app, base_url, role)
        context.close()
    person_page = f"/console/people/{world['person'].id}"
    # the front desk reaches people, not users or keys; the admin users and keys, not people
    assert person_page in reached["operator"] and "/console/users" not in reached["operator"]
    assert "/console/users" in reached["admin"] and "/console/keys" in reached["admin"]
    assert "/console/people" not in reached["admin"]
    assert "/console/subjects" in reached["dpo"] and "/console/subjects" not in reached["admin"]
    assert f"/console/deployments/{world['draft']}" in reached["dpo"]


@pytest.mark.both_databases  # a representative walk on PostgreSQL too
def test_the_front_desk_issues_a_code_shown_once_with_its_qr(
    browser: Any, app_and_url: tuple[Any, str], world: dict[str, Any], tmp_path: Path
) -> None:
    _, base_url = app_and_url
    shots = screenshot_dir(tmp_path)
    desk = add_user(_gate(app_and_url), "desk-2", "operator", PASSWORD, actor="test")
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    page.goto(f"{base_url}/console/login")
    assert_accessible(page, "login")
    page.screenshot(path=str(shots / "console-login.png"))
    log_in(page, base_url, "desk-2", desk.totp_secret)

    page.get_by_role("navigation").get_by_role("link", name="人员").click()
    page.get_by_test_id("people-table").wait_for()
    assert_accessible(page, "people list")
    page.get_by_role("link", name="登记新人员").click()
    page.get_by_label("姓名").fill("李娜")
    page.get_by_label("房号或部门").fill("5-0902")
    page.get_by_label("卡号").fill("C-5509")
    page.get_by_role("button", name="登记", exact=True).click()
    page.get_by_test_id("person-name").wait_for()
    assert page.get_by_test_id("person-name").inner_text() == "李娜"

    # found again by exact card number, however typed
    page.goto(f"{base_url}/console/people?card_number=c 5509")
    assert page.get_by_test_id("person-row").count() == 1
    page.screenshot(path=str(shots / "console-people.png"), full_page=True)
    page.get_by_test_id("person-row").get_by_role("link").click()
    page.get_by_test_id("person-name").wait_for()

    form = page.get_by_test_id(f"code-form-{world['site'].deployment_id}")
    # neither consent box is ticked in advance; without them the law refuses, the form stays
    assert not form.get_by_label("本人已阅读现行告知书").is_checked()
    assert not form.get_by_label("已告知本人可选择其他方式（如刷卡、密码或人工核验）").is_checked()
    form.get_by_role("button", name="记录同意并签发注册码").click()
    # refused once, inside the form it answers (not at the top of the page too)
    refusal = page.get_by_test_id(f"code-form-{world['site'].deployment_id}")
    assert "阅读" in refusal.get_by_test_id("code-error").inner_text()
    assert page.get_by_test_id("flash").count() == 0
    assert_accessible(page, "person page with a refusal")
    page.screenshot(path=str(shots / "console-person.png"), full_page=True)

    form = page.get_by_test_id(f"code-form-{world['site'].deployment_id}")
    form.get_by_label("本人已阅读现行告知书").check()
    form.get_by_label("已告知本人可选择其他方式（如刷卡、密码或人工核验）").check()
    form.get_by_role("button", name="记录同意并签发注册码").click()
    code = page.get_by_test_id("enrolment-code").inner_text().strip()
    assert len(code) == 9 and code[4] == "-"
    assert page.locator("[data-testid=code-slip] svg").count() == 1  # the QR code
    assert_accessible(page, "enrolment code slip")
    page.screenshot(path=str(shots / "console-code-slip.png"), full_page=True)
    page.emulate_media(media="print")
    assert page.get_by_role("navigation").is_hidden()  # the slip prints alone
    page.emulate_media(media="screen")

    page.reload()  # shown once: back on the person's page, the code listed but never shown
    assert code not in page.content()
    assert page.get_by_test_id("code-row").count() == 1
    assert_accessible(page, "person with a consent and a code")
    context.close()


def _gate(app_and_url: tuple[Any, str]) -> Any:
    app, _ = app_and_url
    return app.state.web.gate.ctx


@pytest.mark.both_databases  # a representative walk on PostgreSQL too
def test_the_admin_manages_users_and_keys(
    browser: Any, app_and_url: tuple[Any, str], world: dict[str, Any], tmp_path: Path
) -> None:
    _, base_url = app_and_url
    shots = screenshot_dir(tmp_path)
    admin = add_user(_gate(app_and_url), "admin-2", "admin", PASSWORD, actor="test")
    context = browser.new_context(viewport=DESK, locale="zh-CN")
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    log_in(page, base_url, "admin-2", admin.totp_secret)

    page.get_by_role("navigation").get_by_role("link", name="用户").click()
    page.get_by_test_id("users-table").wait_for()
    page.locator("#u-name").fill("wang.fang")
    page.locator("#u-display").fill("王芳")
    page.locator("#u-role").select_option("dpo")
    page.locator("#u-password").fill("another passphrase")
    page.get_by_test_id("user-form").locator("button").click()
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    assert len(secret) >= 16
    assert page.locator("[data-testid=new-secret] svg").count() == 1
    assert_accessible(page, "users with a new secret")
    page.screenshot(path=str(shots / "console-users.png"), full_page=True)
    page.reload()
    assert page.get_by_test_id("new-secret").count() == 0  # shown once

    page.get_by_role("navigation").get_by_role("link", name="API 密钥").click()
    page.locator("#k-role").select_option("device")
    page.locator("#k-device").select_option(world["site"].device_id)
    page.locator("#k-label").fill("north gate kiosk")
    page.get_by_test_id("key-form").locator("button").click()
    token = page.get_by_test_id("new-key").inner_text().strip()
    assert token.startswith("fgk_")
    assert_accessible(page, "keys with a new key")
    page.screenshot(path=str(shots / "console-keys.png"), full_page=True)
    key_id = token.split("_")[1]
    row = page.get_by_test_id("key-row").filter(has_text=key_id)
    row.get_by_role("button").click()
    assert "吊销" in page.get_by_test_id("key-row").filter(has_text=key_id).inner_text()
    context.close()
