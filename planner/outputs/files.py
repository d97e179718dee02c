"""Write a plan's files atomically: everything goes to a temporary folder, then into place."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from planner.outputs.charts import write_curve, write_map
from planner.outputs.report import write_report
from planner.pipeline import Plan

CAMERA_COLUMNS = [
    "camera_id",
    "district",
    "lon",
    "lat",
    "type",
    "heading",
    "phase",
    "rank",
    "marginal_gain",
    "site_id",
    "cost",
    "existing",
    "geometry",
]
PLAN_FILES = (
    "cameras.geoparquet",
    "cameras.geojson",
    "districts.csv",
    "summary.json",
    "map.png",
    "coverage_curve.png",
    "report.html",
)


def _json_safe(value: Any) -> Any:
    """NaN/inf -> None and numpy scalars -> Python, recursively."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _write_all(plan: Plan, folder: Path) -> None:
    cameras = plan.cameras[CAMERA_COLUMNS]
    cameras.to_parquet(folder / "cameras.geoparquet", index=False)
    cameras.to_crs("EPSG:4326").to_file(folder / "cameras.geojson", driver="GeoJSON")
    plan.districts.round(4).to_csv(folder / "districts.csv", index=False)
    write_map(plan, folder / "map.png")
    write_curve(plan, folder / "coverage_curve.png")
    write_report(plan, folder / "report.html", folder / "map.png", folder / "coverage_curve.png")


def write_plan(plan: Plan, out_dir: str | Path) -> dict[str, float]:
    """Write every plan file into ``out_dir``; on any failure nothing appears there.

    Files are written to a temporary sibling folder and then moved into ``out_dir`` one
    by one (other files already in ``out_dir`` are left alone). Returns the timing.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        _write_all(plan, staging)
        plan.summary["timings_s"]["outputs"] = round(time.perf_counter() - start, 3)
        summary = _json_safe(plan.summary)
        (staging / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        out_dir.mkdir(exist_ok=True)
        for name in PLAN_FILES:
            os.replace(staging / name, out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {"outputs": plan.summary["timings_s"]["outputs"]}
