"""Street networks: synthetic generator, OSM PBF (pyrosm's bundled extracts) and user files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pyrosm
import pytest
import shapely
from pyproj import Geod

from geodata import METRIC_CRS, City, GeodataError, load_districts, load_streets


def test_synthetic_network_is_labelled_clipped_and_a_graph(futian: City) -> None:
    net = futian.streets
    seg = net.segments
    assert list(seg.columns) == [
        "segment_id",
        "district",
        "length_m",
        "road_class",
        "source",
        "geometry",
    ]
    assert (seg["source"] == "synthetic").all() and (seg["district"] == "Futian").all()
    assert set(seg["road_class"]) == {"primary", "secondary", "residential"}
    assert np.allclose(seg["length_m"], seg.length) and (seg["length_m"] > 0).all()
    polygon = futian.districts.geometry.iloc[0].buffer(0.01)
    assert shapely.within(seg.geometry.to_numpy(), polygon).all()
    # Futian is the densest district: 12-20 km of street per km2
    assert 12 < net.total_km / futian.districts["area_km2"].item() < 20
    graph = net.graph
    assert graph.number_of_edges() == len(seg)
    u, v, data = next(iter(graph.edges(data=True)))
    line = seg.geometry.iloc[data["segment_id"]]
    ends = {tuple(np.round(line.coords[0], 2)), tuple(np.round(line.coords[-1], 2))}
    assert {(round(graph.nodes[n]["x"], 2), round(graph.nodes[n]["y"], 2)) for n in (u, v)} == ends
    assert data["length"] == pytest.approx(line.length)
    biggest = max(nx.connected_components(graph), key=len)
    assert len(biggest) > 0.9 * graph.number_of_nodes()  # one connected street grid


def test_synthetic_network_is_seeded(districts: gpd.GeoDataFrame) -> None:
    yantian = districts[districts["district"] == "Yantian"]
    first = load_streets(districts=yantian, seed=5).segments
    again = load_streets(districts=yantian, seed=5).segments
    other = load_streets(districts=yantian, seed=6).segments
    assert first.geometry.geom_equals_exact(again.geometry, 1e-9).all()
    assert len(first) != len(other) or not np.allclose(first["length_m"], other["length_m"])


def test_whole_city_total_is_realistic() -> None:
    net = load_streets()
    per_district = net.segments.groupby("district")["length_m"].sum() / 1000
    assert 10_000 < net.total_km < 30_000
    assert per_district.idxmax() == "Longgang"  # biggest district, most streets
    density = per_district / load_districts().set_index("district")["area_km2"]
    assert density.idxmax() == "Futian" and density.idxmin() == "Yantian"


def _district_around(lines: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    box = shapely.box(*lines.total_bounds).buffer(0.01)
    return gpd.GeoDataFrame({"district": ["Test"]}, geometry=[box], crs=4326).to_crs(METRIC_CRS)


@pytest.mark.parametrize("extract", ["test_pbf", "helsinki_pbf"])
def test_osm_pbf_extract_loads_as_split_network(extract: str) -> None:
    path = pyrosm.get_data(extract)  # bundled with pyrosm: nothing is downloaded
    assert Path(path).is_file()
    raw = pyrosm.OSM(path).get_network(network_type="all")
    net = load_streets(path, districts=_district_around(raw))
    seg = net.segments
    assert (seg["source"] == "osm").all() and (seg["district"] == "Test").all()
    assert {"residential", "secondary"} <= set(seg["road_class"])
    assert not seg["road_class"].isin(["footway", "steps", "cycleway"]).any()
    # ways are split at intersections: many nodes where three or more segments meet
    assert (net.node_degree() >= 3).sum() > 50
    geod = Geod(ellps="WGS84")
    geodesic_km = sum(geod.geometry_length(g) for g in seg.to_crs(4326).geometry) / 1000
    # lengths are in EPSG:4547 (central meridian 114E): far from it, in Finland, the
    # Gauss-Kruger scale factor is about 1.15
    assert 1.0 < net.total_km / geodesic_km < 1.3


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".parquet"])
def test_street_files_load_with_source_file(
    futian: City, tmp_path: Path, suffix: str, write_wgs84: Callable
) -> None:
    seg = futian.streets.segments.iloc[:500]
    path = write_wgs84(seg[["road_class", "geometry"]], tmp_path / f"streets{suffix}")
    net = load_streets(path, districts=futian.districts)
    assert (net.segments["source"] == "file").all()
    assert net.total_km == pytest.approx(seg["length_m"].sum() / 1000, rel=1e-4)
    assert set(net.segments["road_class"]) <= {"primary", "secondary", "residential"}


def test_street_file_outside_the_districts_is_an_error(futian: City, tmp_path: Path) -> None:
    seg = futian.streets.segments.iloc[:50].to_crs(4326)
    swapped = seg.set_geometry(shapely.transform(seg.geometry.to_numpy(), lambda xy: xy[:, ::-1]))
    path = tmp_path / "swapped.geojson"
    swapped[["geometry"]].to_file(path)
    with pytest.raises(GeodataError, match=r"swapped\.geojson: no street lies inside"):
        load_streets(path, districts=futian.districts)
