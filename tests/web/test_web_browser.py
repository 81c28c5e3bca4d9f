"""The console and the kiosk in a real browser (Debian's Chromium, driven by Playwright).

An officer sets up a deployment through the wizard, the DPO approves its PIPIA, the admin
activates it; at the kiosk a person reads the notice, consents, enrols through the (fake)
camera, verifies and withdraws; another uses the PIN without any face step; a child needs a
guardian.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from web_support import screenshot_dir

from facegate.law.facts import PROHIBITED_LOCATIONS
from facegate.service import Gate
from facegate.service.access import issue_key
from facegate.store import models as m

pytestmark = pytest.mark.slow

KIOSK = {"width": 1280, "height": 800}
TIMEOUT = 15_000


def staff_key(gate: Gate, role: str) -> str:
    return issue_key(gate.ctx, role, label=f"web test {role}", actor="test").token


def log_in(page: Any, base_url: str, key: str) -> None:
    # The console in English (its toggle; Chinese is the default): this walk reads English.
    page.goto(f"{base_url}/console/login?lang=en")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Compliance dashboard").wait_for()


def log_out(page: Any) -> None:
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("API key").wait_for()


def open_kiosk(browser: Any, base_url: str, device_key: str) -> tuple[Any, Any]:
    context = browser.new_context(viewport=KIOSK, locale="zh-CN")
    context.set_default_timeout(TIMEOUT)
    # Record any use of the camera, to prove the alternative never asks for a face.
    context.add_init_script(
        "window.__cameraAsked = false;"
        "if (navigator.mediaDevices) { const o = navigator.mediaDevices.getUserMedia"
        ".bind(navigator.mediaDevices); navigator.mediaDevices.getUserMedia = (c) => "
        "{ window.__cameraAsked = true; return o(c); }; }"
    )
    page = context.new_page()
    page.goto(f"{base_url}/kiosk/login")
    page.get_by_label("设备密钥").fill(device_key)
    page.get_by_role("button", name="开启").click()
    page.get_by_test_id("choose-face").wait_for()
    return context, page


@pytest.mark.both_databases  # a representative walk on PostgreSQL too
def test_officer_sets_up_and_a_person_enrols_through_the_camera(
    browser: Any, base_url: str, web_gate: Gate, tmp_path: Path
) -> None:
    shots = screenshot_dir(tmp_path)
    admin, dpo = staff_key(web_gate, "admin"), staff_key(web_gate, "dpo")
    context = browser.new_context(viewport=KIOSK)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()

    # The admin describes the deployment; prohibited places are not even offered.
    log_in(page, base_url, admin)
    page.get_by_role("link", name="New deployment").click()
    offered = page.locator("#location_type option").evaluate_all("els => els.map(e => e.value)")
    assert offered and not set(offered) & {p.value for p in PROHIBITED_LOCATIONS}
    assert (
        page.get_by_label("Non-face alternatives, one a line (required)").get_attribute("required")
        is not None
    )
    page.get_by_label("Organisation name").fill("Sunrise Property Co.")
    page.get_by_label("Contact for people's requests").fill("dpo@sunrise.cn")
    page.get_by_label("Name", exact=True).fill("Block 3 lobby")
    page.get_by_label("Purpose, in plain words").fill("三号楼住户进入大堂")
    page.get_by_label("Why faces are necessary").fill("门卡曾被转借和遗失")
    page.get_by_label("Non-face alternatives, one a line (required)").fill("密码键盘\n门岗人工核验")
    page.get_by_role("button", name="Create deployment").click()
    page.get_by_test_id("status").wait_for()
    assert page.get_by_test_id("status").inner_text() == "draft"
    compliance = page.locator("section", has=page.get_by_role("heading", name="Compliance"))
    assert "blocked" in compliance.inner_text()
    assert "pipia" in compliance.inner_text()  # the missing assessment, with its article
    deployment_url = page.url

    page.get_by_role("button", name="Draft a new assessment").click()
    page.get_by_test_id("flash").wait_for()
    # Approving the assessment is the DPO's: the admin is not offered a button that would
    # only answer "dpo only" (no dead ends, issue 15).
    assert page.get_by_role("button", name="Approve the assessment").count() == 0
    page.get_by_role("button", name="Publish the notice").click()
    page.get_by_text("Notice version 1 published").wait_for()
    page.get_by_label("Device name").fill("Lobby kiosk")
    page.get_by_label("Where exactly").fill("Block 3, lobby, left of the lifts")
    page.get_by_role("button", name="Register device").click()
    device_key = page.get_by_test_id("device-token").inner_text().strip()
    assert device_key.startswith("fgk_")

    log_out(page)

    log_in(page, base_url, dpo)
    page.goto(deployment_url)
    page.get_by_label("Approver").fill("Li Wei")
    page.get_by_role("button", name="Approve the assessment").click()  # nothing ticked yet
    assert "not confirmed by a person" in page.get_by_test_id("flash").inner_text()
    boxes = page.locator("input[name=confirm]")
    for i in range(boxes.count()):  # the DPO checks each drafted statement
        boxes.nth(i).check()
    page.get_by_label("Approver").fill("Li Wei")
    page.get_by_role("button", name="Approve the assessment").click()
    page.get_by_text("approved by Li Wei").wait_for()
    log_out(page)

    log_in(page, base_url, admin)
    page.goto(deployment_url)
    page.get_by_role("button", name="Activate").click()
    page.get_by_text("Deployment activated.").wait_for()
    assert page.get_by_test_id("status").inner_text() == "active"
    page.get_by_role("link", name="Dashboard").click()
    page.get_by_test_id("deployment-row").first.wait_for()

    # At the kiosk: the notice in Chinese first, English on request.
    kiosk, person = open_kiosk(browser, base_url, device_key)
    assert "人脸" in person.locator("#notice-title").inner_text()
    person.screenshot(path=str(shots / "kiosk-notice.png"))
    person.get_by_test_id("lang-toggle").click()
    person.get_by_role("button", name="中文").wait_for()
    assert "face" in person.locator("#notice-title").inner_text().lower()
    person.get_by_test_id("lang-toggle").click()
    person.get_by_role("button", name="English").wait_for()
    person.get_by_test_id("choose-face").click()

    person.get_by_label("出生日期").fill("1990-05-17")
    person.get_by_role("button", name="继续").click()
    consent_box = person.get_by_label("我同意处理我的人脸信息", exact=False)
    assert not consent_box.is_checked()  # never pre-ticked
    person.screenshot(path=str(shots / "kiosk-consent.png"))
    person.get_by_role("button", name="同意并继续").click()
    assert "请勾选同意" in person.get_by_test_id("field-error").inner_text()
    assert person.get_by_test_id("flash").count() == 0  # said once, beside the box
    person.get_by_label("我同意处理我的人脸信息", exact=False).check()
    person.get_by_role("button", name="同意并继续").click()

    # Enrol through the camera, then verify.
    shoot = person.get_by_role("button", name="拍照")
    shoot.wait_for()
    expect(person.locator("[data-shoot]")).to_be_enabled(timeout=30_000)
    shoot.click()
    person.get_by_role("heading", name="验证", exact=True).wait_for()
    assert "已登记" in person.get_by_test_id("flash").inner_text()
    expect(person.locator("[data-shoot]")).to_be_enabled(timeout=30_000)
    person.get_by_role("button", name="拍照").click()
    person.get_by_role("heading", name="✓ 验证通过").wait_for()

    # The dashboard while the person is enrolled, beside a draft that the law still blocks.
    from sites import gate_spec

    controller_id = web_gate.filing_status()[0]["controller_id"]
    web_gate.create_deployment(controller_id, gate_spec(name="Car park barrier"))
    page.reload()
    page.get_by_test_id("deployment-row").nth(1).wait_for()
    assert page.get_by_test_id("total-individuals").inner_text() == "1"
    assert "blocked" in page.get_by_test_id("deployment-row").nth(1).inner_text()
    page.screenshot(path=str(shots / "console-dashboard.png"), full_page=True)

    # My data: what is held, then withdraw (the template is destroyed).
    person.get_by_test_id("result-my-data").click()
    assert "fgk_" not in person.content()  # no code and no id to keep
    assert person.get_by_test_id("template-count").inner_text() == "1"
    person.get_by_role("button", name="撤回同意").click()
    assert "已删除1个人脸模板" in person.get_by_test_id("flash").inner_text()
    assert person.get_by_test_id("template-count").inner_text() == "0"
    assert "已撤回" in person.get_by_test_id("consents").inner_text()
    kiosk.close()

    # Back in the console: the withdrawn person is no longer stored.
    page.reload()
    page.get_by_test_id("deployment-row").first.wait_for()
    assert page.get_by_test_id("total-individuals").inner_text() == "0"
    assert "ready" in page.get_by_test_id("deployment-row").first.inner_text()
    context.close()


@pytest.fixture(scope="module")
def site(web_gate: Gate) -> Any:
    from sites import make_site

    return make_site(web_gate, name="Staff gate")


def test_the_alternative_needs_no_face(
    browser: Any, base_url: str, web_gate: Gate, site: Any
) -> None:
    subject = web_gate.register_subject(date_of_birth=date(1980, 2, 3))
    web_gate.add_credential(subject.id, site.deployment_id, "pin", "482915")
    device_key = issue_key(web_gate.ctx, "device", device_id=site.device_id, actor="test").token
    context, page = open_kiosk(browser, base_url, device_key)
    page.get_by_test_id("choose-alternative").click()
    page.get_by_text("我有编号").click()  # no person record here: the number it was given
    page.get_by_label("编号").fill(subject.id)
    page.get_by_label("密码").fill("000000")
    page.get_by_test_id("alt-pin").get_by_role("button", name="继续").click()
    # A wrong PIN: a retry on the same form, said once beside the PIN, the number kept.
    error = page.get_by_test_id("field-error")
    assert "请再试一次" in error.inner_text()
    assert page.locator("#pin-error").count() == 1 and page.get_by_test_id("flash").count() == 0
    assert page.get_by_label("编号").input_value() == subject.id
    page.get_by_label("密码").fill("482915")
    page.get_by_test_id("alt-pin").get_by_role("button", name="继续").click()
    page.get_by_role("heading", name="✓ 验证通过").wait_for()
    assert page.locator("video").count() == 0
    assert page.locator("input[type=file]").count() == 0
    assert page.evaluate("window.__cameraAsked") is False
    context.close()


def test_a_child_needs_a_guardian(browser: Any, base_url: str, web_gate: Gate, site: Any) -> None:
    device_key = issue_key(web_gate.ctx, "device", device_id=site.device_id, actor="test").token
    context, page = open_kiosk(browser, base_url, device_key)
    page.get_by_test_id("choose-face").click()
    today = date.today()
    page.get_by_label("出生日期").fill(today.replace(year=today.year - 8).isoformat())
    page.get_by_role("button", name="继续").click()
    page.get_by_test_id("guardian-required").wait_for()
    relation = page.get_by_label("与儿童的关系")
    assert relation.get_attribute("required") is not None
    relation.select_option("parent")
    page.get_by_label("我同意为该儿童处理人脸信息", exact=False).check()
    page.get_by_role("button", name="同意并继续").click()
    assert "须由父母或监护人同意" in page.get_by_test_id("field-error").inner_text()
    assert page.get_by_label("与儿童的关系").input_value() == "parent"  # kept

    page.get_by_label("我是该儿童的父母或监护人", exact=False).check()
    page.get_by_label("我同意为该儿童处理人脸信息", exact=False).check()
    page.get_by_role("button", name="同意并继续").click()
    page.get_by_role("heading", name="拍摄人脸").wait_for()
    context.close()
    with web_gate.ctx.db.transaction(readonly=True) as session:
        given = session.scalars(
            select(m.Consent.given_by).where(m.Consent.deployment_id == site.deployment_id)
        ).all()
    assert "guardian" in given
