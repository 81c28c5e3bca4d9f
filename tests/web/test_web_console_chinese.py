"""Every console page state, in Chinese (the default), shows no English-only text; times are
Beijing time. The data typed in is Chinese, as a Chinese operator's would be."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from chinese_check import english_marked, english_only
from fastapi.testclient import TestClient
from web_support import form_token as token

import photos
from facegate.api import create_app
from facegate.messages.times import local_time
from facegate.service import ConsentSpec, DeploymentSpec, Gate
from facegate.service.access import issue_key

pytestmark = pytest.mark.both_databases


@pytest.fixture(scope="module")
def client(web_gate: Gate) -> Iterator[TestClient]:
    with TestClient(create_app(web_gate)) as test_client:
        yield test_client


def chinese_page(response: object, *, english_marked_at_most: int = 1) -> str:
    """The page, after checking it: Chinese, nothing English-only outside the toggle."""
    html: str = response.text  # type: ignore[attr-defined]
    assert '<html lang="zh-CN">' in html
    assert not english_only(html), (response.url, english_only(html))  # type: ignore[attr-defined]
    assert english_marked(html) <= english_marked_at_most, response.url  # type: ignore[attr-defined]
    return html


def log_in(client: TestClient, key: str) -> None:
    client.cookies.clear()
    form = client.get("/console/login")
    chinese_page(form)
    data = {"csrf_token": token(form.text), "api_key": key}
    assert client.post("/console/login", data=data, follow_redirects=False).status_code == 303


def spec(**changes: object) -> DeploymentSpec:
    values: dict[str, object] = {
        "name": "三号楼大堂",
        "purpose_type": "access_control",
        "purpose": "让三号楼住户进入大堂",
        "necessity": "住户要求免接触通行；门禁卡常被借用和遗失",
        "method": "verify",
        "location_type": "residential_entrance",
        "retention_days": 365,
        "alternatives": ("密码键盘", "保安值班台"),
    }
    values.update(changes)
    return DeploymentSpec(**values)  # type: ignore[arg-type]


def test_every_console_page_state_is_chinese(client: TestClient, web_gate: Gate) -> None:
    admin = issue_key(web_gate.ctx, "admin", actor="test").token
    dpo = issue_key(web_gate.ctx, "dpo", actor="test").token
    operator = issue_key(web_gate.ctx, "operator", actor="test").token

    # Login: empty, then refused (which also raises a security alert for the dashboard).
    client.cookies.clear()
    form = client.get("/console/login")
    chinese_page(form)
    refused = client.post(
        "/console/login", data={"csrf_token": token(form.text), "api_key": "fgk_0000.nope"}
    )
    assert refused.status_code == 401
    chinese_page(refused)

    # An empty dashboard, the wizard, and the wizard refusing a deployment (reasons, warning).
    log_in(client, admin)
    chinese_page(client.get("/console"))
    wizard = chinese_page(client.get("/console/deployments/new"))
    refused_form = {
        "csrf_token": token(wizard),
        "controller_name": "朝阳物业有限公司",
        "controller_contact": "dpo@chaoyang.cn",
        "name": "车库道闸",
        "purpose_type": "access_control",
        "purpose": "车辆进出",
        "necessity": "需要",
        "method": "identify",
        "capture_mode": "walk_through",
        "location_type": "residential_entrance",
        "retention_days": "900",
        "alternatives": "保安值班台",
    }
    refused_page = client.post("/console/deployments/new", data=refused_form)
    assert refused_page.status_code == 422
    html = chinese_page(refused_page)
    assert "capture.opt_in" in html and "《人脸识别技术应用安全管理办法》" in html
    assert 'id="retention_warning"' in html

    # A draft (blocked), then its assessment drafted, a device registered (key shown once).
    controller = web_gate.register_controller(name="朝阳物业有限公司", contact="dpo@chaoyang.cn")
    draft = web_gate.create_deployment(controller.id, spec())
    chinese_page(client.get(f"/console/deployments/{draft.id}"))
    page = client.get(f"/console/deployments/{draft.id}")
    done = client.post(
        f"/console/deployments/{draft.id}/pipia",
        data={"csrf_token": token(page.text)},
        follow_redirects=True,
    )
    html = chinese_page(done)
    assert "第 1 号影响评估" in html  # the flash, in Chinese
    registered = client.post(
        f"/console/deployments/{draft.id}/devices",
        data={
            "csrf_token": token(done.text),
            "name": "大堂一号机",
            "location_description": "三号楼大堂电梯左侧",
            "location_type": "residential_entrance",
        },
        follow_redirects=True,
    )
    assert 'data-testid="device-token"' in chinese_page(registered)
    # The admin may not approve the assessment: the refusal names the role, in Chinese.
    denied = client.post(
        f"/console/deployments/{draft.id}/pipia/approve",
        data={"csrf_token": token(registered.text), "approver": "李伟"},
        follow_redirects=True,
    )
    assert "仅限：dpo" in chinese_page(denied)

    # Approved and active: the deployment page, the notice preview (both languages, the
    # English half marked as such), the dashboard with deployments, devices and an alert.
    web_gate.confirm_pipia(draft.id, web_gate.unconfirmed_pipia(draft.id))
    web_gate.approve_pipia(draft.id, approver="李伟", role="dpo")
    web_gate.publish_notice(draft.id)
    web_gate.activate(draft.id)
    html = chinese_page(client.get(f"/console/deployments/{draft.id}"))
    assert "已批准（第 1 号" in html and "已启用" in html
    notice = client.get(f"/console/deployments/{draft.id}/notice")
    chinese_page(notice, english_marked_at_most=2)
    dashboard = chinese_page(client.get("/console"))
    assert "三号楼大堂" in dashboard and "大堂一号机" in dashboard and "从未同步" in dashboard

    # Subjects: empty, an operator refused, a report with a consent, a template and a consent
    # to renew after the purpose changed; then withdrawn, then erased.
    chinese_page(client.get("/console/subjects"))
    person = web_gate.register_subject(date_of_birth=date(1990, 5, 1))
    web_gate.record_consent(person.id, draft.id, ConsentSpec(alternative_offered=True))
    web_gate.enrol(person.id, draft.id, (photos.FIXTURES / "obama_1.jpg").read_bytes())
    log_in(client, operator)
    assert "您的角色（operator）" in chinese_page(
        client.get("/console/subjects", params={"subject_id": person.id})
    )
    log_in(client, dpo)
    report = chinese_page(client.get("/console/subjects", params={"subject_id": person.id}))
    given = web_gate.subject_report(person.id, actor="test")["consents"][0]["given_at"]
    assert local_time(given) in report  # Beijing time, not the stored UTC
    web_gate.update_deployment(draft.id, purpose="让三号楼住户和访客进入大堂")
    renewal = chinese_page(client.get("/console/subjects", params={"subject_id": person.id}))
    assert f'data-testid="reconsent-{draft.id}"' in renewal
    chinese_page(client.get(f"/console/deployments/{draft.id}"))  # its PIPIA now stale
    withdrawn = client.post(
        f"/console/subjects/{person.id}/withdraw",
        data={"csrf_token": token(renewal), "deployment_id": draft.id},
        follow_redirects=True,
    )
    assert "已撤回同意" in chinese_page(withdrawn)
    erased = client.post(
        f"/console/subjects/{person.id}/delete",
        data={"csrf_token": token(withdrawn.text)},
        follow_redirects=True,
    )
    chinese_page(erased)
    chinese_page(client.get("/console/subjects", params={"subject_id": "0" * 32}))
    # The same pages in English, when chosen.
    english = client.get("/console", params={"lang": "en"}).text
    assert '<html lang="en">' in english and "Compliance dashboard" in english
    assert english_only(english)  # the checker does see English


def test_the_dashboard_shows_beijing_time(client: TestClient, web_gate: Gate) -> None:
    admin = issue_key(web_gate.ctx, "admin", actor="test").token
    client.cookies.clear()
    form = client.get("/console/login")
    client.post("/console/login", data={"csrf_token": token(form.text), "api_key": "fgk_x.y"})
    log_in(client, admin)
    html = client.get("/console").text
    assert "时间均为北京时间" in html
    stamps = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", html)  # the alerts' times
    assert stamps and not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", html)
    # Devices and records use the zone too: the device table's header names it.
    assert "最近同步（北京时间）" in html


def test_a_configured_zone_is_used(web_gate: Gate) -> None:
    web_gate.ctx.time_zone = "Europe/Berlin"
    try:
        with TestClient(create_app(web_gate)) as other:
            html = other.get("/console/login").text
            assert "Europe/Berlin" in html  # the footer names the zone
    finally:
        web_gate.ctx.time_zone = "Asia/Shanghai"
