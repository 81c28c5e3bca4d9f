"""Keys, alerts, limits and logs of the REST service."""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest
from api_support import Keys, as_base64, bearer, photo, upload
from fastapi.testclient import TestClient

from facegate.api import ApiSettings
from facegate.api.logs import JsonFormatter
from facegate.engine.image import ImageLimits
from facegate.service import Gate
from facegate.service.access import list_keys, security_events
from photos import huge_png
from sites import Site

# The store on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


@pytest.fixture
def api_settings() -> ApiSettings:
    return ApiSettings(
        image_limits=ImageLimits(max_bytes=200_000, max_pixels=40_000_000),
        probe_misses=2,
        alert_quiet_seconds=0,
    )


def test_keys_are_stored_as_hashes_and_revocable(
    client: TestClient, api_gate: Gate, keys: Keys, north: Site
) -> None:
    issued = client.post(
        "/v1/keys",
        json={"role": "device", "device_id": north.device_id},
        headers=keys.header("admin"),
    ).json()
    token = issued["token"]
    assert token.startswith(f"fgk_{issued['id']}_")
    stored = next(k for k in list_keys(api_gate.ctx) if k.id == issued["id"])
    assert token.split("_", 2)[2] not in stored.secret_hash and len(stored.secret_hash) == 64
    assert (
        client.get("/v1/deployments/x/may-prompt?subject_id=s", headers=bearer(token)).status_code
        == 403
    )
    listed = client.get("/v1/keys", headers=keys.header("admin")).json()
    assert all("token" not in k for k in listed)
    assert next(k for k in listed if k["id"] == issued["id"])["last_used_at"]
    assert (
        client.delete(f"/v1/keys/{issued['id']}", headers=keys.header("admin")).status_code == 200
    )
    revoked = client.post("/v1/identify", json={"image_base64": ""}, headers=bearer(token))
    assert revoked.status_code == 401
    assert revoked.json()["error"]["code"] == "key_revoked"
    assert revoked.headers["WWW-Authenticate"] == "Bearer"


def test_unknown_keys_raise_alerts_in_events_and_audit(
    client: TestClient, api_gate: Gate, keys: Keys
) -> None:
    forged = "fgk_0123456789abcdef_" + "x" * 43
    assert client.get("/v1/keys", headers=bearer(forged)).status_code == 401
    assert client.get("/v1/keys", headers=bearer("garbage")).status_code == 401
    assert [e.kind for e in security_events(api_gate.ctx)].count("unknown_key") == 2
    with api_gate.ctx.db.transaction() as session:
        from sqlalchemy import select

        from facegate.store import models as m

        actions = list(session.scalars(select(m.AuditEvent.action)))
    assert actions.count("security.unknown_key") == 2
    assert api_gate.verify_audit().ok


def test_bad_keys_from_one_address_are_rate_limited(api_gate: Gate, keys: Keys) -> None:
    from facegate.api import create_app

    app = create_app(api_gate, ApiSettings(anonymous_burst=3, anonymous_rate=0.01))
    with TestClient(app) as client:
        statuses = [client.get("/v1/keys", headers=bearer("nope")).status_code for _ in range(5)]
        assert statuses == [401, 401, 401, 429, 429]
        # A valid key from the same address still works.
        assert client.get("/v1/keys", headers=keys.header("admin")).status_code == 200


def test_per_key_rate_limit(api_gate: Gate, keys: Keys) -> None:
    from facegate.api import create_app

    with TestClient(create_app(api_gate, ApiSettings(key_burst=2, key_rate=0.01))) as client:
        statuses = [
            client.get("/v1/keys", headers=keys.header("admin")).status_code for _ in range(3)
        ]
        assert statuses == [200, 200, 429]
        response = client.get("/v1/keys", headers=keys.header("admin"))
        assert response.json()["error"]["code"] == "rate_limited"
        assert int(response.headers["Retry-After"]) >= 1


