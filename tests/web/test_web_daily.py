"""What operators look at every day, in a real browser (issue 15): the access-event log with
its charts, the audit-log viewer with its filters and the chain's state, the PIPIA read in the
console and downloaded, the dashboard's filing and incident deadlines; refusals beside their
fields; every page at 390 px without sideways scrolling; axe finds no violation in any state.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from axe_check import assert_accessible
from sqlalchemy import select, update
from web_support import FIXTURES, screenshot_dir

from facegate.law import Refused, china_date
from facegate.service import DeviceSpec, Gate
from facegate.service.access import issue_key
from facegate.service.access_events import record_edge_report
from facegate.service.incidents import IncidentSpec
from facegate.service.individuals import open_threshold_obligation
from facegate.store import models as m
from sites import CONSENT, make_site

pytestmark = pytest.mark.slow

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT = 15_000


@dataclass
class Daily:
    deployment_id: str
    device_id: str
    dpo: str
    operator: str


@pytest.fixture(scope="module")
def daily(web_gate: Gate) -> Daily:
    """A working site with a day of attempts at its device and ten reported by an edge node,
    an open record-filing and a major incident discovered an hour ago."""
    gate = web_gate
    site = make_site(gate, name="North gate")
    resident = gate.register_subject(date_of_birth=date(1980, 1, 1))
    stranger = gate.register_subject(date_of_birth=date(1990, 1, 1))
    gate.record_consent(resident.id, site.deployment_id, CONSENT)
    gate.enrol(resident.id, site.deployment_id, FIXTURES / "obama_1.jpg")
    gate.add_credential(resident.id, site.deployment_id, "pin", "424242")
    assert gate.verify(site.device_id, resident.id, FIXTURES / "obama_2.jpg").matched
    gate.identify(site.device_id, FIXTURES / "biden.jpg")  # a stranger: a count, nothing else
    gate.verify_alternative(site.device_id, "pin", "424242", subject_id=resident.id)
    with pytest.raises(Refused):  # no consent
        gate.verify(site.device_id, stranger.id, FIXTURES / "biden.jpg")
    now = gate.ctx.now()
    with gate.ctx.unit() as session:
        assert open_threshold_obligation(session, site.controller_id, 100_000, now) is not None
    # A second device, an edge node, has reported its last ten days (counts only).
    barrier = gate.register_device(
        site.deployment_id,
        DeviceSpec(
            name="车库道闸",
            location_description="地下车库入口",
            location_type="residential_entrance",
        ),
    )
    today = china_date(now)
    with gate.ctx.unit() as session:
        record_edge_report(
            session,
            barrier.id,
            [
                {
                    "day": (today - timedelta(days=back)).isoformat(),
                    "match": 30 + 7 * (back % 3),
                    "no_match": 2 + back % 4,
                    "alternative": 4 + back % 2,
                    "refused": back % 3,
                }
                for back in range(1, 11)
            ],
            now,
        )
    gate.record_incident(
        IncidentSpec(
            controller_id=site.controller_id,
            severity="major",
            description="备份硬盘在运输中丢失",
            occurred_at=now - timedelta(hours=1),
            categories="加密的人脸特征数据",
            cause="快递丢件",
            harm="低：特征数据已加密",
            measures="已轮换密钥",
            remedies="可改用密码",
            contact="dpo@sunrise.cn",  # (no deployment named: its PIPIA stays in force)
        )
    )
    return Daily(
        site.deployment_id,
        site.device_id,
        issue_key(gate.ctx, "dpo", label="daily dpo", actor="test").token,
        issue_key(gate.ctx, "operator", label="daily operator", actor="test").token,
    )


@pytest.fixture
def console(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(TIMEOUT)
    yield context.new_page()
    context.close()


def log_in(page: Any, base_url: str, key: str) -> None:
    page.goto(f"{base_url}/console/login")
    page.locator("#api_key").fill(key)
    page.locator("form[action='/console/login'] button[type=submit]").click()
    page.wait_for_url(f"{base_url}/console")


def fits(page: Any, width: int = PHONE["width"]) -> bool:
    """Nothing on the page is wider than the screen (no sideways scrolling)."""
    return bool(page.evaluate(f"document.documentElement.scrollWidth <= {width}"))


@pytest.mark.both_databases  # a representative walk on PostgreSQL too
def test_access_event_log_counts_per_device_with_charts(
    console: Any, base_url: str, daily: Daily, tmp_path: Path
) -> None:
    page = console
    log_in(page, base_url, daily.operator)  # the front desk reads it too: counts only
    page.get_by_role("link", name="访问记录").click()
    page.get_by_role("heading", name="访问事件记录").wait_for()
    assert page.locator("svg#chart-devices text", has_text="车库道闸").count() == 1  # the edge
    assert page.get_by_test_id("event-row").count() == 11  # today here, ten days at the edge
    assert int(page.get_by_test_id("total-match").inner_text()) > 300
    page.screenshot(path=str(screenshot_dir(tmp_path) / "console-events.png"), full_page=True)

    page.locator("#f-device").select_option(daily.device_id)  # one device: today's attempts
    page.get_by_role("button", name="查看").click()
    totals = {k: page.get_by_test_id(f"total-{k}").inner_text() for k in ("match", "no_match")}
    assert totals == {"match": "1", "no_match": "1"}
    assert page.get_by_test_id("total-alternative").inner_text() == "1"
    assert page.get_by_test_id("total-refused").inner_text() == "1"
    assert page.locator("svg#chart-days rect").count() == 4  # one stacked day, four parts
    assert page.get_by_test_id("event-row").count() == 1
    assert "North gate camera" in page.get_by_test_id("events-table").inner_text()
    assert page.locator("#f-device").input_value() == daily.device_id  # the filter is kept
    html = page.content()
    assert "obama" not in html.lower() and "<img" not in html  # never an image
    assert_accessible(page, "access events")

    # A bad date: the refusal once, beside its field; every field keeps what was typed.
    page.goto(f"{base_url}/console/events?device={daily.device_id}&start=2026-13-01&end=2026-09-10")
    error = page.get_by_test_id("error-start")
    assert error.inner_text() == "请输入有效日期（年-月-日）"
    assert page.get_by_text("请输入有效日期（年-月-日）").count() == 1  # once, beside it
    assert page.locator("#f-start").get_attribute("aria-invalid") == "true"
    assert page.locator("#f-device").input_value() == daily.device_id
    assert_accessible(page, "access events, refused filter")

    # An end before the start is refused beside the end date.
    page.goto(f"{base_url}/console/events?start=2026-09-20&end=2026-09-10")
    assert page.get_by_test_id("error-end").inner_text() == "结束日期早于开始日期"
    assert page.locator(".field-error").count() == 1 and page.locator(".flash").count() == 0

    # In English, and on a phone: no sideways scrolling.
    page.goto(f"{base_url}/console/events?lang=en")
    page.get_by_role("heading", name="Access events").wait_for()
    page.set_viewport_size(PHONE)
    assert fits(page)
    assert_accessible(page, "access events, English, 390 px")
    page.screenshot(path=str(screenshot_dir(tmp_path) / "console-events-phone.png"))


@pytest.mark.both_databases  # a representative walk on PostgreSQL too
def test_audit_viewer_filters_pages_and_shows_where_the_chain_breaks(
    console: Any, base_url: str, daily: Daily, web_gate: Gate, tmp_path: Path
) -> None:
    page = console
    log_in(page, base_url, daily.dpo)
    page.get_by_role("link", name="审计日志", exact=True).click()
    page.get_by_role("heading", name="审计日志", exact=True).wait_for()
    assert "已校验" in page.get_by_test_id("chain-state").inner_text()
    assert_accessible(page, "audit log")
    page.screenshot(path=str(screenshot_dir(tmp_path) / "console-audit.png"), full_page=True)

    page.locator("#f-action").select_option("verify")
    page.get_by_role("button", name="查看").click()
    actions = page.locator("[data-testid=audit-row] td:nth-child(4)").all_inner_texts()
    assert actions and set(actions) == {"verify"}
    assert page.locator("#f-action").input_value() == "verify"  # the filter is kept
    assert "拒绝" in page.get_by_test_id("audit-table").inner_text()  # the refused verify

    page.goto(f"{base_url}/console/audit?action=pipia.*&deployment={daily.deployment_id}")
    actions = page.locator("[data-testid=audit-row] td:nth-child(4)").all_inner_texts()
    assert actions and all(a.startswith("pipia.") for a in actions)

    for i in range(50):  # enough events for a second page
        issue_key(web_gate.ctx, "operator", label=f"front desk {i}", actor="test")
    page.goto(f"{base_url}/console/audit")
    assert page.get_by_role("link", name="下一页").count() == 1  # more than one page
    page.get_by_role("link", name="下一页").click()
    assert page.get_by_test_id("audit-page").inner_text().startswith("第 2 页")
    page.goto(f"{base_url}/console/audit?start=2026-02-30")
    assert page.get_by_test_id("error-start").is_visible()
    assert page.get_by_test_id("audit-table").count() == 0
    assert_accessible(page, "audit log, refused filter")

    # Tamper with one event: the viewer says where the chain breaks, and marks that row.
    with web_gate.ctx.db.transaction() as session:
        seq = session.scalar(select(m.AuditEvent.seq).where(m.AuditEvent.action == "identify"))
        actor = session.scalar(select(m.AuditEvent.actor).where(m.AuditEvent.seq == seq))
        session.execute(update(m.AuditEvent).where(m.AuditEvent.seq == seq).values(actor="x"))
    try:
        page.goto(f"{base_url}/console/audit?action=identify")
        page.get_by_role("link", name="立即重新校验整条链").click()
        state = page.get_by_test_id("chain-state").inner_text()
        assert "已断开" in state and f"第 {seq} 条" in state
        assert page.locator("tr.broken").count() == 1
        assert_accessible(page, "audit log, broken chain")
        page.set_viewport_size(PHONE)
        assert fits(page)
    finally:
        with web_gate.ctx.db.transaction() as session:
            session.execute(update(m.AuditEvent).where(m.AuditEvent.seq == seq).values(actor=actor))
    assert web_gate.verify_audit().ok


def test_pipia_read_in_the_console_with_every_aspect_open_and_downloadable(
    console: Any, base_url: str, daily: Daily, tmp_path: Path
) -> None:
    page = console
    log_in(page, base_url, daily.dpo)
    page.goto(f"{base_url}/console/deployments/{daily.deployment_id}/pipia")
    page.get_by_role("heading", name="个人信息保护影响评估报告").wait_for()
    aspects = page.get_by_test_id("pipia-aspect")
    assert aspects.count() == 4
    for i in range(4):  # open on the page, not folded away
        assert aspects.nth(i).is_visible() and aspects.nth(i).locator("li").first.is_visible()
    assert page.locator("details").count() == 0
    assert "现行有效" in page.get_by_test_id("pipia-in-force").inner_text()
    assert_accessible(page, "PIPIA")
    page.screenshot(path=str(screenshot_dir(tmp_path) / "console-pipia.png"), full_page=True)

    links = page.get_by_test_id("pipia-downloads").locator("a")
    assert links.count() == 4
    pdf = page.request.get(f"{base_url}/console/deployments/{daily.deployment_id}/pipia.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    html = page.request.get(
        f"{base_url}/console/deployments/{daily.deployment_id}/pipia.html?lang=en"
    )
    assert html.ok and "attachment" in html.headers["content-disposition"]
    assert b"impact assessment report" in html.body()

    page.set_viewport_size(PHONE)
    assert fits(page)
    page.goto(f"{base_url}/console/deployments/{daily.deployment_id}/pipia?lang=en")
    page.get_by_role(
        "heading", name="Personal information protection impact assessment report"
    ).wait_for()
    assert_accessible(page, "PIPIA, English, 390 px")


def test_dashboard_shows_filing_and_incident_deadlines_with_time_left(
    console: Any, base_url: str, daily: Daily, tmp_path: Path
) -> None:
    page = console
    log_in(page, base_url, daily.dpo)
    deadlines = page.get_by_test_id("deadlines")
    filing = deadlines.locator("[data-kind='filing.threshold']")
    assert "个工作日" in filing.get_by_test_id("time-left").inner_text()
    report = deadlines.locator("[data-kind='incident.initial_report']")
    left = report.get_by_test_id("time-left").inner_text()
    assert left.startswith("还剩 2 小时") or left.startswith("还剩 3 小时")  # 4 h from discovery
    assert "应立即履行" in deadlines.locator("[data-kind='incident.people']").inner_text()
    assert_accessible(page, "dashboard with deadlines")
    deadlines.screenshot(path=str(screenshot_dir(tmp_path) / "console-deadlines.png"))
    page.set_viewport_size(PHONE)
    assert fits(page)


def test_operator_sees_no_link_to_the_audit_log_or_pipia_and_is_told_why(
    console: Any, base_url: str, daily: Daily
) -> None:
    page = console
    log_in(page, base_url, daily.operator)
    assert page.get_by_role("link", name="审计日志", exact=True).count() == 0
    assert page.locator("a[href='/console/audit']").count() == 0
    page.goto(f"{base_url}/console/audit")
    page.wait_for_url(f"{base_url}/console")  # back to the dashboard, never a raw 403
    assert page.get_by_test_id("flash").is_visible()
    page.goto(f"{base_url}/console/deployments/{daily.deployment_id}/pipia")
    assert page.get_by_test_id("flash").is_visible()


def test_refused_forms_print_each_reason_once_beside_its_field_and_keep_every_value(
    console: Any, base_url: str, daily: Daily, web_gate: Gate
) -> None:
    page = console
    admin = issue_key(web_gate.ctx, "admin", label="daily admin", actor="test").token
    log_in(page, base_url, admin)

    # A device in a hotel lobby (a public place) for a residential gate: refused beside the
    # place and the signs; what was typed stays.
    page.goto(f"{base_url}/console/deployments/{daily.deployment_id}")
    page.locator("#dev-name").fill("大堂闸机")
    page.locator("#dev-loc").fill("酒店大堂左侧")
    page.locator("#dev-type").select_option("hotel_lobby")
    page.locator("form[action$='/devices'] button[type=submit]").click()
    page.get_by_test_id("error-signage_confirmed").wait_for()
    assert page.locator("#dev-name").input_value() == "大堂闸机"
    assert page.locator("#dev-loc").input_value() == "酒店大堂左侧"
    assert page.locator("#dev-type").input_value() == "hotel_lobby"
    said = page.get_by_test_id("error-signage_confirmed").inner_text()
    assert "《人脸识别技术应用安全管理办法》" in said and "location.public_place" in said
    assert page.get_by_text(said.split("（")[0][:20]).count() == 1  # printed once
    flash = page.get_by_test_id("flash").inner_text()
    assert "location.public_place" not in flash  # not again at the top
    box = page.locator("input[name=signage_confirmed]")
    assert box.get_attribute("aria-invalid") == "true"
    assert_accessible(page, "device form, refused")

    # The wizard: the missing purpose, necessity and alternatives beside their fields.
    page.goto(f"{base_url}/console/deployments/new")
    page.locator("#name").fill("地下车库")
    page.locator("#retention_days").fill("30")
    page.evaluate(
        "document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))"
    )
    page.get_by_role("button", name="创建部署").click()
    page.get_by_test_id("error-alternatives").wait_for()
    assert page.locator("#name").input_value() == "地下车库"
    assert page.locator("#retention_days").input_value() == "30"
    assert page.get_by_test_id("error-purpose").is_visible()
    assert page.locator("#necessity").get_attribute("aria-invalid") == "true"
    assert "alternative.required" not in page.get_by_test_id("flash").inner_text()
    assert_accessible(page, "wizard, refused")

    # The deployments table fits a 390 px phone.
    page.set_viewport_size(PHONE)
    page.goto(f"{base_url}/console")
    page.get_by_test_id("deployment-row").first.wait_for()
    assert fits(page)
    assert_accessible(page, "dashboard, 390 px")
