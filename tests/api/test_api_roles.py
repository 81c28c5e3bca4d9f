"""Every route refuses every role it does not list (403), and every caller without a key (401);
the roles are in the OpenAPI document; device and subject keys stay within their scope."""

from __future__ import annotations

from datetime import date

import pytest
from api_support import Keys, bearer, upload
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from facegate.api import ApiSettings
from facegate.api.routes import ROUTERS
from facegate.service import Gate
from facegate.service.access import ROLES, issue_key
from sites import CONSENT, Site

# The store on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


def routes(client: TestClient) -> list[APIRoute]:
    found = [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]
    assert len(found) >= 30
    return found


def roles_of(route: APIRoute) -> list[str]:
    return list((route.openapi_extra or {}).get("x-roles", []))


@pytest.fixture
def api_settings() -> ApiSettings:
    return ApiSettings(anonymous_burst=10_000, key_burst=10_000, subject_burst=10_000)


@pytest.fixture
def tokens(api_gate: Gate, keys: Keys, north: Site) -> dict[str, str]:
    person = api_gate.register_subject(date_of_birth=date(1990, 1, 1))
    api_gate.record_consent(person.id, north.deployment_id, CONSENT)
    subject = issue_key(api_gate.ctx, "subject", subject_id=person.id, actor="test").token
    return {
        "admin": keys.admin,
        "dpo": keys.dpo,
        "operator": keys.operator,
        "device": keys.device,
        "subject": subject,
        "subject_id": person.id,
    }


def call(client: TestClient, route: APIRoute, token: str | None, params: dict[str, str]) -> int:
    method = sorted(route.methods or {"GET"})[0]
    headers = bearer(token) if token else {}
    return client.request(method, route.path.format(**params), headers=headers).status_code


def test_every_route_states_its_roles(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for route in routes(client):
        roles = roles_of(route)
        assert roles, route.path
        assert set(roles) <= {*ROLES, "public"}, route.path
        for method in route.methods or ():
            operation = document["paths"][route.path][method.lower()]
            assert operation["x-roles"] == roles
            if roles != ["public"]:
                assert f"**Roles:** {', '.join(roles)}" in operation["description"]
                assert {"401", "403", "429"} <= set(operation["responses"])


def test_role_matrix(
    client: TestClient, api_gate: Gate, tokens: dict[str, str], north: Site
) -> None:
    params = {
        "deployment_id": north.deployment_id,
        "controller_id": north.controller_id,
        "subject_id": tokens["subject_id"],
        "basis_id": "0" * 16,
        "key_id": "0" * 16,
        "incident_id": "0" * 16,
        "filing_id": "0" * 16,
        "audience": "authority",
    }
    checked = 0
    for route in routes(client):
        allowed = roles_of(route)
        if allowed == ["public"]:
            assert call(client, route, None, params) == 200, route.path
            continue
        assert call(client, route, None, params) == 401, route.path
        erases = "DELETE" in (route.methods or ()) and "{subject_id}" in route.path
        for role in ROLES:
            token = tokens[role]
            route_params = params
            if erases:  # an erased subject is gone for good: each role erases its own
                fresh = api_gate.register_subject(date_of_birth=date(1980, 5, 5)).id
                api_gate.record_consent(fresh, north.deployment_id, CONSENT)
                route_params = {**params, "subject_id": fresh}
            if role == "subject":  # a fresh key: earlier calls may have revoked the last one
                token = issue_key(
                    api_gate.ctx, "subject", subject_id=route_params["subject_id"], actor="test"
                ).token
            status = call(client, route, token, route_params)
            if role in allowed:
                assert status not in (401, 403), (route.path, role, status)
            else:
                assert status == 403, (route.path, role, status)
            checked += 1
    assert checked >= 30 * len(ROLES)


def test_device_stays_in_its_deployment(
    client: TestClient, keys: Keys, north: Site, canteen: Site, tokens: dict[str, str]
) -> None:
    # A path naming another deployment.
    refused = client.post(
        f"/v1/deployments/{canteen.deployment_id}/refusals",
        json={"channel": "kiosk"},
        headers=keys.header("device"),
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "out_of_scope"
    # A subject of another deployment (the canteen's device, north's subject).
    other = client.post(
        "/v1/verify",
        data={"subject_id": tokens["subject_id"]},
        files=upload("obama_2.jpg"),
        headers=keys.header("other_device"),
    )
    assert other.status_code == 403
    events = client.get("/v1/security-events", headers=keys.header("dpo")).json()
    assert [e["kind"] for e in events].count("out_of_scope") == 2


def test_subject_key_reaches_only_its_subject(
    client: TestClient, api_gate: Gate, tokens: dict[str, str]
) -> None:
    own = tokens["subject_id"]
    assert client.get(f"/v1/subjects/{own}", headers=bearer(tokens["subject"])).status_code == 200
    stranger = api_gate.register_subject(date_of_birth=date(1980, 5, 5))
    response = client.get(f"/v1/subjects/{stranger.id}", headers=bearer(tokens["subject"]))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "out_of_scope"
