"""Pictures of a plan: the camera map and the coverage curve (PNG, matplotlib Agg)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import shapely
from matplotlib.collections import LineCollection

from planner.pipeline import Plan

PHASE_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")
EXISTING_COLOUR = "#555555"


def _line_collection(lines: np.ndarray) -> LineCollection:
    """All street lines as one collection (vectorised split of their coordinates)."""
    coords, index = shapely.get_coordinates(lines, return_index=True)
    cuts = np.flatnonzero(np.diff(index)) + 1
    return LineCollection(np.split(coords, cuts), colors="#bbbbbb", linewidths=0.25, alpha=0.6)


def write_map(plan: Plan, path: Path) -> None:
    """Districts, streets (faint) and cameras coloured by phase."""
    fig, ax = plt.subplots(figsize=(11, 8), dpi=130)
    districts = plan.city.districts
    districts.boundary.plot(ax=ax, color="#333333", linewidth=0.8)
    ax.add_collection(_line_collection(plan.city.streets.segments.geometry.values))
    if plan.buildings is not None and len(plan.buildings):
        plan.buildings.plot(ax=ax, color="#c9b79c", linewidth=0, alpha=0.7)
    cameras = plan.cameras
    size = float(np.clip(3000.0 / max(len(cameras), 1), 0.3, 12.0))
    old = cameras[cameras["existing"]]
    if len(old):
        ax.scatter(
            old.geometry.x,
            old.geometry.y,
            s=size,
            c=EXISTING_COLOUR,
            marker="s",
            label=f"existing ({len(old):,})",
            linewidths=0,
        )
    for i, phase in enumerate(plan.phases.to_dict("records")):
        sel = cameras[cameras["phase"] == phase["phase"]]
        years = f" {phase['years']}" if phase["years"] else ""
        ax.scatter(
            sel.geometry.x,
            sel.geometry.y,
            s=size,
            linewidths=0,
            c=PHASE_COLOURS[i % len(PHASE_COLOURS)],
            label=f"{phase['phase']}{years} ({len(sel):,})",
        )
    for row in districts.itertuples():
        centre = row.geometry.representative_point()
        ax.annotate(row.district, (centre.x, centre.y), ha="center", fontsize=8, alpha=0.8)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.legend(loc="lower left", fontsize=8, markerscale=max(1.0, 6.0 / size))
    s = plan.summary
    ax.set_title(
        f"{s['placed']:,} new cameras ({s['existing']:,} existing) - "
        f"{s['covered_pct']:.1f}% of demand weight covered",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_curve(plan: Plan, path: Path) -> None:
    """Covered weight (% of total) against the number of new cameras, phases marked."""
    total = plan.summary["total_weight"] or 1.0
    curve = 100.0 * plan.curve / total
    fig, ax = plt.subplots(figsize=(9, 5), dpi=130)
    ax.plot(np.arange(len(curve)), curve, color="#1f77b4", linewidth=1.6, label="covered weight")
    upper = plan.summary.get("upper_bound_pct")
    if upper is not None:
        ax.axhline(
            upper,
            color="#d62728",
            linestyle="--",
            linewidth=1,
            label=f"upper bound ({plan.summary['bound_method']}) {upper:.2f}%",
        )
    end = 0
    for i, phase in enumerate(plan.phases.to_dict("records")):
        start, end = end, end + int(phase["cameras"])
        ax.axvspan(start, end, color=PHASE_COLOURS[i % len(PHASE_COLOURS)], alpha=0.08)
        ax.annotate(
            f"{phase['phase']}\n+{phase['added_pct']:.1f}%",
            ((start + end) / 2, 0.02),
            xycoords=("data", "axes fraction"),
            ha="center",
            fontsize=8,
        )
    ax.set_xlabel("new cameras (greedy order)")
    ax.set_ylabel("covered demand weight (% of total)")
    ax.set_ylim(0, min(101.0, 1.15 * max(float(curve.max()), upper or 0.0)) or 1.0)
    ax.set_xlim(0, max(len(curve) - 1, 1))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title("Coverage curve by rollout phase")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
