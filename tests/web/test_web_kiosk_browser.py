"""The kiosk in a real browser (Debian's Chromium, the fake camera showing obama_1.jpg).

A returning resident is recognised without any id to remember; the idle timeout brings the
screen back to the start and the next person's "my data" asks for their own face; every page
state, in Chinese, shows no English-only text, has 0 axe violations, touch targets of 44 px
and body text of 20 px at 1280x800.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from kiosk_walk import Walk, chinese_site
from playwright.sync_api import expect
from test_web_browser import KIOSK, TIMEOUT, open_kiosk
from web_support import FIXTURES, serve

import photos
from facegate.api import ApiSettings, create_app
from facegate.service import DeploymentSpec, DeviceSpec, Gate
from facegate.service.access import issue_key
from sites import CONSENT, Site

pytestmark = pytest.mark.slow

OBAMA_1 = (FIXTURES / "obama_1.jpg").read_bytes()


def enrolled(gate: Gate, site: Site, photo: bytes = OBAMA_1) -> str:
    subject = gate.register_subject(date_of_birth=date(1961, 8, 4))
    gate.record_consent(subject.id, site.deployment_id, CONSENT)
    gate.enrol(subject.id, site.deployment_id, photo)
    return subject.id


def device_key(gate: Gate, site: Site) -> str:
    return issue_key(gate.ctx, "device", device_id=site.device_id, actor="test").token


def shoot(page: Any) -> None:
    expect(page.locator("[data-shoot]")).to_be_enabled(timeout=30_000)
    page.get_by_role("button", name="拍照").click()


@pytest.mark.both_databases  # a representative walk on PostgreSQL too
def test_a_returning_resident_is_verified_at_the_kiosk_without_any_id(
    browser: Any, base_url: str, web_gate: Gate
) -> None:
    site = chinese_site(web_gate, "北门")
    enrolled(web_gate, site)  # enrolled earlier (here, or by the front desk)
    context, page = open_kiosk(browser, base_url, device_key(web_gate, site))
    page.get_by_test_id("returning").click()  # "我已登记": the person's own act
    page.get_by_role("heading", name="识别已登记的人").wait_for()
    shoot(page)
    page.get_by_role("heading", name="✓ 欢迎回来").wait_for()
    assert page.locator("input:not([type=hidden])").count() == 0  # nothing was typed
    page.get_by_test_id("result-my-data").click()
    assert page.get_by_test_id("template-count").inner_text() == "1"
    assert "fgk_" not in page.content()
    context.close()


@pytest.fixture(scope="module")
def quick_url(web_gate: Gate) -> Iterator[str]:
    """The same service with a 3-second idle timeout."""
    with serve(create_app(web_gate, ApiSettings(kiosk_idle_seconds=3))) as url:
        yield url


def test_the_idle_timeout_clears_the_session_and_the_next_person_is_asked_for_their_face(
    browser: Any, quick_url: str, web_gate: Gate
) -> None:
    site = chinese_site(web_gate, "东门")
    enrolled(web_gate, site)
    context, page = open_kiosk(browser, quick_url, device_key(web_gate, site))
    page.get_by_test_id("returning").click()
    shoot(page)
    page.get_by_test_id("result-my-data").click()
    page.get_by_test_id("template-count").wait_for()
    # The resident walks away without pressing Done: the screen goes back to the start.
    page.get_by_test_id("choose-face").wait_for(timeout=15_000)
    assert page.url.endswith("/kiosk")
    # The next person taps "my data": the kiosk asks for their own face or card.
    page.get_by_test_id("my-data").click()
    page.get_by_test_id("me-auth").wait_for()
    assert page.get_by_test_id("template-count").count() == 0
    assert page.get_by_test_id("me-face").is_visible()
    context.close()


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Walk:
    import os

    from web_support import DOCS_SCREENSHOTS

    shots = DOCS_SCREENSHOTS if os.environ.get("FACEGATE_SCREENSHOTS") == "1" else None
    return Walk(shots=shots)


def test_every_kiosk_page_state_in_chinese_is_chinese_accessible_and_touch_sized(
    browser: Any, base_url: str, web_gate: Gate, walk: Walk, tmp_path: Path
) -> None:
    site = chinese_site(web_gate, "南门", liveness="off")  # uploads: page states on demand
    enrolled(web_gate, site)
    from facegate.service.persons import PersonSpec, add_person

    pin_holder = add_person(  # recorded by the front desk: found by name and flat
        web_gate.ctx,
        site.controller_id,
        PersonSpec(name="李娜", unit="3-1201", age_attested=True),
        actor="test",
    )
    web_gate.add_credential(pin_holder.subject_id, site.deployment_id, "pin", "482915")
    key = device_key(web_gate, site)

    context = browser.new_context(viewport=KIOSK, locale="zh-CN")
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    page.goto(f"{base_url}/kiosk/login")
    walk.check(page, "login")
    page.get_by_label("设备密钥").fill("fgk_0000000000000000_wrong")
    page.get_by_role("button", name="开启").click()
    walk.check(page, "login-refused")
    page.get_by_label("设备密钥").fill(key)
    page.get_by_role("button", name="开启").click()
    page.get_by_test_id("choose-face").wait_for()
    walk.check(page, "notice")
    page.locator("summary").click()
    walk.check(page, "notice-full")

    # The front desk's one-time code: asked for, refused once beside its field.
    page.get_by_test_id("enrol-code").click()
    walk.check(page, "code")
    page.get_by_label("注册码", exact=False).fill("2345-6789")
    page.get_by_role("button", name="继续").click()
    page.get_by_test_id("field-error").wait_for()
    walk.check(page, "code-refused")
    page.get_by_role("link", name="首页").click()

    # A new person: age, consent (refused once beside the box), capture, a bad photo.
    page.get_by_test_id("choose-face").click()
    walk.check(page, "age")
    page.locator("#date_of_birth").evaluate("el => el.removeAttribute('max')")
    page.get_by_label("出生日期").fill("2099-01-01")
    page.get_by_role("button", name="继续").click()
    page.get_by_test_id("field-error").wait_for()
    walk.check(page, "age-refused")
    page.get_by_test_id("age-14-plus").click()
    walk.check(page, "consent")
    page.get_by_role("button", name="同意并继续").click()
    page.get_by_test_id("field-error").wait_for()
    walk.check(page, "consent-refused")
    page.get_by_label("我同意处理我的人脸信息").check()
    page.get_by_role("button", name="同意并继续").click()
    page.get_by_role("heading", name="拍摄人脸").wait_for()
    walk.check(page, "capture")
    page.locator("#image").set_input_files(
        files=[{"name": "x.jpg", "mimeType": "image/jpeg", "buffer": photos.no_face()}]
    )
    page.get_by_role("button", name="登记").click()
    page.get_by_test_id("capture-error").wait_for()
    walk.check(page, "capture-refused")
    # The same face as someone enrolled: nothing is said about anyone.
    page.locator("#image").set_input_files(str(FIXTURES / "obama_2.jpg"))
    page.get_by_role("button", name="登记").click()
    page.get_by_test_id("enrol-failed").wait_for()
    walk.check(page, "enrol-failed")
    page.get_by_role("link", name="首页").click()

    # A child: the guardian's consent.
    page.get_by_test_id("choose-face").click()
    page.get_by_label("出生日期").fill(date.today().replace(year=date.today().year - 8).isoformat())
    page.get_by_role("button", name="继续").click()
    page.get_by_test_id("guardian-required").wait_for()
    walk.check(page, "consent-guardian")
    page.get_by_label("与儿童的关系").select_option("parent")
    page.get_by_role("button", name="同意并继续").click()
    page.get_by_test_id("field-error").wait_for()
    walk.check(page, "consent-guardian-refused")
    page.get_by_label("我是该儿童的父母或监护人").check()
    page.get_by_label("我同意为该儿童处理人脸信息").check()
    page.get_by_role("button", name="同意并继续").click()
    page.locator("#image").set_input_files(str(FIXTURES / "biden.jpg"))
    page.get_by_role("button", name="登记").click()
    page.get_by_role("heading", name="验证", exact=True).wait_for()
    walk.check(page, "verify")
    page.locator("#image").set_input_files(str(FIXTURES / "obama_2.jpg"))
    page.get_by_role("button", name="验证", exact=True).click()
    page.get_by_role("heading", name="未通过").wait_for()
    walk.check(page, "not-verified")
    page.get_by_test_id("retry").click()
    page.locator("#image").set_input_files(str(FIXTURES / "biden.jpg"))
    page.get_by_role("button", name="验证", exact=True).click()
    page.get_by_role("heading", name="✓ 验证通过").wait_for()
    walk.check(page, "verified")
    page.get_by_test_id("result-my-data").click()
    page.get_by_test_id("template-count").wait_for()
    walk.check(page, "my-data")
    page.get_by_test_id("delete").click()
    walk.check(page, "delete-confirm")
    page.get_by_test_id("delete-confirm").click()
    page.get_by_test_id("flash").wait_for()
    walk.check(page, "deleted")

    # A returning person: not recognised, then recognised; "my data" asks first.
    page.get_by_test_id("my-data").click()
    page.get_by_test_id("me-auth").wait_for()
    walk.check(page, "my-data-ask")
    page.get_by_test_id("me-face").click()
    walk.check(page, "returning")
    page.locator("#image").set_input_files(str(FIXTURES / "biden.jpg"))
    page.get_by_role("button", name="识别").click()
    page.get_by_test_id("flash").wait_for()
    walk.check(page, "returning-not-found")
    page.get_by_role("link", name="首页").click()
    page.get_by_test_id("returning").click()
    page.locator("#image").set_input_files(str(FIXTURES / "obama_3.jpg"))
    page.get_by_role("button", name="识别").click()
    page.get_by_role("heading", name="✓ 欢迎回来").wait_for()
    walk.check(page, "welcome")
    page.get_by_test_id("done").click()

    # The alternative: a PIN (a wrong one offers a retry), a member of staff; then a lockout.
    page.get_by_test_id("choose-alternative").click()
    walk.check(page, "alternative")
    page.get_by_label("姓名").fill("李娜")
    page.get_by_label("房号或部门", exact=False).fill("3-1201")
    page.get_by_label("密码").fill("000000")
    page.get_by_test_id("alt-pin").get_by_role("button", name="继续").click()
    page.get_by_test_id("field-error").wait_for()
    assert page.get_by_label("姓名").input_value() == "李娜"  # kept for the retry
    walk.check(page, "alternative-retry")
    page.get_by_label("密码").fill("482915")
    page.get_by_test_id("alt-pin").get_by_role("button", name="继续").click()
    page.get_by_role("heading", name="✓ 验证通过").wait_for()
    walk.check(page, "alternative-passed")
    page.get_by_role("link", name="首页").click()
    page.get_by_test_id("choose-alternative").click()
    for _ in range(6):
        page.get_by_label("姓名").fill("李娜")
        page.get_by_label("房号或部门", exact=False).fill("3-1201")
        page.get_by_label("密码").fill("000000")
        page.get_by_test_id("alt-pin").get_by_role("button", name="继续").click()
        page.get_by_test_id("field-error").wait_for()
    assert "分钟后重试" in page.get_by_test_id("field-error").inner_text()
    walk.check(page, "alternative-locked")

    # The idle warning, a moment before the kiosk forgets.
    page.clock.install()
    page.goto(f"{base_url}/kiosk/alternative")
    page.clock.run_for(22_000)
    page.locator("[data-idle-warning]").wait_for()
    walk.check(page, "idle-warning")
    context.close()

    # Card and QR where the deployment offers them; a card refused, once, beside its field.
    cards = chinese_site(web_gate, "西门", alternatives=("门禁卡", "二维码"), method="verify")
    holder = enrolled(web_gate, cards)
    web_gate.add_credential(holder, cards.deployment_id, "card", "CARD-00077")
    context, page = open_kiosk(browser, base_url, device_key(web_gate, cards))
    page.get_by_test_id("choose-alternative").click()
    walk.check(page, "alternative-card-qr")
    page.get_by_label("卡号（刷卡自动填写）").fill("CARD-12345")
    page.get_by_test_id("alt-card").get_by_role("button", name="继续").click()
    page.get_by_test_id("field-error").wait_for()
    walk.check(page, "alternative-card-refused")
    page.get_by_role("link", name="首页").click()
    page.get_by_test_id("returning").click()
    walk.check(page, "returning-card")
    page.get_by_label("卡号或二维码", exact=False).fill("CARD-00077")
    page.get_by_role("button", name="继续").click()
    page.get_by_role("heading", name="验证", exact=True).wait_for()
    walk.check(page, "returning-card-face")
    context.close()

    # A kiosk whose deployment cannot serve yet: the page says so, in Chinese.
    controller = web_gate.register_controller(name="朝阳物业服务有限公司", contact="a@b.cn")
    draft = web_gate.create_deployment(
        controller.id,
        DeploymentSpec(
            name="草稿",
            purpose_type="access_control",
            purpose="让住户通过",
            necessity="免接触通行",
            method="verify",
            location_type="residential_entrance",
            retention_days=30,
            alternatives=("门卫值班",),
        ),
    )
    device = web_gate.register_device(
        draft.id,
        DeviceSpec(
            name="草稿终端", location_description="门口", location_type="residential_entrance"
        ),
    )
    key = issue_key(web_gate.ctx, "device", device_id=device.id, actor="test").token
    context, page = open_kiosk_anywhere(browser, base_url, key)
    walk.check(page, "unavailable")
    context.close()

    assert len(walk.states) >= 32
    assert walk.failures == {}


def open_kiosk_anywhere(browser: Any, base_url: str, key: str) -> tuple[Any, Any]:
    """Open a kiosk whatever its first page shows."""
    context = browser.new_context(viewport=KIOSK, locale="zh-CN")
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    page.goto(f"{base_url}/kiosk/login")
    page.get_by_label("设备密钥").fill(key)
    page.get_by_role("button", name="开启").click()
    page.wait_for_load_state("domcontentloaded")
    return context, page


def test_chinese_and_english_are_drawn_at_the_same_weight(
    browser: Any, base_url: str, web_gate: Gate
) -> None:
    site = chinese_site(web_gate, "中门")
    context, page = open_kiosk(browser, base_url, device_key(web_gate, site))
    page.get_by_test_id("choose-face").click()
    style = "el => [getComputedStyle(el).fontWeight, getComputedStyle(el).fontSize]"
    chinese = page.locator("main p").first.evaluate(style)
    page.get_by_test_id("lang-toggle").click()
    page.get_by_role("button", name="中文").wait_for()
    english = page.locator("main p").first.evaluate(style)
    assert chinese == english
    assert float(chinese[1].removesuffix("px")) >= 20
    context.close()
