"""Optional calls into the PIPIA feature (``facegate.service.assessments``), which lands
separately. Each probe returns ``None`` while that module or function does not exist, so the
obligations work before and after it lands; any other import error propagates.

Names probed:
- ``mark_stale(session, deployment_id, reason) -> object``: a major incident stales the PIPIA.
- ``pipia_status(session, deployment_id) -> str``: shown in the filing package.
- ``report_html(session, deployment_id, lang) -> str | None``: the PIPIA report for the package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from sqlalchemy.orm import Session

ASSESSMENTS = "facegate.service.assessments"


def _module() -> ModuleType | None:
    try:
        return importlib.import_module(ASSESSMENTS)
    except ModuleNotFoundError as exc:
        if exc.name != ASSESSMENTS:
            raise
        return None


def _function(name: str) -> Callable[..., Any] | None:
    module = _module()
    found = getattr(module, name, None) if module is not None else None
    return found if callable(found) else None


def mark_pipia_stale(session: Session, deployment_id: str, reason: str) -> list[str] | None:
    """Stale the deployment's PIPIAs: the ids made stale, or ``None`` when the PIPIA feature
    is not there."""
    mark_stale = _function("mark_stale")
    if mark_stale is None:
        return None
    return [str(i) for i in mark_stale(session, deployment_id, reason) or ()]


def pipia_status(session: Session, deployment_id: str) -> str | None:
    status = _function("pipia_status")
    return None if status is None else str(status(session, deployment_id))


def pipia_report_html(session: Session, deployment_id: str, lang: str) -> str | None:
    report = _function("report_html")
    if report is None:
        return None
    html = report(session, deployment_id, lang)
    return None if html is None else str(html)
