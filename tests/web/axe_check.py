"""axe-core (the copy shipped in the ``axe-playwright-python`` package, run in the page by
Playwright: nothing fetched) over a page state, with no violation allowed."""

from __future__ import annotations

from typing import Any

RULES = {"resultTypes": ["violations"]}
"""axe's default rule set: WCAG 2.x A and AA, and its best practices."""


def assert_accessible(page: Any, state: str) -> None:
    """Fail with axe's own report when the page, as it is now, has any violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=RULES)
    assert results.violations_count == 0, f"{state}: {results.generate_report()}"
