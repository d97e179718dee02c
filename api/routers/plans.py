"""Plan import: the planner's ``cameras.geojson`` (+ ``districts.csv``) -> sites and targets."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from api import audit
from api.deps import API_PREFIX, AdminPrincipal, RequestId, WriteSession
from api.geo import inside
from api.lookups import period_by_name
from api.models import CameraSite, District, OwnerType, SiteStatus, utcnow
from api.problems import PROBLEM_RESPONSES, ApiProblem
from api.schemas import StrictModel
from api.targets import set_period_targets

router = APIRouter(
    prefix=f"{API_PREFIX}/plans",
    tags=["plans"],
    responses={k: PROBLEM_RESPONSES[k] for k in (401, 403, 404, 413, 422)},
)

TARGET_COLUMNS = ("target", "quota", "cameras", "total_cameras")
INSTALLED_STATUSES = frozenset({"installed", "existing"})
CHUNK = 5000


class PointGeometry(BaseModel):
    """GeoJSON point in WGS84 (lon, lat)."""

    type: Literal["Point"]
    coordinates: Annotated[list[float], Field(min_length=2, max_length=3)]


class CameraProperties(BaseModel):
    """Properties of a planned camera (other planner properties are kept out, not errors)."""

    model_config = ConfigDict(extra="ignore")

    camera_id: Annotated[str, Field(min_length=1, max_length=64)]
    district: str
    type: str | None = Field(default=None, max_length=32)
    heading: float | None = Field(default=None, allow_inf_nan=False)
    phase: str | None = Field(default=None, max_length=32)
    cost: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    owner: OwnerType = OwnerType.government
    existing: bool = False
    status: Literal["planned", "installed", "existing"] = "planned"

    @property
    def installed(self) -> bool:
        """Kept (existing / third-party) cameras enter the registry as installed."""
        return self.existing or self.status in INSTALLED_STATUSES or self.phase == "existing"

    @field_validator("camera_id", "phase", mode="before")
    @classmethod
    def _number_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("heading", "cost", "type", mode="before")
    @classmethod
    def _nan_is_missing(cls, value: Any) -> Any:
        return None if isinstance(value, float) and value != value else value


class CameraFeature(BaseModel):
    """One camera of ``cameras.geojson``."""

    type: Literal["Feature"]
    geometry: PointGeometry
    properties: CameraProperties


class CameraCollection(BaseModel):
    """The planner's ``cameras.geojson``."""

    type: Literal["FeatureCollection"]
    features: list[CameraFeature]


class PlanImport(StrictModel):
    """A planner output; ``period`` turns per-district quotas (``districts_csv``, or the
    number of cameras per district when absent) into that period's targets."""

    cameras: CameraCollection | None = None
    districts_csv: str | None = Field(
        default=None,
        description="Text of districts.csv: a 'district' column and one of "
        + ", ".join(TARGET_COLUMNS),
    )
    period: str | None = None


class PlanImportResult(BaseModel):
    """What the import changed."""

    created: int
    updated: int
    unchanged_installed: int
    targets: dict[str, int]


def _lonlat(features: list[CameraFeature]) -> tuple[np.ndarray, np.ndarray]:
    coords = np.array([f.geometry.coordinates[:2] for f in features], dtype=float).reshape(-1, 2)
    if not np.isfinite(coords).all():
        bad = int(np.flatnonzero(~np.isfinite(coords).all(axis=1))[0])
        raise ApiProblem(422, f"cameras.features[{bad}]: coordinates are not finite numbers")
    return coords[:, 0], coords[:, 1]


def _validate_cameras(
    features: list[CameraFeature], districts: dict[str, District]
) -> tuple[np.ndarray, np.ndarray]:
    """Check names, duplicate ids and that each camera lies in its district (vectorised)."""
    names = np.array([f.properties.district for f in features], dtype=object)
    unknown = sorted(set(names) - set(districts))
    if unknown:
        first = int(np.flatnonzero(names == unknown[0])[0])
        raise ApiProblem(
            422,
            f"cameras.features[{first}].properties.district: unknown district {unknown[0]!r}",
            slug="unknown-district",
        )
    dupes = [cid for cid, n in Counter(f.properties.camera_id for f in features).items() if n > 1]
    if dupes:
        raise ApiProblem(422, f"duplicate camera_id {dupes[0]!r} in cameras.geojson")
    lon, lat = _lonlat(features)
    ok = np.ones(len(features), dtype=bool)
    for name, district in districts.items():
        mask = names == name
        if mask.any():
            ok[mask] = inside(district.geometry, lon[mask], lat[mask])
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        raise ApiProblem(
            422,
            f"cameras.features[{bad}] ({features[bad].properties.camera_id}) at "
            f"{lon[bad]:.6f},{lat[bad]:.6f} lies outside district {names[bad]!r}",
            slug="location-outside-district",
        )
    return lon, lat


