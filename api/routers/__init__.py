"""The API's routers, one module per resource; ``ROUTERS`` is what the app includes."""

from __future__ import annotations

from fastapi import APIRouter

from api.routers import (
    assessments,
    audit,
    auth,
    bulletins,
    cameras,
    dashboard,
    districts,
    health,
    inspections,
    periods,
    plans,
    progress,
    reports,
    system,
    users,
)

ROUTERS: tuple[APIRouter, ...] = (
    system.router,
    auth.router,
    districts.router,
    periods.router,
    plans.router,
    reports.router,
    health.router,
    cameras.router,
    progress.router,
    users.router,
    audit.router,
    assessments.router,
    inspections.router,
    bulletins.router,
    dashboard.router,
)
