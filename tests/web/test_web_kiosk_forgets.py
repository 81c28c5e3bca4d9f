"""The kiosk forgets, on the server, whatever the page's script does (no browser here: FastAPI's
test client sends requests as a kiosk whose JavaScript was bypassed would).

A returning person is found by their face (1:N, their explicit act) or their card and face
(1:1) and never types an id; "my data" needs their face or card again once they have left or
idled out; deleting asks first; a duplicate face tells nobody anything and leaves nothing
behind; the alternative page offers what the deployment offers, with retries and a lockout
that says when to come back.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from http.cookiejar import Cookie

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_support import form_token

import photos
from facegate.api import ApiSettings, create_app
from facegate.service import ConsentSpec, Gate
from facegate.service.access import issue_key
from facegate.store import models as m
from facegate.web.sessions import KIOSK_COOKIE
from sites import CONSENT, Site, make_site

pytestmark = pytest.mark.both_databases

IDLE = 1.5
OBAMA_1 = (photos.FIXTURES / "obama_1.jpg").read_bytes()
OBAMA_2 = (photos.FIXTURES / "obama_2.jpg").read_bytes()
BIDEN = (photos.FIXTURES / "biden.jpg").read_bytes()


@pytest.fixture(scope="module")
def client(web_gate: Gate) -> Iterator[TestClient]:
    app = create_app(web_gate, ApiSettings(kiosk_idle_seconds=IDLE))
    with TestClient(app) as test_client:
        yield test_client


def open_kiosk(client: TestClient, gate: Gate, site: Site) -> str:
    """Open the kiosk with the device's key; the CSRF token of its forms."""
    client.cookies.clear()
    form = client.get("/kiosk/login")
    key = issue_key(gate.ctx, "device", device_id=site.device_id, actor="test").token
    opened = client.post("/kiosk/login", data={"csrf_token": form_token(form.text), "api_key": key})
    assert opened.status_code == 200
    return form_token(opened.text)


def enrolled(gate: Gate, site: Site, photo: bytes = OBAMA_1) -> str:
    subject = gate.register_subject(date_of_birth=date(1961, 8, 4))
    gate.record_consent(subject.id, site.deployment_id, CONSENT)
    gate.enrol(subject.id, site.deployment_id, photo)
    return subject.id


def copy_cookie(client: TestClient) -> Cookie:
    """A copy of the kiosk's cookie as it is now."""
    return next(c for c in client.cookies.jar if c.name == KIOSK_COOKIE)


def restore(client: TestClient, cookie: Cookie) -> None:
    """Put back a copy of the kiosk's cookie taken earlier."""
    client.cookies.clear()
    client.cookies.jar.set_cookie(cookie)


def upload(client: TestClient, path: str, csrf: str, photo: bytes) -> str:
    response = client.post(
        path, data={"csrf_token": csrf}, files={"image": ("photo.jpg", photo, "image/jpeg")}
    )
    return response.text


def consents_in(gate: Gate, deployment_id: str) -> int:
    with gate.ctx.db.transaction(readonly=True) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(m.Consent)
                .where(m.Consent.deployment_id == deployment_id)
            )
            or 0
        )


def test_a_returning_person_is_recognised_without_an_id_and_forgotten_after_the_idle_timeout(
    client: TestClient, web_gate: Gate
) -> None:
    site = make_site(web_gate, name="Forgetful lobby", liveness="off")
    enrolled(web_gate, site)
    csrf = open_kiosk(client, web_gate, site)
    start = client.get("/kiosk").text
    assert 'data-testid="returning"' in start  # "我已登记"
    capture = client.get("/kiosk/returning").text
    assert "识别已登记的人" in capture and 'action="/kiosk/returning/face"' in capture
    welcome = upload(client, "/kiosk/returning/face", csrf, OBAMA_2)
    assert "欢迎回来" in welcome
    mine = client.get("/kiosk/me").text
    assert 'data-testid="template-count">1<' in mine
    copied = copy_cookie(client)

    time.sleep(IDLE + 0.5)  # nobody touches the kiosk; its script never runs here
    assert 'data-testid="me-auth"' in client.get("/kiosk/me").text  # asks for a face again
    restore(client, copied)  # the cookie from before: dead too
    assert 'data-testid="me-auth"' in client.get("/kiosk/me").text

    # Asked for by "my data", the face leads straight to it.
    assert 'data-testid="template-count">1<' in upload(
        client, "/kiosk/returning/face", csrf, OBAMA_2
    )
    # Done ends the session for every copy of the cookie at once.
    copied = copy_cookie(client)
    client.post("/kiosk/done", data={"csrf_token": csrf})
    restore(client, copied)
    assert 'data-testid="me-auth"' in client.get("/kiosk/me").text

    # A stranger is not recognised, and is told nothing about anyone.
    stranger = upload(client, "/kiosk/returning/face", csrf, BIDEN)
    assert "未能认出您" in stranger and 'data-testid="template-count"' not in stranger


