"""The console speaks Chinese by default; ``?lang=en`` (its toggle) switches to English for
the rest of the session; errors come from the catalogue in the page's language."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from web_support import form_token as token

from facegate.api import create_app
from facegate.service import Gate
from facegate.service.access import issue_key

pytestmark = pytest.mark.both_databases

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def client(web_gate: Gate) -> Iterator[TestClient]:
    with TestClient(create_app(web_gate)) as test_client:
        yield test_client


def html_lang(page: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', page)
    assert found is not None
    return found[1]


def log_in(client: TestClient, key: str, **params: str) -> None:
    form = client.get("/console/login", params=params)
    data = {"csrf_token": token(form.text), "api_key": key}
    assert client.post("/console/login", data=data, follow_redirects=False).status_code == 303


def test_chinese_by_default_and_the_toggle_is_kept(client: TestClient, web_gate: Gate) -> None:
    page = client.get("/console/login").text
    assert html_lang(page) == "zh-CN" and "API 密钥" in page
    assert 'href="/console/login?lang=en"' in page  # the toggle names the other language
    english = client.get("/console/login", params={"lang": "en"}).text
    assert html_lang(english) == "en" and "API key" in english
    assert html_lang(client.get("/console/login").text) == "en"  # kept in the session
    log_in(client, issue_key(web_gate.ctx, "admin", actor="test").token)
    assert html_lang(client.get("/console").text) == "en"  # and across the login
    back = client.get("/console", params={"lang": "zh"}).text
    assert html_lang(back) == "zh-CN" and "合规总览" in back
    assert html_lang(client.get("/console/subjects").text) == "zh-CN"
    assert html_lang(client.get("/console", params={"lang": "fr"}).text) == "zh-CN"


def test_a_refused_login_and_a_forbidden_action_in_chinese(
    client: TestClient, web_gate: Gate
) -> None:
    form = client.get("/console/login")
    refused = client.post(
        "/console/login", data={"csrf_token": token(form.text), "api_key": "fgk_nope.nope"}
    )
    assert refused.status_code == 401
    error = re.search(r'role="alert">([^<]+)<', refused.text)
    assert error is not None and CJK.search(error[1]), refused.text
    log_in(client, issue_key(web_gate.ctx, "operator", actor="test").token)
    page = client.get("/console/subjects", params={"subject_id": "0" * 32}).text
    assert "您的角色（operator）无权执行此操作，仅限：dpo。" in page


def test_a_refused_download_is_a_page_not_json(client: TestClient, web_gate: Gate) -> None:
    log_in(client, issue_key(web_gate.ctx, "operator", actor="test").token)
    refused = client.get("/console/filing/0123456789abcdef/package.zip")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "您的角色（operator）无权执行此操作，仅限：dpo。" in refused.text
    client.cookies.clear()
    anonymous = client.get(
        "/console/records.csv?start=2026-01-01&end=2026-01-31", follow_redirects=False
    )
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/console/login"
    api = client.get("/v1/deployments")  # the REST API still answers in JSON
    assert api.status_code == 401 and api.json()["error"]["code"] == "unauthenticated"
