"""The public dashboard's district map: SVG paths built from the stored geometries.

District geometries (WGS84) are simplified and projected server-side to SVG path
strings (equirectangular with the cosine of the mean latitude, north up), so the browser
needs no map library and no tiles.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import District

MAP_WIDTH = 1000.0
SIMPLIFY_DEG = 0.0004  # about 40 m: invisible at dashboard scale, 10x fewer vertices


def _ring_path(xy: np.ndarray) -> str:
    points = " L".join(f"{x:.1f},{y:.1f}" for x, y in xy[:-1])
    return f"M{points} Z"


def svg_map(districts: list[tuple[str, str, str]]) -> dict[str, Any]:
    """SVG paths of ``(name, name_zh, WGS84 GeoJSON)`` districts in a ``MAP_WIDTH`` box."""
    names = [d[0] for d in districts]
    geoms = shapely.simplify(
        np.array([shapely.from_geojson(d[2]) for d in districts]), SIMPLIFY_DEG
    )
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    kx = math.cos(math.radians((y0 + y1) / 2))
    scale = MAP_WIDTH / ((x1 - x0) * kx)
    height = (y1 - y0) * scale

    def project(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(((coords[:, 0] - x0) * kx * scale, (y1 - coords[:, 1]) * scale))

    out = []
    labels = project(shapely.get_coordinates(shapely.point_on_surface(geoms)))
    for name, zh, geom, label in zip(names, [d[1] for d in districts], geoms, labels, strict=True):
        parts = shapely.get_parts(geom)
        rings = [r for p in parts for r in (p.exterior, *p.interiors)]
        path = " ".join(_ring_path(project(shapely.get_coordinates(r))) for r in rings)
        out.append(
            {
                "name": name,
                "name_zh": zh,
                "path": path,
                "label_x": round(float(label[0]), 1),
                "label_y": round(float(label[1]), 1),
            }
        )
    return {"width": MAP_WIDTH, "height": round(float(height), 1), "districts": out}


_MAPS: dict[str, dict[str, Any]] = {}


def district_map(session: Session, key: str) -> dict[str, Any]:
    """The SVG map of the database's districts (built once per database ``key``)."""
    if key not in _MAPS:
        rows = session.execute(
            select(District.name, District.name_zh, District.geometry).order_by(District.name)
        ).all()
        _MAPS[key] = svg_map([(r[0], r[1], r[2]) for r in rows])
    return _MAPS[key]
