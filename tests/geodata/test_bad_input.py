"""Bad input: one clear line naming the file and the problem, exit code 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from safecity.cli import app

runner = CliRunner()


def _fails(args: list[str], out: Path, *expected: str) -> None:
    result = runner.invoke(app, ["geodata", "export", "--out", str(out), "--only", "Futian", *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    for text in expected:
        assert text in lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()


def test_missing_file(tmp_path: Path) -> None:
    _fails(
        ["--streets", str(tmp_path / "nope.geojson")],
        tmp_path / "out",
        "nope.geojson",
        "file not found",
    )


def test_unreadable_format(tmp_path: Path) -> None:
    junk = tmp_path / "junk.gpkg"
    junk.write_text("this is not a geopackage")
    _fails(["--streets", str(junk)], tmp_path / "out", "junk.gpkg", "unreadable format")
    odd = tmp_path / "streets.xlsx"
    odd.write_text("x")
    _fails(["--streets", str(odd)], tmp_path / "out", "streets.xlsx", "unreadable format")


def test_no_crs(tmp_path: Path) -> None:
    path = tmp_path / "nocrs.parquet"
    gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1, 1)])]).to_parquet(path)
    _fails(["--streets", str(path)], tmp_path / "out", "nocrs.parquet", "no CRS")


def test_invalid_geometry_that_cannot_be_repaired(tmp_path: Path) -> None:
    path = tmp_path / "degenerate.geojson"
    line = shapely.LineString([(114.05, 22.54), (114.05, 22.54)])  # zero length: repairs to a point
    gpd.GeoDataFrame(geometry=[line], crs=4326).to_file(path)
    _fails(
        ["--streets", str(path)],
        tmp_path / "out",
        "degenerate.geojson",
        "row 0",
        "cannot be used as lines",
    )


def test_empty_layer(tmp_path: Path) -> None:
    path = tmp_path / "empty.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    _fails(["--incidents", str(path)], tmp_path / "out", "empty.geojson", "layer is empty")


def test_points_outside_every_district_swapped_lat_lon(tmp_path: Path) -> None:
    path = tmp_path / "incidents.csv"
    pd.DataFrame({"lon": [22.54, 114.05], "lat": [114.05, 22.54]}).to_csv(path, index=False)
    _fails(["--incidents", str(path)], tmp_path / "out", "incidents.csv", "invalid lon/lat")
    projected = tmp_path / "projected.csv"  # metres written where degrees belong
    pd.DataFrame({"lon": [114.05, 23.1, 23.2], "lat": [22.54, 22.1, 22.2]}).to_csv(
        projected, index=False
    )
    _fails(
        ["--incidents", str(projected)],
        tmp_path / "out",
        "projected.csv",
        "2 of 3 points lie outside every district",
        "lon=23.10000, lat=22.10000",
    )


@pytest.mark.parametrize(("flag", "value"), [("--spacing", "0"), ("--site-spacing", "-10")])
def test_zero_or_negative_spacing(tmp_path: Path, flag: str, value: str) -> None:
    _fails([flag, value], tmp_path / "out", "spacing must be a positive number")


def test_unknown_category_weight_key(tmp_path: Path) -> None:
    _fails(["--weight", "casino=3"], tmp_path / "out", "unknown category weight key 'casino'")
    _fails(["--weight", "port"], tmp_path / "out", "expected KEY=NUMBER")


def test_out_is_a_file(tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.write_text("not a folder")
    result = runner.invoke(app, ["geodata", "export", "--out", str(out), "--only", "Futian"])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {out}: --out must be a folder, and this is a file"
    assert out.read_text() == "not a folder"
