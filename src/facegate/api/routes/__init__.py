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
)

__all__ = ["ROUTERS"]