def test_a_duplicate_face_tells_nothing_and_leaves_no_subject_or_consent(
    client: TestClient, web_gate: Gate
) -> None:
    site = make_site(web_gate, name="Duplicate lobby", liveness="off")
    enrolled(web_gate, site)
    csrf = open_kiosk(client, web_gate, site)
    client.post("/kiosk/face", data={"csrf_token": csrf, "age": "14plus"})
    client.post(
        "/kiosk/face/consent", data={"csrf_token": csrf, "consent": "yes", "choice": "agree"}
    )
    assert consents_in(web_gate, site.deployment_id) == 2
    refused = client.post(
        "/kiosk/face/enrol",
        data={"csrf_token": csrf},
        files={"image": ("photo.jpg", OBAMA_2, "image/jpeg")},
    )
    assert refused.status_code == 409
    assert "未能登记" in refused.text
    for telling in ("已登记", "already", "enrolled", "duplicate", "另一"):
        assert telling not in refused.text.split("<main", 1)[1].split("</main>", 1)[0]
    assert consents_in(web_gate, site.deployment_id) == 1  # the stranger's consent is gone
    assert 'data-testid="me-auth"' in client.get("/kiosk/me").text


def test_a_consent_without_a_face_is_erased_when_the_person_walks_away(
    client: TestClient, web_gate: Gate
) -> None:
    site = make_site(web_gate, name="Walk-away lobby", liveness="off")
    csrf = open_kiosk(client, web_gate, site)
    client.post("/kiosk/face", data={"csrf_token": csrf, "age": "14plus"})
    capture = client.post(
        "/kiosk/face/consent", data={"csrf_token": csrf, "consent": "yes", "choice": "agree"}
    )
    assert "拍摄人脸" in capture.text
    assert consents_in(web_gate, site.deployment_id) == 1
    time.sleep(IDLE + 0.5)
    assert "使用人脸识别" in client.get("/kiosk").text  # the next person's first request
    assert consents_in(web_gate, site.deployment_id) == 0


def test_deleting_my_data_asks_first(client: TestClient, web_gate: Gate) -> None:
    site = make_site(web_gate, name="Delete lobby", liveness="off")
    subject_id = enrolled(web_gate, site)
    csrf = open_kiosk(client, web_gate, site)
    assert "欢迎回来" in upload(client, "/kiosk/returning/face", csrf, OBAMA_2)
    confirm = client.get("/kiosk/me/delete").text
    assert "无法恢复" in confirm and 'name="confirm" value="yes"' in confirm
    unconfirmed = client.post("/kiosk/me/delete", data={"csrf_token": csrf})
    assert "无法恢复" in unconfirmed.text  # back to the question, nothing deleted
    assert web_gate.subject_report(subject_id, actor="test")["held"]
    deleted = client.post("/kiosk/me/delete", data={"csrf_token": csrf, "confirm": "yes"})
    assert "您的数据已删除" in deleted.text
    assert not web_gate.subject_report(subject_id, actor="test")["held"]


def test_a_returning_person_at_a_one_to_one_kiosk_uses_card_and_face(
    client: TestClient, web_gate: Gate
) -> None:
    site = make_site(
        web_gate,
        name="Card lobby",
        liveness="off",
        method="verify",
        why_not_verify="",
        alternatives=("门禁卡", "门卫值班"),
    )
    subject_id = enrolled(web_gate, site)
    web_gate.add_credential(subject_id, site.deployment_id, "card", "CARD-00042")
    csrf = open_kiosk(client, web_gate, site)
    card = client.get("/kiosk/returning").text
    assert 'action="/kiosk/returning/card"' in card and "/kiosk/returning/face" not in card
    wrong = client.post(
        "/kiosk/returning/card", data={"csrf_token": csrf, "kind": "card", "secret": "CARD-99999"}
    )
    assert wrong.text.count("没有找到这张卡") == 1 and 'id="secret-error"' in wrong.text
    face = client.post(
        "/kiosk/returning/card", data={"csrf_token": csrf, "kind": "card", "secret": "CARD-00042"}
    )
    assert 'action="/kiosk/face/verify"' in face.text
    assert "验证通过" in upload(client, "/kiosk/face/verify", csrf, OBAMA_2)


