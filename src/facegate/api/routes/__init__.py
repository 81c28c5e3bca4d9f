"""The routes, one module per area; each translates HTTP into one Gate call."""

from fastapi import APIRouter

from facegate.api.routes import alternatives, care, faces, keys, people, registry, system

ROUTERS: tuple[APIRouter, ...] = (
    system.router,
    registry.router,
    keys.router,
    people.router,
    faces.router,
    alternatives.router,
    care.router,
)

__all__ = ["ROUTERS"]
