"""The API documentation renders with the network off: Swagger UI and ReDoc come from the
package, and the browser is never sent to another host."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

pytestmark = pytest.mark.slow


def open_offline(browser: Any, base_url: str) -> tuple[Any, Any, list[str]]:
    """A page whose every request off this server is aborted and recorded."""
    context = browser.new_context()
    context.set_default_timeout(15_000)
    here = urlsplit(base_url).netloc
    elsewhere: list[str] = []

    def only_here(route: Any) -> None:
        if urlsplit(route.request.url).netloc == here:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_here)
    return context, context.new_page(), elsewhere


def test_swagger_ui_renders_offline(browser: Any, base_url: str) -> None:
    context, page, elsewhere = open_offline(browser, base_url)
    try:
        page.goto(f"{base_url}/docs")
        page.locator(".swagger-ui .info .title").filter(has_text="facegate").wait_for()
        page.locator(".opblock-summary-path", has_text="/v1/verify").first.wait_for()
    finally:
        context.close()
    assert elsewhere == []


def test_redoc_renders_offline(browser: Any, base_url: str) -> None:
    context, page, elsewhere = open_offline(browser, base_url)
    try:
        page.goto(f"{base_url}/redoc")
        page.locator("h1", has_text="facegate").first.wait_for()
    finally:
        context.close()
    assert elsewhere == []


def test_docs_pages_name_no_other_host(base_url: str) -> None:
    for path in ("/docs", "/redoc"):
        page = httpx.get(f"{base_url}{path}")
        assert page.status_code == 200
        assert "http://" not in page.text and "https://" not in page.text, path
        assert "default-src 'self'" in page.headers["content-security-policy"], path
    script = httpx.get(f"{base_url}/docs-assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000