def test_images_over_the_limits_are_refused_before_reading(
    client: TestClient, api_gate: Gate, keys: Keys, north: Site
) -> None:
    person = api_gate.register_subject(date_of_birth=date(1961, 8, 4))
    # Declared too large: refused on Content-Length.
    big = client.post(
        "/v1/identify",
        content=b"x" * 400_000,
        headers={**keys.header("device"), "Content-Type": "application/json"},
    )
    assert big.status_code == 413
    assert big.json()["error"]["code"] == "image_too_large"
    # Within the body limit but over the image byte limit once decoded.
    over = client.post(
        f"/v1/subjects/{person.id}/enrolments",
        data={"deployment_id": north.deployment_id},
        files={"image": ("big.jpg", b"\xff" * 210_000, "image/jpeg")},
        headers=keys.header("operator"),
    )
    assert over.status_code == 413
    # Small in bytes, over the pixel limit: refused from the header, never decoded.
    bomb = client.post(
        "/v1/identify",
        files={"image": ("bomb.png", huge_png(), "image/png")},
        headers=keys.header("device"),
    )
    assert bomb.status_code == 413
    kinds = [e.kind for e in security_events(api_gate.ctx)]
    assert kinds.count("image_too_large") == 3


def test_gallery_probing_alert(client: TestClient, api_gate: Gate, keys: Keys, north: Site) -> None:
    for _ in range(2):
        response = client.post(
            "/v1/identify",
            json={"image_base64": as_base64("biden.jpg")},
            headers=keys.header("device"),
        )
        assert response.status_code == 200
        assert response.json()["matched"] is False
    assert "gallery_probing" in [e.kind for e in security_events(api_gate.ctx)]


def test_request_validation_is_400_and_law_is_422(
    client: TestClient, keys: Keys, north: Site, api_gate: Gate
) -> None:
    bad = client.post(
        "/v1/subjects", json={"date_of_birth": "not a date"}, headers=keys.header("operator")
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "bad_request"
    child = api_gate.register_subject(date_of_birth=date(2020, 1, 1))
    refused = client.post(
        f"/v1/subjects/{child.id}/consents",
        json={"deployment_id": north.deployment_id, "alternative_offered": True},
        headers=keys.header("operator"),
    )
    assert refused.status_code == 422
    reasons = refused.json()["error"]["reasons"]
    assert reasons and all({"code", "articles", "message"} <= set(r) for r in reasons)
    missing = client.get("/v1/deployments/nope", headers=keys.header("admin"))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_deployment"
    unreadable = client.post(
        "/v1/identify",
        files={"image": ("x.jpg", b"junk", "image/jpeg")},
        headers=keys.header("device"),
    )
    assert unreadable.status_code == 400
    assert unreadable.json()["error"]["code"] == "image_unreadable"


def test_logs_are_json_without_images_or_identities(
    client: TestClient, keys: Keys, north: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="facegate")
    subject = client.post(
        "/v1/subjects",
        json={"date_of_birth": "1961-08-04", "identity": {"name": "Barack Obama"}},
        headers=keys.header("operator"),
    ).json()
    client.post(
        f"/v1/subjects/{subject['id']}/enrolments",
        data={"deployment_id": north.deployment_id},
        files=upload("obama_1.jpg"),
        headers=keys.header("operator"),
    )
    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    assert lines
    text = "\n".join(lines)
    for line in lines:
        json.loads(line)
    assert "Barack" not in text and subject["id"] not in text
    assert as_base64("obama_1.jpg")[:40] not in text
    assert photo("obama_1.jpg")[:40].hex() not in text
    requests = [json.loads(line) for line in lines if '"event": "request"' in line]
    assert {"request_id", "route", "status", "duration_ms"} <= set(requests[-1])
    assert requests[-1]["route"] == "/v1/subjects/{subject_id}/enrolments"
