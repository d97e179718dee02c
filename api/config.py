"""API-specific settings (``SAFECITY_API_*``); shared ones come from ``safecity.settings``."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    """Limits and lifetimes of the API service."""

    model_config = SettingsConfigDict(env_prefix="SAFECITY_API_", env_file=".env", extra="ignore")

    access_token_minutes: int = Field(default=60, gt=0, description="JWT lifetime.")
    max_body_bytes: int = Field(default=5 * 1024 * 1024, gt=0, description="Request body cap.")
    max_plan_bytes: int = Field(
        default=512 * 1024 * 1024, gt=0, description="Body cap of POST /plans/import."
    )
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    max_page_size: int = Field(default=1000, gt=0)
    max_batch_events: int = Field(default=10_000, gt=0, description="Health events per POST.")
    cache_seconds: float = Field(
        default=2.0,
        ge=0,
        description="Max age of cached progress figures and credential lookups (0 = off).",
    )


@lru_cache
def get_api_settings() -> ApiSettings:
    """Return the process-wide API settings (read once)."""
    return ApiSettings()
