"""Pydantic request/response models shared by the routers (one place for the API's shapes).

Request models forbid unknown fields, so a typo is a 422 naming the field instead of a
silently ignored value.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.models import PeriodKind, Role

T = TypeVar("T")

DistrictName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Count = Annotated[int, Field(ge=0, le=10_000_000)]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
CameraId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\w.:-]+$")]


class StrictModel(BaseModel):
    """Base of request bodies: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    """One page of a listing."""

    items: list[T]
    page: int
    page_size: int
    total: int


class Token(BaseModel):
    """OAuth2 access token response."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Lifetime in seconds.")
    scope: str = Field(description="Granted scopes, space separated.")


class DistrictOut(BaseModel):
    """A district; ``geometry`` is a WGS84 GeoJSON geometry object."""

    name: str
    name_zh: str
    code: str
    area_km2: float
    geometry: dict[str, object] | None = Field(
        default=None, description="Present when ?geometry=true (or on single reads)."
    )


class PeriodIn(StrictModel):
    """A new assessment/target period."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[\w.-]+$")]
    kind: PeriodKind
    starts_on: dt.date
    ends_on: dt.date


class PeriodOut(BaseModel):
    """An assessment/target period."""

    name: str
    kind: PeriodKind
    starts_on: dt.date
    ends_on: dt.date


class TargetsIn(StrictModel):
    """Targets of a period: cameras per district (only the districts listed change)."""

    targets: dict[DistrictName, Count] = Field(min_length=1)


class TargetOut(BaseModel):
    """A district's target in a period."""

    district: str
    period: str
    cameras: int


class UserIn(StrictModel):
    """A new user; reporters must name their district."""

    username: Annotated[str, StringConstraints(min_length=3, max_length=64, pattern=r"^[\w.@-]+$")]
    password: Annotated[str, StringConstraints(min_length=8, max_length=256)]
    role: Role
    district: DistrictName | None = None


class UserOut(BaseModel):
    """A user (never the password hash)."""

    username: str
    role: Role
    district: str | None
    is_active: bool
    created_at: dt.datetime


class UserPatch(StrictModel):
    """Changes to a user."""

    password: Annotated[str, StringConstraints(min_length=8, max_length=256)] | None = None
    is_active: bool | None = None


class ApiKeyIn(StrictModel):
    """A new machine key; reporters must name their district."""

    name: Annotated[str, StringConstraints(min_length=3, max_length=64, pattern=r"^[\w.@-]+$")]
    role: Role
    district: DistrictName | None = None


class ApiKeyOut(BaseModel):
    """An API key's record (the key itself is shown only once, at creation)."""

    name: str
    prefix: str
    role: Role
    district: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class ApiKeyCreated(ApiKeyOut):
    """Creation response: carries the key, which is never retrievable again."""

    key: str
