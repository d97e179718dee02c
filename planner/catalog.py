"""Camera catalogue: models (resolution, field of view, cost, bitrate) and their DORI ranges.

A camera's useful range depends on the pixel density the operator needs (IEC 62676-4
"DORI" levels). A camera with ``W`` horizontal pixels spread over a horizontal field of
view ``θ`` reaches density ``D`` px/m out to ``d = W / (2 D tan(θ/2))``. The tangent
form is the flat image plane of a rectilinear lens and does not exist at 180 degrees and
beyond; for such wide (fisheye) types the pixels are spread along the arc, so
``d = W / (D θ)`` with ``θ`` in radians (the two agree for narrow angles).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from planner.optimize.errors import PlannerInputError

DORI_PX_PER_M: dict[str, float] = {
    "detection": 25.0,
    "observation": 62.5,
    "recognition": 125.0,
    "identification": 250.0,
}
DEFAULT_LEVEL = "observation"
BUILTIN_CATALOG = "built-in cameras.yaml"


def pixel_density(level: str) -> float:
    """Pixels per metre required by a DORI level name (case-insensitive)."""
    try:
        return DORI_PX_PER_M[level.lower()]
    except KeyError:
        raise PlannerInputError(
            f"unknown DORI level {level!r}; choose one of {', '.join(DORI_PX_PER_M)}"
        ) from None


def dori_range_m(horizontal_px: float, fov_deg: float, density_px_per_m: float) -> float:
    """Distance (m) out to which a camera still delivers ``density_px_per_m``."""
    theta = math.radians(fov_deg)
    if fov_deg >= 180.0:
        return horizontal_px / (density_px_per_m * theta)
    return horizontal_px / (2.0 * density_px_per_m * math.tan(theta / 2.0))


class CameraType(BaseModel):
    """One camera model of the catalogue."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str = ""
    horizontal_px: int = Field(gt=0)
    fov_deg: float = Field(gt=0, le=360)
    unit_cost_cny: float = Field(gt=0)
    bitrate_mbps: float = Field(gt=0)

    @property
    def omnidirectional(self) -> bool:
        """True for 360-degree types, which cover a disc and need no heading."""
        return self.fov_deg >= 360.0

    def range_m(self, level: str = DEFAULT_LEVEL) -> float:
        """Range (m) at the pixel density of DORI ``level``."""
        return dori_range_m(self.horizontal_px, self.fov_deg, pixel_density(level))


class Catalog(BaseModel):
    """The camera types the planner may place, plus the type assumed for existing cameras."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    types: tuple[CameraType, ...] = Field(min_length=1)
    default_existing_type: str | None = None
    source: str = BUILTIN_CATALOG

    @model_validator(mode="after")
    def _names_unique_and_known(self) -> Catalog:
        names = [t.name for t in self.types]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"camera type(s) listed twice: {duplicated}")
        if self.default_existing_type is not None and self.default_existing_type not in names:
            raise ValueError(f"default_existing_type {self.default_existing_type!r} is not a type")
        return self

    @property
    def names(self) -> list[str]:
        """Type names in catalogue order."""
        return [t.name for t in self.types]

    def index(self, name: str) -> int:
        """Position of type ``name``; unknown names raise a clear error."""
        try:
            return self.names.index(name)
        except ValueError:
            raise PlannerInputError(
                f"unknown camera type {name!r} (catalogue {self.source} has: "
                f"{', '.join(self.names)})"
            ) from None

    def get(self, name: str) -> CameraType:
        """The type called ``name``."""
        return self.types[self.index(name)]

    def subset(self, names: Sequence[str]) -> Catalog:
        """A catalogue restricted to ``names`` (each must exist)."""
        chosen = tuple(self.get(n) for n in names)
        default = self.default_existing_type
        return Catalog(
            types=chosen,
            default_existing_type=default if default in names else chosen[0].name,
            source=self.source,
        )

    @property
    def existing_type(self) -> str:
        """Type assumed for an existing camera whose type is not given."""
        return self.default_existing_type or self.types[0].name

    def ranges_m(self, level: str = DEFAULT_LEVEL) -> np.ndarray:
        """Range of every type at ``level``, in catalogue order."""
        return np.array([t.range_m(level) for t in self.types], dtype=np.float64)

    def column(self, field: str) -> np.ndarray:
        """One numeric field of every type, in catalogue order."""
        return np.array([getattr(t, field) for t in self.types], dtype=np.float64)


def _from_mapping(data: Mapping[str, Any], source: str) -> Catalog:
    try:
        return Catalog(**{**data, "source": source})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        field = f"field {where}: " if where else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        raise PlannerInputError(f"{source}: {field}{message}") from None


def _read_csv(path: Path) -> dict[str, Any]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = [{k: v for k, v in row.items() if v not in (None, "")} for row in csv.DictReader(fh)]
    return {"types": rows}


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Read a catalogue from YAML (``types:`` list) or CSV (one type per row); None = built-in."""
    if path is None:
        text = resources.files("planner").joinpath("data/cameras.yaml").read_text("utf-8")
        return _from_mapping(yaml.safe_load(text), BUILTIN_CATALOG)
    path = Path(path)
    if not path.is_file():
        raise PlannerInputError(f"camera catalogue {path} does not exist")
    if path.suffix.lower() == ".csv":
        data: Any = _read_csv(path)
    else:
        try:
            data = yaml.safe_load(path.read_text("utf-8"))
        except yaml.YAMLError as exc:
            raise PlannerInputError(f"{path}: not valid YAML ({exc})") from None
        if isinstance(data, list):
            data = {"types": data}
    if not isinstance(data, dict):
        raise PlannerInputError(f"{path}: expected a mapping with a 'types' list")
    return _from_mapping(data, str(path))
