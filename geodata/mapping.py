"""PNG map of a city: hot-spot intensity, streets, districts and priority places."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import shapely
from matplotlib.collections import LineCollection

from geodata.city import City

_ROAD_WIDTH = {"primary": 0.6, "secondary": 0.35}


def render_map(city: City, path: Path, *, dpi: int = 150) -> Path:
    """Draw the city to ``path`` (PNG) in METRIC_CRS kilometres and return the path."""
    fig, ax = plt.subplots(figsize=(14, 8.5), dpi=dpi)
    minx, miny, maxx, maxy = city.districts.total_bounds
    xs = np.linspace(minx, maxx, 700)
    ys = np.linspace(miny, maxy, 450)
    gx, gy = np.meshgrid(xs, ys)
    surface = city.intensity.at(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    inside = shapely.contains_xy(
        shapely.union_all(city.districts.geometry.values), gx.ravel(), gy.ravel()
    ).reshape(gx.shape)
    image = ax.imshow(
        np.log10(np.where(inside, surface, np.nan)),
        extent=(minx / 1e3, maxx / 1e3, miny / 1e3, maxy / 1e3),
        origin="lower",
        cmap="magma_r",
        alpha=0.85,
        vmin=0.0,
    )
    fig.colorbar(image, ax=ax, shrink=0.7, label="log10 hot-spot intensity (background = 0)")
    lines = city.streets.segments
    coords, index = shapely.get_coordinates(lines.geometry.values, return_index=True)
    starts = np.r_[0, np.flatnonzero(np.diff(index)) + 1]
    paths = np.split(coords / 1e3, starts[1:])
    widths = lines["road_class"].map(_ROAD_WIDTH).fillna(0.12).to_numpy()
    ax.add_collection(LineCollection(paths, linewidths=widths, colors="#31465e", alpha=0.55))
    city.districts.boundary.scale(1e-3, 1e-3, origin=(0, 0)).plot(
        ax=ax, color="#0a7d3b", linewidth=1.2
    )
    for row in city.districts.itertuples():
        parts = shapely.get_parts(row.geometry)
        label_at = parts[np.argmax(shapely.area(parts))].representative_point()
        ax.annotate(
            row.district,
            (label_at.x / 1e3, label_at.y / 1e3),
            ha="center",
            fontsize=10,
            weight="bold",
            color="#0a4d2b",
        )
    places = city.hotspots[city.hotspots["source"] != "synthetic"]
    ax.scatter(
        places.geometry.x / 1e3,
        places.geometry.y / 1e3,
        s=14,
        c="#1f77b4",
        marker="^",
        label="priority places",
        zorder=3,
    )
    ax.set_xlim(minx / 1e3, maxx / 1e3)
    ax.set_ylim(miny / 1e3, maxy / 1e3)
    ax.set_aspect("equal")
    ax.set_xlabel("easting km (EPSG:4547)")
    ax.set_ylabel("northing km")
    km = city.streets.total_km
    ax.set_title(
        f"Shenzhen: {len(city.districts)} districts, {km:,.0f} km of streets "
        f"[streets: {city.sources.get('streets', '')}], hot-spot intensity"
    )
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
