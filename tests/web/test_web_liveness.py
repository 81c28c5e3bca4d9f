"""liveness.failed at the kiosk, in a real browser with the fake camera (a video made from one
still photo, as a printed photo or a phone held still in front of the camera would give).

With ``active`` liveness the kiosk asks for a challenge (blink, turn left, turn right, in random
order) over live frames: the still photo does none of it and is refused, nothing is enrolled.
With liveness on, the kiosk offers no photo upload; the alternative never opens the camera.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from test_web_browser import open_kiosk

from facegate.service import Gate
from facegate.service.access import issue_key
from facegate.store import models as m
from sites import make_site

pytestmark = pytest.mark.slow


def to_capture(page: Any) -> None:
    page.get_by_test_id("choose-face").click()
    page.get_by_label("出生日期").fill("1990-05-17")
    page.get_by_role("button", name="继续").click()
    page.get_by_label("我同意处理我的人脸信息", exact=False).check()
    page.get_by_role("button", name="同意并继续").click()
    page.get_by_role("heading", name="拍摄人脸").wait_for()


@pytest.mark.both_databases  # nothing enrolled, the refusal audited: on PostgreSQL too
def test_liveness_failed_a_still_photo_fails_the_active_challenge(
    browser: Any, base_url: str, web_gate: Gate
) -> None:
    site = make_site(web_gate, name="Lobby turnstile", liveness="active")
    key = issue_key(web_gate.ctx, "device", device_id=site.device_id, actor="test").token
    context, page = open_kiosk(browser, base_url, key)
    to_capture(page)

    # No upload: only the live camera, and the three steps in the order this page drew.
    assert page.get_by_text("或上传照片").count() == 0
    assert page.get_by_test_id("camera-only").is_visible()
    steps = page.locator("[data-step]").evaluate_all("els => els.map(e => e.dataset.step)")
    assert sorted(steps) == ["blink", "turn_left", "turn_right"]

    expect(page.locator("[data-shoot]")).to_be_enabled(timeout=30_000)
    page.get_by_role("button", name="开始").click()
    page.get_by_test_id("capture-error").wait_for(timeout=90_000)
    error = page.get_by_test_id("capture-error").inner_text()
    assert "请按屏幕提示依次眨眼、转头" in error  # Chinese, as everything at the kiosk
    # A fresh challenge is drawn for the next try.
    assert page.locator("[data-step]").count() == 3
    context.close()

    with web_gate.ctx.db.transaction(readonly=True) as session:
        templates = session.scalars(
            select(m.Template).where(m.Template.deployment_id == site.deployment_id)
        ).all()
        refusals = [
            e
            for e in session.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "enrol"))
            if e.object_ids().get("deployment") == site.deployment_id
        ]
    assert templates == []
    assert [(e.decision, e.object_ids()["check"]) for e in refusals] == [("refused", "challenge")]
    assert json.loads(refusals[0].articles) == ["M14", "M9"]
    assert refusals[0].object_ids()["reason"].endswith("_not_seen")


def test_passive_liveness_kiosk_offers_no_upload_and_the_alternative_no_camera(
    browser: Any, base_url: str, web_gate: Gate
) -> None:
    site = make_site(web_gate, name="Side door")  # passive, the default
    key = issue_key(web_gate.ctx, "device", device_id=site.device_id, actor="test").token
    context, page = open_kiosk(browser, base_url, key)
    page.get_by_test_id("choose-alternative").click()
    page.get_by_label("姓名").wait_for()
    assert page.evaluate("window.__cameraAsked") is False
    page.go_back()
    to_capture(page)
    # Wait for the capture page to be drawn, then look for an upload on it.
    expect(page.get_by_role("button", name="拍照")).to_be_visible()
    assert page.get_by_text("或上传照片").count() == 0
    assert page.locator("input[type=file]:visible").count() == 0
    context.close()
