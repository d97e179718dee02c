"""Real data: plan on the OpenStreetMap extract pyrosm ships (Kouvola, Finland), offline.

The extract lies far outside Shenzhen, so the planning area is given as a polygon file
(``--districts``); its real building footprints block views.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyrosm
import pytest
import shapely
from typer.testing import CliRunner

from planner.catalog import load_catalog
from planner.city import crs_scale_factor, load_plan_city
from planner.coverage import SectorModel, coverage_matrix
from planner.occlusion import WALL_TOLERANCE_M, Occluders
from planner.sectors import candidate_options, candidate_sites_table
from safecity.cli import app


def _refuse_network(*args: object, **kwargs: object) -> None:
    raise AssertionError("the test tried to open a network connection")


@pytest.fixture(scope="module")
def kouvola(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The bundled PBF, its extent as one planning area and its buildings, as files."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", _refuse_network)
        pbf = Path(pyrosm.get_data("test_pbf"))
        osm = pyrosm.OSM(str(pbf))
        streets = osm.get_network(network_type="driving")
        buildings = osm.get_buildings()
    assert pbf.is_file() and Path(pyrosm.__file__).parent in pbf.parents  # bundled, not fetched
    tmp = tmp_path_factory.mktemp("kouvola")
    area = gpd.GeoDataFrame(
        {"district": ["Kouvola centre"]},
        geometry=[shapely.box(*streets.total_bounds)],
        crs="EPSG:4326",
    )
    area.to_file(tmp / "area.geojson", driver="GeoJSON")
    # OSM has a few broken outlines: repair them and keep the polygonal parts
    parts = buildings[["geometry"]].make_valid().explode(index_parts=False)
    polygons = gpd.GeoDataFrame(geometry=parts[parts.geom_type == "Polygon"].values, crs=4326)
    polygons.to_file(tmp / "buildings.geojson", driver="GeoJSON")
    return {"pbf": pbf, "area": tmp / "area.geojson", "buildings": tmp / "buildings.geojson"}


def test_plan_on_real_osm_streets_with_real_buildings(
    kouvola: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket.socket, "connect", _refuse_network)
    out = tmp_path / "plan"
    args = ["plan", "--streets", str(kouvola["pbf"]), "--districts", str(kouvola["area"]),
            "--target", "40", "--quiet", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(app, [*args, "--buildings", str(kouvola["buildings"])])
    assert result.exit_code == 0, result.output
    s = json.loads((out / "summary.json").read_text())
    assert s["placed"] == 40
    assert s["inputs"]["streets"] == str(kouvola["pbf"])
    assert s["inputs"]["demand weighting"].startswith("uniform")
    assert s["sizes"]["buildings"] > 1000  # real footprints of the extract
    assert 40 < s["street_km"] < 80  # the extract's drivable/walkable streets
    cams = gpd.read_parquet(out / "cameras.geoparquet")
    assert cams["lon"].between(26.92, 26.98).all() and cams["lat"].between(60.51, 60.55).all()
    assert (cams["district"] == "Kouvola centre").all()
    table = pd.read_csv(out / "districts.csv")
    assert table["district"].tolist() == ["Kouvola centre"] and table["placed"].iloc[0] == 40

    open_out = tmp_path / "open"
    result = CliRunner().invoke(app, [*args[:-1], str(open_out)])
    assert result.exit_code == 0, result.output
    open_view = json.loads((open_out / "summary.json").read_text())
    assert open_view["sizes"]["coverage_nonzeros"] > s["sizes"]["coverage_nonzeros"]


def test_no_covered_sight_line_crosses_a_real_building(kouvola: dict[str, Path]) -> None:
    city = load_plan_city(streets=kouvola["pbf"], districts=kouvola["area"], progress=False)
    catalog = load_catalog()
    sites = candidate_sites_table(city.candidates)
    options = candidate_options(city.candidates, catalog)
    footprints = gpd.read_file(kouvola["buildings"]).to_crs(city.districts.crs).geometry.values
    point_xy = shapely.get_coordinates(city.demand.geometry.values)
    model = SectorModel.from_catalog(catalog, units_per_m=crs_scale_factor(city.districts))
    blocked = coverage_matrix(sites.xy, options, model, point_xy, occluders=Occluders(footprints))
    free = coverage_matrix(sites.xy, options, model, point_xy)
    assert 0 < blocked.nnz < free.nnz
    coo = blocked.tocoo()
    pick = np.random.default_rng(1).choice(coo.nnz, size=min(3000, coo.nnz), replace=False)
    lines = shapely.linestrings(
        np.stack([sites.xy[options.site[coo.col[pick]]], point_xy[coo.row[pick]]], axis=1)
    )
    walls = shapely.union_all(shapely.buffer(footprints, -WALL_TOLERANCE_M))
    assert not shapely.intersects(lines, walls).any()
    # ranges are true metres: the CRS (CM 114E) stretches Kouvola's map units ~15 %
    assert crs_scale_factor(city.districts) == pytest.approx(1.148, abs=0.01)
