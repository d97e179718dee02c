"""Data behind the public dashboard: cached progress aggregates and the SVG district map.

Progress cache: computing the figures is a grouped query over every site (tens of ms at
city scale), while reading them is what every dashboard does every few seconds. Every
write that changes figures (reports, health ingest, plan import, targets) records an audit
entry in its own transaction, so ``max(audit_log.id)`` is a change stamp that costs one
index lookup: a cached report is served while the stamp is unchanged and it is younger
than ``max_age_s`` (5 s). The age bound also covers PostgreSQL transactions that commit out of
id order (their change would otherwise hide behind an already-seen stamp). The check reads
the database, so it is right across uvicorn worker processes without any messaging.

Map: district geometries (WGS84) are simplified and projected server-side to SVG path
strings (equirectangular with the cosine of the mean latitude, north up), so the browser
needs no map library and no tiles.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.models import AuditEntry, District

STAMP_QUERY = select(func.max(AuditEntry.id))
MAP_WIDTH = 1000.0
SIMPLIFY_DEG = 0.0004  # about 40 m: invisible at dashboard scale, 10x fewer vertices


@dataclass
class _Entry:
    stamp: int | None
    made_at: float
    value: Any


class ProgressCache:
    """Per-key cached values, valid while the audit stamp is unchanged and young enough.

    Single flight: when a value is stale, one thread recomputes it while the others
    wait for that result instead of running the same expensive query in parallel.
    """

    def __init__(self, max_age_s: float = 5.0) -> None:
        self.max_age_s = max_age_s
        self._entries: dict[tuple[str, str | None], _Entry] = {}
        self._locks: dict[tuple[str, str | None], threading.Lock] = {}
        self._guard = threading.Lock()

    @staticmethod
    def stamp(session: Session) -> int | None:
        """The change stamp: id of the latest audit entry."""
        return session.execute(STAMP_QUERY).scalar()

    def _fresh(self, key: tuple[str, str | None], stamp: int | None) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is None or entry.stamp != stamp:
            return None
        return entry if time.monotonic() - entry.made_at < self.max_age_s else None

    def get(self, session: Session, key: tuple[str, str | None], compute: Callable[[], Any]) -> Any:
        """The cached value of ``key`` or a freshly computed one."""
        stamp = self.stamp(session)
        entry = self._fresh(key, stamp)
        if entry is not None:
            return entry.value
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            entry = self._fresh(key, stamp)  # computed by another thread meanwhile
            if entry is None:
                entry = _Entry(stamp, time.monotonic(), compute())
                self._entries[key] = entry
        return entry.value


PROGRESS_CACHE = ProgressCache()


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
