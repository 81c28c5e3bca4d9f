"""Sessions, CSRF and who may open what, without a browser (FastAPI's test client)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from web_support import form_token as token

import photos
from facegate.api import create_app
from facegate.service import Gate
from facegate.service.access import issue_key
from facegate.web.sessions import CONSOLE_COOKIE, Signer

pytestmark = pytest.mark.both_databases


def test_signed_cookies_refuse_tampering_and_age() -> None:
    signer = Signer(b"k" * 32, max_age=60)
    value = signer.dumps({"role": "dpo"})
    assert signer.loads(value) == {"role": "dpo"}
    mac = value.partition(".")[2]
    forged = signer.dumps({"role": "admin"}).partition(".")[0]
    assert signer.loads(f"{forged}.{mac}") is None
    assert signer.loads(value + "x") is None
    assert Signer(b"j" * 32).loads(value) is None
    assert Signer(b"k" * 32, max_age=-1).loads(value) is None
    assert signer.loads("garbage") is None


@pytest.fixture(scope="module")
def client(web_gate: Gate) -> Iterator[TestClient]:
    with TestClient(create_app(web_gate)) as test_client:
        yield test_client


def login(client: TestClient, key: str) -> int:
    """Log in with the console in English (its toggle; Chinese is the default)."""
    form = client.get("/console/login", params={"lang": "en"})
    data = {"csrf_token": token(form.text), "api_key": key}
    return client.post("/console/login", data=data, follow_redirects=False).status_code


def test_console_login_needs_the_form_token(client: TestClient, web_gate: Gate) -> None:
    client.cookies.clear()
    admin = issue_key(web_gate.ctx, "admin", actor="test").token
    refused = client.post("/console/login", data={"api_key": admin}, follow_redirects=False)
    assert refused.status_code == 401
    assert "页面已过期" in refused.text  # csrf_failed, in the console's default language
    assert login(client, admin) == 303
    assert client.get("/console").status_code == 200


def test_console_is_for_staff_keys_only(client: TestClient, web_gate: Gate) -> None:
    client.cookies.clear()
    assert login(client, "fgk_0000000000000000_nope") == 401
    from sites import make_site

    site = make_site(web_gate, name="Session test gate")
    device = issue_key(web_gate.ctx, "device", device_id=site.device_id, actor="test").token
    assert login(client, device) == 401
    assert client.get("/console", follow_redirects=False).headers["location"] == "/console/login"


def test_a_forged_session_is_a_stranger(client: TestClient) -> None:
    client.cookies.clear()
    forged = Signer(b"not the server's key").dumps({"key_id": "0" * 16, "role": "admin"})
    client.cookies.set(CONSOLE_COOKIE, forged)
    response = client.get("/console", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login"


def test_posts_without_the_token_change_nothing(client: TestClient, web_gate: Gate) -> None:
    client.cookies.clear()
    admin = issue_key(web_gate.ctx, "admin", actor="test").token
    assert login(client, admin) == 303
    before = len(web_gate.deployments())
    response = client.post(
        "/console/deployments/new",
        data={"name": "Sneaky", "purpose": "x", "necessity": "y", "alternatives": "PIN"},
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert len(web_gate.deployments()) == before


def test_the_wizard_refuses_a_prohibited_place_even_if_posted(
    client: TestClient, web_gate: Gate
) -> None:
    client.cookies.clear()
    admin = issue_key(web_gate.ctx, "admin", actor="test").token
    assert login(client, admin) == 303
    page = client.get("/console/deployments/new")
    assert 'value="public_toilet"' not in page.text
    before = len(web_gate.deployments())
    response = client.post(
        "/console/deployments/new",
        data={
            "csrf_token": token(page.text),
            "controller_name": "Acme",
            "controller_contact": "dpo@acme.cn",
            "name": "Washroom",
            "purpose_type": "access_control",
            "purpose": "通行",
            "necessity": "确有必要",
            "method": "verify",
            "location_type": "public_toilet",
            "retention_days": "30",
            "alternatives": "钥匙",
        },
    )
    assert response.status_code == 422
    assert len(web_gate.deployments()) == before


def test_a_kiosk_opens_only_with_a_device_key(client: TestClient, web_gate: Gate) -> None:
    client.cookies.clear()
    assert client.get("/kiosk").status_code == 401
    form = client.get("/kiosk/login")
    dpo = issue_key(web_gate.ctx, "dpo", actor="test").token
    response = client.post("/kiosk/login", data={"csrf_token": token(form.text), "api_key": dpo})
    assert response.status_code == 401
    assert "device" in response.text


def test_the_dpo_pages_and_downloads(client: TestClient, web_gate: Gate) -> None:
    from sites import make_site

    site = make_site(web_gate, name="Downloads gate")
    subject = web_gate.register_subject(date_of_birth=None)
    client.cookies.clear()
    assert login(client, issue_key(web_gate.ctx, "dpo", actor="test").token) == 303
    preview = client.get(f"/console/deployments/{site.deployment_id}/notice")
    assert preview.status_code == 200
    assert 'lang="zh-CN"' in preview.text and 'lang="en"' in preview.text
    web_gate.ctx.public_url = ""  # no public URL: the console says so instead of a sign
    refused = client.get(f"/console/deployments/{site.deployment_id}/sign.pdf")
    assert refused.headers["content-type"].startswith("text/html")
    web_gate.ctx.public_url = "https://faces.example.cn"
    sign = client.get(f"/console/deployments/{site.deployment_id}/sign.pdf")
    assert sign.headers["content-type"] == "application/pdf" and sign.content[:4] == b"%PDF"
    found = client.get("/console/subjects", params={"subject_id": subject.id})
    assert subject.id in found.text and "Erase this subject" in found.text
    records = client.get(
        "/console/records.csv", params={"start": "2026-01-01", "end": "2026-12-31"}
    )
    assert records.status_code == 200 and records.headers["content-type"].startswith("text/csv")
    package = client.get(f"/console/filing/{site.controller_id}/package.zip")
    assert package.status_code == 200 and package.content[:2] == b"PK"
    erased = client.post(
        f"/console/subjects/{subject.id}/delete",
        data={"csrf_token": token(found.text)},
        follow_redirects=True,
    )
    assert "Subject erased" in erased.text


def test_the_kiosk_says_what_is_wrong_with_a_photo(client: TestClient, web_gate: Gate) -> None:
    from sites import make_site

    site = make_site(web_gate, name="Feedback gate")
    client.cookies.clear()
    form = client.get("/kiosk/login")
    device = issue_key(web_gate.ctx, "device", device_id=site.device_id, actor="test").token
    opened = client.post("/kiosk/login", data={"csrf_token": token(form.text), "api_key": device})
    assert "使用人脸识别" in opened.text
    csrf = token(client.get("/kiosk/face").text)
    client.post("/kiosk/face", data={"csrf_token": csrf, "date_of_birth": "1985-03-04"})
    consent = client.get("/kiosk/face/consent")
    assert 'name="consent" value="yes" id="consent">' in consent.text  # not pre-ticked
    capture = client.post(
        "/kiosk/face/consent",
        data={"csrf_token": csrf, "consent": "yes", "choice": "agree"},
    )
    assert "拍摄人脸" in capture.text
    for image, hint in ((photos.dark(), "太暗了"), (photos.no_face(), "没有看到人脸")):
        refused = client.post(
            "/kiosk/face/enrol",
            data={"csrf_token": csrf},
            files={"image": ("photo.jpg", image, "image/jpeg")},
        )
        assert refused.status_code == 422
        assert hint in refused.text


def test_every_kiosk_step_of_a_closed_kiosk_shows_its_login(client: TestClient) -> None:
    client.cookies.clear()
    for method, path in [("get", "/kiosk/face"), ("post", "/kiosk/face"), ("get", "/kiosk/me")]:
        response = getattr(client, method)(path)
        assert response.status_code == 401, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert "/kiosk/login" in response.text, path


def test_minor_guardian_allowed_kiosk_adult_attests_14_or_older_without_a_date_of_birth(
    client: TestClient, web_gate: Gate
) -> None:
    from sqlalchemy import select

    from facegate.store import models as m
    from sites import make_site

    site = make_site(web_gate, name="Attestation gate")
    client.cookies.clear()
    form = client.get("/kiosk/login")
    device = issue_key(web_gate.ctx, "device", device_id=site.device_id, actor="test").token
    client.post("/kiosk/login", data={"csrf_token": token(form.text), "api_key": device})
    age = client.get("/kiosk/face").text
    assert "我已年满14周岁" in age
    csrf = token(age)
    client.post("/kiosk/face", data={"csrf_token": csrf, "age": "14plus"})
    capture = client.post(
        "/kiosk/face/consent", data={"csrf_token": csrf, "consent": "yes", "choice": "agree"}
    )
    assert "拍摄人脸" in capture.text
    with web_gate.ctx.db.transaction(readonly=True) as session:
        consent = session.scalars(
            select(m.Consent).where(m.Consent.deployment_id == site.deployment_id)
        ).one()
        subject = session.get(m.Subject, consent.subject_id)
        assert subject is not None and subject.date_of_birth is None and subject.age_attested


def test_consent_purpose_change_refused_kiosk_offers_consent_again(
    client: TestClient, web_gate: Gate
) -> None:
    from sqlalchemy import select

    from facegate.store import models as m
    from sites import make_site, prepare_activation

    site = make_site(web_gate, name="Renewal gate", liveness="off")
    client.cookies.clear()
    form = client.get("/kiosk/login")
    device = issue_key(web_gate.ctx, "device", device_id=site.device_id, actor="test").token
    client.post("/kiosk/login", data={"csrf_token": token(form.text), "api_key": device})
    csrf = token(client.get("/kiosk/face").text)
    client.post("/kiosk/face", data={"csrf_token": csrf, "age": "14plus"})
    client.post(
        "/kiosk/face/consent", data={"csrf_token": csrf, "consent": "yes", "choice": "agree"}
    )
    with web_gate.ctx.db.transaction(readonly=True) as session:
        person = session.scalars(
            select(m.Consent.subject_id).where(m.Consent.deployment_id == site.deployment_id)
        ).one()
    web_gate.enrol(person, site.deployment_id, (photos.FIXTURES / "obama_1.jpg").read_bytes())
    web_gate.update_deployment(site.deployment_id, purpose="住户及其访客经北门通行")
    prepare_activation(web_gate, site.deployment_id)

    def verify() -> str:
        return client.post(
            "/kiosk/face/verify",
            data={"csrf_token": csrf},
            files={
                "image": ("photo.jpg", (photos.FIXTURES / "obama_2.jpg").read_bytes(), "image/jpeg")
            },
        ).text

    offered = verify()
    assert "重新同意" in offered and 'name="consent" value="yes"' in offered
    renewed = client.post(
        "/kiosk/face/consent", data={"csrf_token": csrf, "consent": "yes", "choice": "agree"}
    )
    assert "已重新同意" in renewed.text
    assert "验证通过" in verify()  # the same template, under the renewed consent
    with web_gate.ctx.db.transaction(readonly=True) as session:
        consents = session.scalars(select(m.Consent).where(m.Consent.subject_id == person)).all()
    assert len(consents) == 2 and sum(c.withdrawn_at is None for c in consents) == 1
    assert web_gate.verify(
        site.device_id, person, (photos.FIXTURES / "obama_2.jpg").read_bytes()
    ).matched


def test_consent_purpose_change_console_offers_staff_assisted_reconsent(
    client: TestClient, web_gate: Gate
) -> None:
    """PIPL14 para. 2: after a change of purpose the console shows which consents need renewing
    and records the renewal, never with an unticked box counted as consent."""
    from sites import CONSENT, make_site, prepare_activation

    site = make_site(web_gate, name="Reconsent gate")
    person = web_gate.register_subject(date_of_birth=None, age_attested=True).id
    web_gate.record_consent(person, site.deployment_id, CONSENT)
    client.cookies.clear()
    assert login(client, issue_key(web_gate.ctx, "dpo", actor="test").token) == 303
    page = client.get(f"/console/subjects?subject_id={person}")
    assert "reconsent-" not in page.text  # nothing to renew yet

    web_gate.update_deployment(site.deployment_id, purpose="住户和访客经北门通行")
    prepare_activation(web_gate, site.deployment_id)
    page = client.get(f"/console/subjects?subject_id={person}")
    assert f'data-testid="reconsent-{site.deployment_id}"' in page.text
    assert "checked" not in page.text.split("reconsent-", 1)[1].split("</form>", 1)[0]

    action = f"/console/subjects/{person}/reconsent"
    fields = {"csrf_token": token(page.text), "deployment_id": site.deployment_id}
    unread = client.post(action, data={**fields, "alternative_offered": "yes"})
    assert "read the current notice" in unread.text
    no_alternative = client.post(action, data={**fields, "notice_read": "yes"})
    assert "reconsent-" in no_alternative.text  # refused by the law: still to renew
    renewed = client.post(
        action, data={**fields, "notice_read": "yes", "alternative_offered": "yes"}
    )
    assert "Consent renewed" in renewed.text
    assert "reconsent-" not in renewed.text
    report = web_gate.subject_report(person, actor="test")
    live = [c for c in report["consents"] if not c["withdrawn_at"]]
    assert len(live) == 1 and not live[0]["needs_renewal"] and live[0]["form"] == "written"
