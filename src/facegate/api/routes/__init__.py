"""The routes, one module per area; each translates HTTP into one Gate call."""

from fastapi import APIRouter

from facegate.api.routes import (
    alternatives,
    assessments,
    care,
    faces,
    keys,
    obligations,
    people,
    registry,
    sync,
    system,
)

ROUTERS: tuple[APIRouter, ...] = (
    system.router,
    registry.router,
    keys.router,
    people.router,
    faces.router,
    alternatives.router,
    care.router,
    assessments.router,
    obligations.router,
    sync.router,
)

__all__ = ["ROUTERS"]
