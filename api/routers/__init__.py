"""The API's routers, one module per resource; ``ROUTERS`` is what the app includes."""

from __future__ import annotations

from fastapi import APIRouter

from api.routers import auth, districts, system

ROUTERS: tuple[APIRouter, ...] = (
    system.router,
    auth.router,
    districts.router,
)
