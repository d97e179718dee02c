"""Plan outputs: GeoParquet/GeoJSON cameras, district CSV, summary JSON, PNGs, HTML report."""

from planner.outputs.files import PLAN_FILES, write_plan

__all__ = ["PLAN_FILES", "write_plan"]
