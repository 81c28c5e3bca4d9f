"""Server-side console sessions, security headers and body caps on every route."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from web_support import form_token as token

from facegate.api import create_app
from facegate.service import Gate
from facegate.service.access import issue_key, revoke_key
from facegate.web.sessions import CONSOLE_COOKIE

pytestmark = pytest.mark.both_databases


@pytest.fixture(scope="module")
def client(web_gate: Gate) -> Iterator[TestClient]:
    with TestClient(create_app(web_gate)) as test_client:
        yield test_client


def login(client: TestClient, key: str) -> str:
    """Log in; the session cookie."""
    client.cookies.clear()
    form = client.get("/console/login")
    data = {"csrf_token": token(form.text), "api_key": key}
    assert client.post("/console/login", data=data, follow_redirects=False).status_code == 303
    cookie = client.cookies.get(CONSOLE_COOKIE)
    assert cookie
    return cookie


def opens_console(client: TestClient, cookie: str) -> bool:
    client.cookies.clear()
    client.cookies.set(CONSOLE_COOKIE, cookie)
    return client.get("/console", follow_redirects=False).status_code == 200


def test_logout_ends_the_session_for_every_copy_of_the_cookie(
    client: TestClient, web_gate: Gate
) -> None:
    cookie = login(client, issue_key(web_gate.ctx, "dpo", actor="test").token)
    assert opens_console(client, cookie)
    page = client.get("/console")
    client.post("/console/logout", data={"csrf_token": token(page.text)})
    assert not opens_console(client, cookie)  # the copy kept from before the logout


def test_revoking_the_key_ends_its_sessions(client: TestClient, web_gate: Gate) -> None:
    issued = issue_key(web_gate.ctx, "admin", actor="test")
    cookie = login(client, issued.token)
    assert opens_console(client, cookie)
    revoke_key(web_gate.ctx, issued.id, actor="test")
    assert not opens_console(client, cookie)


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    client.cookies.clear()
    for path in ("/console/login", "/kiosk/login", "/v1/health", "/no-such-page"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert "script-src 'self';" in headers["content-security-policy"], path
        assert headers["x-frame-options"] == "DENY", path
        assert headers["referrer-policy"] == "no-referrer", path
        assert headers["x-content-type-options"] == "nosniff", path
        assert "strict-transport-security" not in headers, path  # plain HTTP: no HSTS


def test_hsts_under_tls(web_gate: Gate) -> None:
    with TestClient(create_app(web_gate), base_url="https://testserver") as tls:
        headers = tls.get("/v1/health").headers
    assert headers["strict-transport-security"].startswith("max-age=31536000")


def test_bodies_are_capped_on_every_route(client: TestClient, web_gate: Gate) -> None:
    admin = issue_key(web_gate.ctx, "admin", actor="test").token
    big = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    for path in ("/v1/controllers", "/v1/keys", "/console/login", "/kiosk/me"):
        refused = client.post(
            path,
            content=big,
            headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/json"},
        )
        assert refused.status_code == 413, path
        assert refused.json()["error"]["code"] == "body_too_large"

    # Without a Content-Length the cap holds while the body streams in.
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b" " * 65536

    streamed = client.post(
        "/v1/controllers",
        content=chunks(),
        headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
