"""The impact assessment, the notice, processing records, incidents and filing over REST: each
route's happy path, its role refusals, and its documents (HTML pages, PDFs, CSV, a ZIP); and
the demo pointing at the public notice page."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from api_support import FIXTURES, Keys
from fastapi.testclient import TestClient

from facegate import law
from facegate.cli.demo import DemoKeys, DemoState, introduce
from facegate.cli.output import console
from facegate.law.pipia import ASPECT_KEYS
from facegate.service import Gate
from facegate.service.individuals import open_threshold_obligation
from sites import CONSENT, Site

pytestmark = pytest.mark.both_databases

NEW_DEPLOYMENT = {
    "name": "East gate",
    "purpose_type": "access_control",
    "purpose": "五号楼住户经东门通行",
    "necessity": "住户要求免接触通行，门卡曾被转借和遗失",
    "method": "identify",
    "why_not_verify": "住户通行时不停步声明身份",
    "location_type": "residential_entrance",
    "retention_days": 365,
    "alternatives": ["密码键盘", "门岗人工核验"],
    "english": {
        "purpose": "Let residents of Block 5 through the east gate",
        "necessity": "Residents asked for hands-free entry; cards were shared and lost",
        "why_not_verify": "Residents walk through without stopping to claim an identity",
        "alternatives": ["PIN pad", "guard desk"],
    },
}
INCIDENT = {
    "severity": "major",
    "description": "A backup disk with encrypted templates was lost",
    "categories": "face templates (encrypted)",
    "cause": "A courier lost the disk",
    "harm": "Little: the templates are encrypted and their keys were not on the disk",
    "measures": "Keys rotated; courier contract reviewed",
    "remedies": "Nothing is needed; you may withdraw your consent at any time",
    "contact": "dpo@sunrise.cn",
}


def codes(response: object) -> set[str]:
    body = response.json()  # type: ignore[attr-defined]
    return {r["code"] for r in body["error"].get("reasons") or ()}


def is_pdf(response: object) -> bool:
    content: bytes = response.content  # type: ignore[attr-defined]
    return content.startswith(b"%PDF")


# -- PIPIA and notice ---------------------------------------------------------------------
def test_activation_needs_an_approved_pipia_and_a_published_notice(
    client: TestClient, keys: Keys, north: Site
) -> None:
    admin, dpo = keys.header("admin"), keys.header("dpo")
    created = client.post(
        "/v1/deployments",
        json={"controller_id": north.controller_id, **NEW_DEPLOYMENT},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    deployment = created.json()["id"]
    base = f"/v1/deployments/{deployment}"

    refused = client.post(f"{base}/activate", headers=admin)
    assert refused.status_code == 422, refused.text
    assert {"pipia.before", "notice.required_items"} <= codes(refused)
    assert refused.json()["request_id"]
    # Nothing yet to read.
    assert client.get(f"{base}/pipia", headers=dpo).status_code == 404
    assert client.get(f"{base}/notice").status_code == 404

    draft = client.post(f"{base}/pipia", headers=admin)
    assert draft.status_code == 201, draft.text
    assert draft.json()["status"] == "draft"
    assert set(draft.json()["aspects"]) == set(ASPECT_KEYS)
    assert client.post(f"{base}/pipia", headers=dpo).status_code == 409  # one draft at a time

    aspect = ASPECT_KEYS[0]
    edited = client.patch(
        f"{base}/pipia",
        json={"aspect": aspect, "findings": [{"en": "Lawful and necessary", "zh": "合法且必要"}]},
        headers=dpo,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["aspects"][aspect]["findings"] == [
        {"en": "Lawful and necessary", "zh": "合法且必要", "confirmed": True}
    ]
    unknown = client.patch(f"{base}/pipia", json={"aspect": "weather"}, headers=dpo)
    assert unknown.status_code == 400
    empty = client.patch(f"{base}/pipia", json={"aspect": aspect, "findings": [{}]}, headers=dpo)
    assert empty.status_code == 400

    shown = client.get(f"{base}/pipia", headers=admin)
    assert shown.status_code == 200
    assert shown.json()["decision"]["allowed"] is False
    assert "pipia.before" in {r["code"] for r in shown.json()["decision"]["reasons"]}

    approval = {"approver": "Li Wei", "role": "dpo"}
    assert client.post(f"{base}/pipia/approve", json=approval, headers=admin).status_code == 403
    blank = client.post(f"{base}/pipia/approve", json={"approver": "  "}, headers=dpo)
    assert blank.status_code == 422, blank.text
    unreviewed = client.post(f"{base}/pipia/approve", json=approval, headers=dpo)
    assert unreviewed.status_code == 422  # drafted statements nobody has confirmed
    pending = client.get(f"{base}/pipia", headers=dpo).json()["unconfirmed"]
    assert pending and "conclusion" in pending
    bad = client.post(f"{base}/pipia/confirm", json={"statements": ["x.y.9"]}, headers=dpo)
    assert bad.status_code == 400
    conclusion = {"risk_level": "medium", "may_proceed": True,
                  "conditions": [{"en": "Only with consent", "zh": "仅在取得同意后"}]}  # fmt: skip
    concluded = client.put(f"{base}/pipia/conclusion", json=conclusion, headers=dpo)
    assert concluded.status_code == 200, concluded.text
    rest = [p for p in pending if p != "conclusion"]
    confirmed = client.post(f"{base}/pipia/confirm", json={"statements": rest}, headers=dpo)
    assert confirmed.status_code == 200 and confirmed.json()["unconfirmed"] == []
    approved = client.post(f"{base}/pipia/approve", json=approval, headers=dpo)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["approver"] == "Li Wei"
    late = client.patch(f"{base}/pipia", json={"aspect": aspect, "measures": []}, headers=dpo)
    assert late.status_code == 409  # only a draft changes

    still = client.post(f"{base}/activate", headers=admin)
    assert still.status_code == 422
    assert codes(still) == {"notice.required_items"}

    assert client.post(f"{base}/notice", headers=keys.header("operator")).status_code == 403
    published = client.post(f"{base}/notice", headers=dpo)
    assert published.status_code == 200, published.text
    assert published.json()["version"] == 1
    assert len(published.json()["sha256"]) == 64
    again = client.post(f"{base}/notice", headers=admin)  # unchanged: the same version
    assert again.json()["version"] == 1

    active = client.post(f"{base}/activate", headers=admin)
    assert active.status_code == 200, active.text
    assert active.json()["status"] == "active"


def test_pipia_report_html_and_pdf(client: TestClient, keys: Keys, north: Site) -> None:
    url = f"/v1/deployments/{north.deployment_id}/pipia/report"
    zh = client.get(url, headers=keys.header("dpo"))
    assert zh.status_code == 200, zh.text
    assert zh.headers["content-type"].startswith("text/html")
    assert "个人信息保护影响评估报告" in zh.text
    en = client.get(url, params={"lang": "en"}, headers=keys.header("admin"))
    assert "impact assessment report" in en.text
    pdf = client.get(url, params={"lang": "en", "format": "pdf"}, headers=keys.header("dpo"))
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert is_pdf(pdf)
    assert "attachment" in pdf.headers["content-disposition"]
    assert client.get(url, params={"lang": "fr"}, headers=keys.header("dpo")).status_code == 400
    assert client.get(url, headers=keys.header("operator")).status_code == 403
    assert client.get(url).status_code == 401


def test_public_notice_page_needs_no_key(client: TestClient, api_gate: Gate, north: Site) -> None:
    url = f"/v1/deployments/{north.deployment_id}/notice"
    api_gate.ctx.public_url = "https://faces.example.cn"
    page = client.get(url)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "人脸信息处理告知书" in page.text
    assert 'lang="zh-CN"' in page.text
    assert north.notice_hash in page.text
    # its own address under the configured public URL, as the sign's QR code has it
    assert page.text.count(f"https://faces.example.cn{url}") >= 1
    spoofed = client.get(url, headers={"Host": "evil.example"})
    assert "evil.example" not in spoofed.text  # never a link from the Host header
    api_gate.ctx.public_url = ""
    unconfigured = client.get(url, headers={"Host": "evil.example"})
    assert unconfigured.status_code == 200 and "evil.example" not in unconfigured.text
    english = client.get(url, params={"lang": "en"})
    assert "Notice on the processing of face information" in english.text
    assert "人脸信息处理告知书" not in english.text
    both = client.get(url, params={"lang": "bilingual", "large": "true"})
    assert "人脸信息处理告知书" in both.text
    assert "Notice on the processing of face information" in both.text
    assert 'class="notice large"' in both.text
    assert client.get(url, params={"lang": "fr"}).status_code == 400
    missing = client.get("/v1/deployments/nope/notice")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_deployment"


def test_notice_sign_pdf(client: TestClient, api_gate: Gate, keys: Keys, north: Site) -> None:
    url = f"/v1/deployments/{north.deployment_id}/notice/sign.pdf"
    api_gate.ctx.public_url = ""
    refused = client.get(url, headers=keys.header("admin"))  # no public URL: no sign
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "public_url_missing"
    api_gate.ctx.public_url = "http://127.0.0.1:8000"  # loopback: only in a demo
    assert client.get(url, headers=keys.header("admin")).status_code == 409
    api_gate.ctx.public_url = "https://faces.example.cn"
    sign = client.get(url, headers=keys.header("admin"))
    assert sign.status_code == 200, sign.text
    assert sign.headers["content-type"] == "application/pdf"
    assert is_pdf(sign)
    assert client.get(url, headers=keys.header("operator")).status_code == 403
    assert client.get(url, headers=keys.header("device")).status_code == 403
    assert client.get(url).status_code == 401


def test_stale_consents_after_a_new_notice_version(
    client: TestClient, api_gate: Gate, keys: Keys, north: Site
) -> None:
    person = api_gate.register_subject(date_of_birth=date(1990, 1, 1))
    api_gate.record_consent(person.id, north.deployment_id, CONSENT)
    url = f"/v1/deployments/{north.deployment_id}/notice/stale-consents"
    fresh = client.get(url, headers=keys.header("operator"))
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["stale"] == []
    assert fresh.json()["current_version"] == 1

    changed = client.patch(
        f"/v1/deployments/{north.deployment_id}",
        json={"retention_days": 180},
        headers=keys.header("admin"),
    )
    assert changed.status_code == 200, changed.text
    republished = client.post(
        f"/v1/deployments/{north.deployment_id}/notice", headers=keys.header("admin")
    )
    assert republished.json()["version"] == 2
    stale = client.get(url, headers=keys.header("dpo")).json()
    assert stale["current_version"] == 2
    assert [(c["subject_id"], c["notice_version"]) for c in stale["stale"]] == [(person.id, 1)]
    assert client.get(url, headers=keys.header("admin")).status_code == 403


# -- processing records -------------------------------------------------------------------
def test_processing_records_json_csv_pdf(
    client: TestClient, api_gate: Gate, keys: Keys, north: Site
) -> None:
    person = api_gate.register_subject(date_of_birth=date(1990, 1, 1))
    api_gate.record_consent(person.id, north.deployment_id, CONSENT)
    api_gate.withdraw_consent(person.id, north.deployment_id)
    today = law.china_date(datetime.now(UTC))
    period = {
        "deployment_id": north.deployment_id,
        "from": (today - timedelta(days=1)).isoformat(),
        "to": (today + timedelta(days=1)).isoformat(),
    }
    records = client.get("/v1/records", params=period, headers=keys.header("dpo"))
    assert records.status_code == 200, records.text
    body = records.json()
    assert body["deployment_id"] == north.deployment_id
    assert body["totals"]["withdrawals"] == 1
    assert [r["withdrawals"] for r in body["rows"]] == [1]

    csv = client.get(
        "/v1/records", params={**period, "format": "csv"}, headers=keys.header("admin")
    )
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("day,deployment_id,actor,enrolments")
    assert len(csv.text.splitlines()) == 2
    pdf = client.get("/v1/records", params={**period, "format": "pdf"}, headers=keys.header("dpo"))
    assert pdf.headers["content-type"] == "application/pdf"
    assert is_pdf(pdf)

    everything = client.get(
        "/v1/records",
        params={"from": period["from"], "to": period["to"]},
        headers=keys.header("dpo"),
    )
    assert everything.status_code == 200
    assert everything.json()["deployment_id"] is None
    backwards = {**period, "from": period["to"], "to": period["from"]}
    assert (
        client.get("/v1/records", params=backwards, headers=keys.header("dpo")).status_code == 400
    )
    assert client.get("/v1/records", headers=keys.header("dpo")).status_code == 400
    ancient = {**period, "from": "0001-01-01", "to": "0001-01-01"}
    assert client.get("/v1/records", params=ancient, headers=keys.header("dpo")).status_code == 400
    unknown = {**period, "deployment_id": "nope"}
    assert client.get("/v1/records", params=unknown, headers=keys.header("dpo")).status_code == 404
    assert (
        client.get("/v1/records", params=period, headers=keys.header("operator")).status_code == 403
    )


# -- incidents ----------------------------------------------------------------------------
def test_incident_stales_the_pipia_and_has_letters(
    client: TestClient, keys: Keys, north: Site
) -> None:
    dpo = keys.header("dpo")
    incident = {
        **INCIDENT,
        "controller_id": north.controller_id,
        "occurred_at": "2026-10-02T08:30:00+08:00",
        "deployment_ids": [north.deployment_id],
    }
    assert (
        client.post("/v1/incidents", json=incident, headers=keys.header("admin")).status_code == 403
    )
    recorded = client.post("/v1/incidents", json=incident, headers=dpo)
    assert recorded.status_code == 201, recorded.text
    view = recorded.json()
    assert view["severity"] == "major"
    assert view["pipia_staled"] == [north.deployment_id]
    pipia = client.get(f"/v1/deployments/{north.deployment_id}/pipia", headers=dpo).json()
    assert pipia["status"] == "stale"
    assert pipia["decision"]["allowed"] is False

    listed = client.get("/v1/incidents", headers=dpo)
    assert [i["id"] for i in listed.json()] == [view["id"]]
    assert client.get("/v1/incidents", headers=keys.header("operator")).status_code == 403

    letters = f"/v1/incidents/{view['id']}/letters"
    authority = client.get(f"{letters}/authority", headers=dpo)
    assert authority.status_code == 200, authority.text
    assert authority.headers["content-type"].startswith("text/html")
    assert "个人信息安全事件报告" in authority.text
    people = client.get(f"{letters}/people", params={"lang": "en"}, headers=dpo)
    assert "Notice of a personal information security incident" in people.text
    pdf = client.get(f"{letters}/people", params={"format": "pdf"}, headers=dpo)
    assert pdf.headers["content-type"] == "application/pdf"
    assert is_pdf(pdf)
    assert client.get(f"{letters}/press", headers=dpo).status_code == 400
    assert client.get("/v1/incidents/nope/letters/people", headers=dpo).status_code == 404
    assert client.get(f"{letters}/people", headers=keys.header("admin")).status_code == 403

    incomplete = {**incident, "harm": ""}
    assert client.post("/v1/incidents", json=incomplete, headers=dpo).status_code == 400


def test_minor_incident_at_the_time_of_recording(
    client: TestClient, keys: Keys, north: Site
) -> None:
    recorded = client.post(
        "/v1/incidents",
        json={**INCIDENT, "severity": "minor", "controller_id": north.controller_id},
        headers=keys.header("dpo"),
    )
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["pipia_staled"] == []
    assert recorded.json()["recorded_by"]
    unknown = client.post(
        "/v1/incidents",
        json={**INCIDENT, "controller_id": "nope"},
        headers=keys.header("dpo"),
    )
    assert unknown.status_code == 404


# -- filing -------------------------------------------------------------------------------
@pytest.fixture
def filing_id(api_gate: Gate, north: Site) -> str:
    with api_gate.ctx.unit() as session:
        row = open_threshold_obligation(session, north.controller_id, 100_000, api_gate.ctx.now())
        assert row is not None
        return row.id


def test_filing_status_submit_accept(
    client: TestClient, keys: Keys, north: Site, filing_id: str
) -> None:
    status = client.get("/v1/filing", headers=keys.header("admin"))
    assert status.status_code == 200, status.text
    mine = {c["controller_id"]: c for c in status.json()["controllers"]}[north.controller_id]
    assert [o["id"] for o in mine["obligations"]] == [filing_id]
    assert mine["obligations"][0]["status"] == "open"
    assert client.get("/v1/filing", headers=keys.header("operator")).status_code == 403

    accept = f"/v1/filing/{filing_id}/accept"
    assert client.post(accept, headers=keys.header("dpo")).status_code == 409  # not submitted
    submit = f"/v1/filing/{filing_id}/submit"
    assert (
        client.post(submit, json={"reference": ""}, headers=keys.header("dpo")).status_code == 400
    )
    submitted = client.post(
        submit, json={"reference": "JING-2026-0042"}, headers=keys.header("dpo")
    )
    assert submitted.status_code == 200, submitted.text
    assert (submitted.json()["status"], submitted.json()["reference"]) == (
        "submitted",
        "JING-2026-0042",
    )
    accepted = client.post(accept, headers=keys.header("admin"))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert client.post("/v1/filing/nope/accept", headers=keys.header("dpo")).status_code == 404
    refused = client.post(submit, json={"reference": "x"}, headers=keys.header("operator"))
    assert refused.status_code == 403


def test_filing_package_zip(client: TestClient, keys: Keys, north: Site) -> None:
    package = client.get(
        "/v1/filing/package",
        params={"controller_id": north.controller_id},
        headers=keys.header("dpo"),
    )
    assert package.status_code == 200, package.text
    assert package.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(package.content)).namelist()
    stem = f"filing-{north.controller_id}"
    assert {f"{stem}.zh.pdf", f"{stem}.en.html", f"{stem}.checklist.json"} <= set(names)
    assert (
        client.get(
            "/v1/filing/package", params={"controller_id": "nope"}, headers=keys.header("dpo")
        ).status_code
        == 404
    )
    assert client.get("/v1/filing/package", headers=keys.header("dpo")).status_code == 400
    assert (
        client.get(
            "/v1/filing/package",
            params={"controller_id": north.controller_id},
            headers=keys.header("admin"),
        ).status_code
        == 403
    )


def test_demo_prints_the_public_notice_page(tmp_path: Path) -> None:
    site = DemoState("controller", "deployment-1", "device", {})
    with console.capture() as captured:
        introduce(site, DemoKeys(), FIXTURES, "127.0.0.1", 8000, tmp_path)
    assert "http://127.0.0.1:8000/v1/deployments/deployment-1/notice" in captured.get()
