"""Smoke: the app answers, errors are JSON with request ids."""

from __future__ import annotations

import pytest
from api_support import Keys, upload
from fastapi.testclient import TestClient

from sites import CONSENT, Site

# The store on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


def test_health_and_request_id(client: TestClient) -> None:
    response = client.get("/v1/health", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "abc-123"
    assert client.get("/v1/health").headers["X-Request-ID"]


def test_flow(client: TestClient, keys: Keys, north: Site) -> None:
    r = client.post(
        "/v1/subjects", json={"date_of_birth": "1961-08-04"}, headers=keys.header("operator")
    )
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    r = client.post(
        f"/v1/subjects/{sid}/consents",
        json={
            "deployment_id": north.deployment_id,
            "alternative_offered": True,
            "notice_hash": CONSENT.notice_hash,
        },
        headers=keys.header("operator"),
    )
    assert r.status_code == 201, r.text
    r = client.post(
        f"/v1/subjects/{sid}/enrolments",
        data={"deployment_id": north.deployment_id},
        files=upload("obama_1.jpg"),
        headers=keys.header("operator"),
    )
    assert r.status_code == 201, r.text
    r = client.post(
        "/v1/verify",
        data={"subject_id": sid},
        files=upload("obama_2.jpg"),
        headers=keys.header("device"),
    )
    assert r.status_code == 200, r.text
    print(r.json())
    r = client.post(
        "/v1/verify",
        data={"subject_id": sid},
        files=upload("obama_2.jpg"),
        headers=keys.header("other_device"),
    )
    assert r.status_code == 403, r.text
    print(r.json())
    r = client.get("/openapi.json")
    assert r.status_code == 200
