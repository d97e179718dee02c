"""Shared settings, read from ``SAFECITY_*`` environment variables or a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-insecure-secret-change-me"


class Settings(BaseSettings):
    """Settings shared by every ``safecity`` command.

    ``secret_key`` signs API tokens; outside ``environment="development"`` the default
    development secret is refused, so a production deployment can never run with it.
    """

    model_config = SettingsConfigDict(env_prefix="SAFECITY_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(default=Path("out"), description="Where commands write outputs.")
    database_url: str = Field(
        default="sqlite:///out/safecity.db",
        description="SQLAlchemy URL of the API database (SQLite default; PostgreSQL in prod).",
    )
    secret_key: str = Field(
        default=DEV_SECRET, description="Signs JWTs; required outside development."
    )
    api_url: str | None = Field(default=None, description="Base URL of the API, for the monitor.")
    seed: int = Field(default=20061, description="Seed of the synthetic built-in data.")

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment != "development" and self.secret_key == DEV_SECRET:
            raise ValueError(
                "SAFECITY_SECRET_KEY must be set to a real secret when "
                f"SAFECITY_ENVIRONMENT={self.environment}"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (read once)."""
    return Settings()
