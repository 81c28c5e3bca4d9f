"""Issue 12 (gate rules) over HTTP: re-consent after a change of purpose, capture mode, legal
bases and sealed exports, the 14+ attestation, rights after erasure."""

from __future__ import annotations

import base64
import json

import pytest
from api_support import Keys, photo, upload
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from fastapi.testclient import TestClient

from facegate.sealed_box import open_sealed
from facegate.service import Gate
from sites import Site, gate_spec, prepare_activation

pytestmark = pytest.mark.both_databases

CONSENT = {"alternative_offered": True}


def reasons(response: object) -> set[str]:
    body = response.json()  # type: ignore[attr-defined]
    return {r["code"] for r in body["error"].get("reasons", [])}


def consented_subject(client: TestClient, keys: Keys, site: Site) -> str:
    made = client.post("/v1/subjects", json={"age_attested": True}, headers=keys.header("operator"))
    assert made.status_code == 201 and made.json()["date_of_birth"] is None
    subject = str(made.json()["id"])
    given = client.post(
        f"/v1/subjects/{subject}/consents",
        json={"deployment_id": site.deployment_id, **CONSENT},
        headers=keys.header("operator"),
    )
    assert given.status_code == 201
    return subject


def test_consent_purpose_change_refused_over_http_until_consent_again(
    client: TestClient, api_gate: Gate, keys: Keys, north: Site
) -> None:
    subject = consented_subject(client, keys, north)
    api_gate.enrol(subject, north.deployment_id, photo("obama_1.jpg"))

    def verify() -> object:
        return client.post(
            "/v1/verify",
            data={"subject_id": subject},
            files=upload("obama_2.jpg"),
            headers=keys.header("device"),
        )

    assert verify().json()["matched"]  # type: ignore[attr-defined]
    changed = client.patch(
        f"/v1/deployments/{north.deployment_id}",
        json={"purpose": "住户及其访客经北门通行"},
        headers=keys.header("admin"),
    )
    assert changed.status_code == 200 and changed.json()["purpose_changed_at"]
    prepare_activation(api_gate, north.deployment_id)
    refused = verify()
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert reasons(refused) == {"consent.purpose_change"}
    again = client.post(
        f"/v1/subjects/{subject}/consents",
        json={"deployment_id": north.deployment_id, **CONSENT},
        headers=keys.header("operator"),
    )
    assert again.status_code == 201
    assert verify().json()["matched"]  # type: ignore[attr-defined]


def test_capture_opt_in_refused_walk_through_over_http(
    client: TestClient, keys: Keys, north: Site
) -> None:
    spec = gate_spec(capture_mode="walk_through")
    body = {k: v for k, v in vars(spec).items() if v is not None}
    body["alternatives"] = list(spec.alternatives)
    body["controller_id"] = north.controller_id
    refused = client.post("/v1/deployments", json=body, headers=keys.header("admin"))
    assert refused.status_code == 422 and reasons(refused) == {"capture.opt_in"}
    body["capture_mode"] = "explicit_act"
    body["retention_days"] = 400
    too_long = client.post("/v1/deployments", json=body, headers=keys.header("admin"))
    assert reasons(too_long) == {"storage.retention_minimum"}
    body["retention_justification"] = "Residents stay for years; reviewed with the owners"
    made = client.post("/v1/deployments", json=body, headers=keys.header("admin"))
    assert made.status_code == 201 and made.json()["retention_warning"]


def test_storage_on_device_allowed_over_http_with_a_listed_basis_and_a_sealed_bundle(
    client: TestClient, api_gate: Gate, keys: Keys, north: Site
) -> None:
    subject = consented_subject(client, keys, north)
    api_gate.enrol(subject, north.deployment_id, photo("obama_1.jpg"))
    listed = client.get("/v1/legal-bases", headers=keys.header("dpo")).json()
    assert "CPL54" in {b["code"] for b in listed}
    private = X25519PrivateKey.generate()
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    recipient = client.post(
        f"/v1/controllers/{north.controller_id}/recipients",
        json={"name": "Public security bureau", "public_key": base64.b64encode(public).decode()},
        headers=keys.header("dpo"),
    )
    assert recipient.status_code == 201
    body = {"subject_ids": [subject], "recipient_id": recipient.json()["id"]}
    url = f"/v1/deployments/{north.deployment_id}/exports"
    free_text = client.post(url, json={**body, "legal_basis": "none"}, headers=keys.header("dpo"))
    assert free_text.status_code == 422 and reasons(free_text) == {"storage.on_device"}
    exported = client.post(url, json={**body, "legal_basis": "CPL54"}, headers=keys.header("dpo"))
    assert exported.status_code == 200
    assert "vector" not in exported.text
    [template] = json.loads(open_sealed(exported.json()["sealed"], private))
    assert template["subject_id"] == subject


def test_rights_access_delete_over_http_nothing_held_after_erasure(
    client: TestClient, keys: Keys, north: Site
) -> None:
    subject = consented_subject(client, keys, north)
    assert client.delete(f"/v1/subjects/{subject}", headers=keys.header("dpo")).status_code == 200
    shown = client.get(f"/v1/subjects/{subject}", headers=keys.header("dpo"))
    assert shown.status_code == 200
    assert shown.json()["held"] is False and shown.json()["consents"] == []


def test_incident_notify_operator_kind_over_http(client: TestClient, keys: Keys) -> None:
    """A controller's operator kind (《国家网络安全事件报告管理办法》 art. 4) is registered and
    changed by an admin only; an unknown kind is a 400."""
    made = client.post(
        "/v1/controllers",
        json={"name": "Metro Co.", "contact": "dpo@metro.cn", "operator_kind": "cii"},
        headers=keys.header("admin"),
    )
    assert made.status_code == 201 and made.json()["operator_kind"] == "cii"
    url = f"/v1/controllers/{made.json()['id']}/operator-kind"
    assert (
        client.put(url, json={"operator_kind": "other"}, headers=keys.header("dpo")).status_code
        == 403
    )
    bad = client.put(url, json={"operator_kind": "bank"}, headers=keys.header("admin"))
    assert bad.status_code == 400
    changed = client.put(url, json={"operator_kind": "other"}, headers=keys.header("admin"))
    assert changed.status_code == 200 and changed.json()["operator_kind"] == "other"


def test_chinese_required_over_http(client: TestClient, keys: Keys, north: Site) -> None:
    """A deployment's free text without Chinese is a 400 naming the fields."""
    response = client.patch(
        f"/v1/deployments/{north.deployment_id}",
        json={"necessity": "Residents asked for it"},
        headers=keys.header("admin"),
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "chinese_required" and "necessity" in error["message"]