def _whole(raw: str, line: int, column: str) -> int:
    try:
        value = float(raw)
    except ValueError as exc:
        raise ApiProblem(
            422, f"districts_csv line {line}: {column}={raw!r} is not a number"
        ) from exc
    if value < 0 or not value.is_integer():
        raise ApiProblem(
            422, f"districts_csv line {line}: {column}={raw!r} must be a whole number >= 0"
        )
    return int(value)


def _parse_quotas(text: str, districts: dict[str, District]) -> dict[str, int]:
    """Targets per district from districts.csv; the planner's ``quota`` (new cameras) plus
    its ``existing`` (kept cameras) when both columns are present."""
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    column = next((c for c in TARGET_COLUMNS if c in columns), None)
    if "district" not in columns or column is None:
        raise ApiProblem(
            422,
            f"districts_csv needs a 'district' column and one of {', '.join(TARGET_COLUMNS)}; "
            f"found {columns}",
        )
    add_existing = column == "quota" and "existing" in columns
    quotas: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        name = row.get("district") or ""
        if name not in districts:
            raise ApiProblem(
                422,
                f"districts_csv line {line}: unknown district {name!r}",
                slug="unknown-district",
            )
        quotas[name] = _whole(row.get(column) or "", line, column)
        if add_existing:
            quotas[name] += _whole(row.get("existing") or "", line, "existing")
    return quotas


def _upsert_sites(
    session: Session,
    features: list[CameraFeature],
    lon: np.ndarray,
    lat: np.ndarray,
    districts: dict[str, District],
) -> tuple[int, int, int]:
    """Create new sites, refresh planned ones, leave installed ones as they are."""
    ids = [f.properties.camera_id for f in features]
    existing: dict[str, tuple[int, str]] = {}
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(CameraSite.camera_id, CameraSite.id, CameraSite.status).where(
                CameraSite.camera_id.in_(ids[start : start + CHUNK])
            )
        )
        existing.update({cid: (pk, st) for cid, pk, st in rows})
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    kept = 0
    for i, feature in enumerate(features):
        props = feature.properties
        installed = props.installed
        values = {
            "district_id": districts[props.district].id,
            "lon": float(lon[i]),
            "lat": float(lat[i]),
            "owner_type": props.owner.value,
            "camera_type": props.type,
            "heading": props.heading,
            "phase": props.phase,
            "cost": props.cost,
        }
        found = existing.get(props.camera_id)
        if found is None:
            status = SiteStatus.installed if installed else SiteStatus.planned
            new_rows.append(
                {
                    **values,
                    "camera_id": props.camera_id,
                    "source": "plan",
                    "status": status.value,
                    "created_at": now,
                    "installed_at": now if installed else None,
                }
            )
        elif found[1] == SiteStatus.planned.value:
            extra = {"status": SiteStatus.installed.value, "installed_at": now} if installed else {}
            updates.append({"id": found[0], **values, **extra})
        else:
            kept += 1
    for start in range(0, len(new_rows), CHUNK):
        session.execute(insert(CameraSite), new_rows[start : start + CHUNK])
    for start in range(0, len(updates), CHUNK):
        session.execute(update(CameraSite), updates[start : start + CHUNK])
    return len(new_rows), len(updates), kept


@router.post("/import")
def import_plan(
    body: PlanImport, who: AdminPrincipal, session: WriteSession, rid: RequestId
) -> PlanImportResult:
    """Import planned cameras (idempotent by ``camera_id``) and per-district targets (admin).

    Cameras with ``status`` ``existing``/``installed`` (kept third-party cameras) are
    imported as installed. Everything is validated before anything is written.
    """
    if body.cameras is None and body.districts_csv is None:
        raise ApiProblem(422, "send cameras (GeoJSON FeatureCollection) and/or districts_csv")
    if body.districts_csv is not None and body.period is None:
        raise ApiProblem(422, "districts_csv sets targets: name the period they belong to")
    districts = {d.name: d for d in session.scalars(select(District))}
    period = period_by_name(session, body.period, status=422) if body.period else None
    features = body.cameras.features if body.cameras else []
    lon, lat = _validate_cameras(features, districts)
    quotas = _parse_quotas(body.districts_csv, districts) if body.districts_csv else None
    created, updated, kept = _upsert_sites(session, features, lon, lat, districts)
    targets: dict[str, int] = {}
    if period is not None:
        targets = (
            quotas if quotas is not None else dict(Counter(f.properties.district for f in features))
        )
        set_period_targets(session, period, {districts[n].id: c for n, c in targets.items()})
    summary = {"created": created, "updated": updated, "unchanged_installed": kept}
    audit.record(
        session,
        who,
        "plan.import",
        "plan",
        body.period,
        after={**summary, "targets": targets},
        request_id=rid,
    )
    session.commit()
    return PlanImportResult(**summary, targets=dict(sorted(targets.items())))
