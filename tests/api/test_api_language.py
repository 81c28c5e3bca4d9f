"""The REST API keeps its codes; ``message`` (and each reason's) follows ``Accept-Language``:
English without the header, Chinese when the header prefers it."""

from __future__ import annotations

import re

import pytest
from api_support import Keys
from fastapi.testclient import TestClient

from facegate.law.catalogue import RULES
from sites import Site, gate_spec

CJK = re.compile(r"[\u4e00-\u9fff]")
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}


@pytest.mark.both_databases
def test_a_typed_error_in_either_language(client: TestClient, keys: Keys) -> None:
    url = "/v1/deployments/0123456789abcdef0123456789abcdef"
    english = client.get(url, headers=keys.header("admin"))
    chinese = client.get(url, headers={**keys.header("admin"), **ZH})
    assert english.status_code == chinese.status_code == 404
    assert (
        english.json()["error"]["code"] == chinese.json()["error"]["code"] == "unknown_deployment"
    )
    assert not CJK.search(english.json()["error"]["message"])
    assert english.headers["content-language"] == "en"
    assert chinese.json()["error"]["message"] == "找不到该部署。"
    assert chinese.headers["content-language"] == "zh-CN"
    assert "Accept-Language" in chinese.headers["vary"]
    # A header naming neither language: English; English ranked above Chinese: English.
    other = client.get(url, headers={**keys.header("admin"), "Accept-Language": "fr-FR"})
    assert not CJK.search(other.json()["error"]["message"])
    ranked = {"Accept-Language": "en-GB, zh;q=0.5"}
    assert not CJK.search(client.get(url, headers={**keys.header("admin"), **ranked}).text)


@pytest.mark.both_databases
def test_a_refusal_cites_the_same_articles_in_chinese(
    client: TestClient, keys: Keys, north: Site
) -> None:
    spec = gate_spec(capture_mode="walk_through")
    body = {k: v for k, v in vars(spec).items() if v is not None}
    body["alternatives"] = list(spec.alternatives)
    body["controller_id"] = north.controller_id
    english = client.post("/v1/deployments", json=body, headers=keys.header("admin"))
    chinese = client.post("/v1/deployments", json=body, headers={**keys.header("admin"), **ZH})
    assert english.status_code == chinese.status_code == 422
    e, z = english.json()["error"], chinese.json()["error"]
    assert e["code"] == z["code"] == "refused"
    assert [(r["code"], r["articles"]) for r in e["reasons"]] == [
        (r["code"], r["articles"]) for r in z["reasons"]
    ]
    assert z["reasons"][0]["message"] == RULES["capture.opt_in"].summary_zh
    assert CJK.search(z["message"]) and not CJK.search(e["message"])


def test_validation_and_unknown_routes_in_chinese(client: TestClient, keys: Keys) -> None:
    missing = client.get("/v1/no-such-route", headers=ZH)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert CJK.search(missing.json()["error"]["message"])
    bad = client.post("/v1/controllers", json={"name": 5}, headers={**keys.header("admin"), **ZH})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"
    assert CJK.search(bad.json()["error"]["message"])
    assert bad.json()["error"]["details"]["errors"]  # the details stay as they are
