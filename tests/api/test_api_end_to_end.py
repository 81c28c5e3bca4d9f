"""The real server (uvicorn, HTTPS with a self-signed certificate, on a free loopback port) and
the whole life of a subject over HTTP with real photos."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from api_support import Keys, as_base64, free_port, photo, self_signed

from facegate.api import ApiSettings, create_app
from facegate.service import Gate
from sites import Site

# The store on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


@pytest.fixture
def server(api_gate: Gate, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    cert, key = self_signed(tmp_path)
    port = free_port()
    config = uvicorn.Config(
        create_app(api_gate, ApiSettings(lockout_failures=3)),
        host="127.0.0.1",
        port=port,
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
        log_level="warning",
        access_log=False,
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"https://127.0.0.1:{port}", cert
    running.should_exit = True
    thread.join(10)


def verify(http: httpx.Client, key: str, subject_id: str, name: str) -> httpx.Response:
    return http.post(
        "/v1/verify",
        headers={"Authorization": f"Bearer {key}"},
        data={"subject_id": subject_id},
        files={"image": (name, photo(name), "image/jpeg")},
    )


@pytest.mark.slow
def test_life_of_a_subject_over_https(
    server: tuple[str, Path], keys: Keys, north: Site, canteen: Site
) -> None:
    base, cert = server
    with httpx.Client(base_url=base, verify=str(cert), timeout=60) as http:
        operator = keys.header("operator")
        assert http.get("/v1/ready").json()["engine"] is True

        # Registration and consent (the answer carries the subject's own key, once).
        obama = http.post("/v1/subjects", json={"date_of_birth": "1961-08-04"}, headers=operator)
        assert obama.status_code == 201
        obama_id = obama.json()["id"]
        consent = http.post(
            f"/v1/subjects/{obama_id}/consents",
            json={"deployment_id": north.deployment_id, "alternative_offered": True},
            headers=operator,
        )
        assert consent.status_code == 201, consent.text
        subject_key = consent.json()["subject_token"]

        # Enrolment: multipart for one photo, base64 JSON for the other person.
        enrolled = http.post(
            f"/v1/subjects/{obama_id}/enrolments",
            data={"deployment_id": north.deployment_id},
            files={"image": ("obama_1.jpg", photo("obama_1.jpg"), "image/jpeg")},
            headers=operator,
        )
        assert enrolled.status_code == 201, enrolled.text
        biden = http.post("/v1/subjects", json={"date_of_birth": "1942-11-20"}, headers=operator)
        biden_id = biden.json()["id"]
        http.post(
            f"/v1/subjects/{biden_id}/consents",
            json={"deployment_id": north.deployment_id, "alternative_offered": True},
            headers=operator,
        ).raise_for_status()
        http.post(
            f"/v1/subjects/{biden_id}/enrolments",
            json={"deployment_id": north.deployment_id, "image_base64": as_base64("biden.jpg")},
            headers=operator,
        ).raise_for_status()

        # Verify 1:1 and identify 1:N at north's device.
        matched = verify(http, keys.device, obama_id, "obama_2.jpg")
        assert matched.status_code == 200 and matched.json()["matched"] is True
        found = http.post(
            "/v1/identify",
            headers=keys.header("device"),
            files={"image": ("obama_3.jpg", photo("obama_3.jpg"), "image/jpeg")},
        )
        assert [f["subject_id"] for f in found.json()["faces"]] == [obama_id]

        # The canteen's device may not name north's subjects.
        elsewhere = verify(http, keys.other_device, obama_id, "obama_2.jpg")
        assert elsewhere.status_code == 403
        assert elsewhere.json()["error"]["code"] == "out_of_scope"

        # Lockout: repeated failures for one claimed subject (3 here), then 429.
        for _ in range(3):
            failed = verify(http, keys.device, biden_id, "obama_2.jpg")
            assert failed.status_code == 200 and failed.json()["matched"] is False
        locked = verify(http, keys.device, biden_id, "biden.jpg")
        assert locked.status_code == 429
        assert locked.json()["error"]["code"] == "locked_out"
        assert int(locked.headers["Retry-After"]) > 0

        # The subject withdraws with their own key; verification is then refused by law.
        withdrawn = http.post(
            f"/v1/subjects/{obama_id}/consents/withdraw",
            json={"deployment_id": north.deployment_id},
            headers={"Authorization": f"Bearer {subject_key}"},
        )
        assert withdrawn.status_code == 200
        assert withdrawn.json()["templates_destroyed"] == 1
        refused = verify(http, keys.device, obama_id, "obama_2.jpg")
        assert refused.status_code == 422
        body = refused.json()
        assert body["error"]["code"] == "refused"
        assert body["error"]["reasons"][0]["code"] == "consent.separate"
        assert body["error"]["reasons"][0]["articles"]
        assert refused.headers["X-Request-ID"] == body["request_id"]

        # The trail: audit chain intact, alerts recorded, metrics counted.
        assert http.get("/v1/audit/verify", headers=keys.header("dpo")).json()["ok"] is True
        kinds = {
            e["kind"] for e in http.get("/v1/security-events", headers=keys.header("dpo")).json()
        }
        assert {"out_of_scope", "lockout"} <= kinds
        metrics = http.get("/metrics").text
        assert 'facegate_refusals_total{rule="consent.separate"}' in metrics
        assert "facegate_lockouts_total 1.0" in metrics
        assert 'facegate_matches_total{operation="verify",outcome="match"}' in metrics