def test_the_alternative_page_follows_the_deployment_and_locks_out_with_retry_after(
    client: TestClient, web_gate: Gate
) -> None:
    cards = make_site(web_gate, name="Card-only gate", alternatives=("门禁卡",))
    open_kiosk(client, web_gate, cards)
    page = client.get("/kiosk/alternative").text
    assert 'data-testid="alt-card"' in page
    assert 'data-testid="alt-pin"' not in page and 'data-testid="alt-qr"' not in page

    pins = make_site(web_gate, name="PIN gate")  # "PIN pad", "guard desk"
    subject = web_gate.register_subject(date_of_birth=date(1980, 2, 3))
    web_gate.add_credential(subject.id, pins.deployment_id, "pin", "482915")
    csrf = open_kiosk(client, web_gate, pins)
    page = client.get("/kiosk/alternative").text
    assert 'data-testid="alt-pin"' in page and 'data-testid="alt-staff"' in page
    assert 'data-testid="alt-card"' not in page
    wrong = {"csrf_token": csrf, "kind": "pin", "member": subject.id, "pin": "000000"}
    for _ in range(5):
        retry = client.post("/kiosk/alternative", data=wrong)
        assert retry.status_code == 200 and retry.text.count("请再试一次") == 1
        assert f'value="{subject.id}"' in retry.text  # the number is kept
    locked = client.post("/kiosk/alternative", data={**wrong, "pin": "482915"})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert "分钟后重试" in locked.text


def test_self_enrolment_with_the_front_desks_one_time_code(
    client: TestClient, web_gate: Gate
) -> None:
    from facegate.service.enrolment_codes import issue_enrolment_code
    from facegate.service.persons import PersonSpec, add_person

    site = make_site(web_gate, name="Code lobby", liveness="off")
    resident = add_person(
        web_gate.ctx,
        site.controller_id,
        PersonSpec(name="王芳", unit="3-502", age_attested=True),
        actor="test",
    )
    desk_consent = ConsentSpec(alternative_offered=True, form="written")
    issued = issue_enrolment_code(
        web_gate.ctx, resident.id, site.deployment_id, consent=desk_consent, actor="test"
    )
    csrf = open_kiosk(client, web_gate, site)
    assert 'href="/kiosk/code"' in client.get("/kiosk").text
    wrong = client.post("/kiosk/code", data={"csrf_token": csrf, "code": "2345-6789"})
    assert wrong.text.count("这个注册码无效") == 1 and 'id="code-error"' in wrong.text
    assert 'value="2345-6789"' not in wrong.text  # a code is a secret: not kept
    capture = client.post("/kiosk/code", data={"csrf_token": csrf, "code": issued.code.lower()})
    assert "拍摄人脸" in capture.text  # the consent was recorded at the desk: straight on
    enrolled_page = upload(client, "/kiosk/face/enrol", csrf, OBAMA_1)
    assert 'action="/kiosk/face/verify"' in enrolled_page
    assert "验证通过" in upload(client, "/kiosk/face/verify", csrf, OBAMA_2)
    report = web_gate.subject_report(issued.subject_id, actor="test")
    assert len(report["templates"]) == 1  # under the person's own record
    again = client.post("/kiosk/code", data={"csrf_token": csrf, "code": issued.code})
    assert "这个注册码无效" in again.text  # spent


def test_a_pin_is_claimed_by_name_and_flat_never_by_an_id(
    client: TestClient, web_gate: Gate
) -> None:
    from facegate.service.persons import PersonSpec, add_person

    site = make_site(web_gate, name="Name gate")
    resident = add_person(
        web_gate.ctx,
        site.controller_id,
        PersonSpec(name="张伟", unit="3-1202", age_attested=True),
        actor="test",
    )
    web_gate.add_credential(resident.subject_id, site.deployment_id, "pin", "305511")
    csrf = open_kiosk(client, web_gate, site)
    form = {"csrf_token": csrf, "kind": "pin", "name": "张伟", "unit": "3-1201", "pin": "305511"}
    wrong_flat = client.post("/kiosk/alternative", data=form)
    assert wrong_flat.text.count("请再试一次") == 1 and 'value="张伟"' in wrong_flat.text
    passed = client.post("/kiosk/alternative", data={**form, "unit": "3-1202"})
    assert "密码正确" in passed.text
    no_name = client.post("/kiosk/alternative", data={**form, "name": ""})
    assert 'id="name-error"' in no_name.text
