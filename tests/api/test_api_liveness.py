"""liveness.failed over HTTP: a printed or on-screen face is a 422 refusal citing Measures
art. 14; three attacks within five minutes at the device are a security alert."""

from __future__ import annotations

from datetime import date

import pytest
from api_support import Keys
from fastapi.testclient import TestClient

from facegate.service import Gate
from facegate.service.access import security_events
from shared_data import SAMPLES
from sites import CONSENT, Site

pytestmark = [
    pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared samples absent"),
    pytest.mark.both_databases,
]


def test_liveness_failed_identify_and_verify_are_422_and_repeats_alert(
    client: TestClient, api_gate: Gate, north: Site, keys: Keys
) -> None:
    subject = api_gate.register_subject(date_of_birth=date(1961, 8, 4)).id
    api_gate.record_consent(subject, north.deployment_id, CONSENT)
    api_gate.enrol(subject, north.deployment_id, SAMPLES / "image_T1.jpg")
    device = keys.header("device")
    attack = (SAMPLES / "image_F2.jpg").read_bytes()

    response = client.post(
        "/v1/identify", headers=device, files={"image": ("f.jpg", attack, "image/jpeg")}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "refused"
    assert [r["code"] for r in error["reasons"]] == ["liveness.failed"]
    assert error["reasons"][0]["articles"] == ["M14", "M9"]

    for _ in range(2):
        response = client.post(
            "/v1/verify",
            headers=device,
            data={"subject_id": subject},
            files={"image": ("f.jpg", attack, "image/jpeg")},
        )
        assert response.status_code == 422
    alerts = security_events(api_gate.ctx)
    assert [(a.kind, a.device_id) for a in alerts] == [("presentation_attacks", north.device_id)]

    live = (SAMPLES / "image_T1.jpg").read_bytes()
    response = client.post(
        "/v1/verify",
        headers=device,
        data={"subject_id": subject},
        files={"image": ("t.jpg", live, "image/jpeg")},
    )
    assert response.status_code == 200 and response.json()["matched"] is True
