"""``safecity geodata summary`` and ``export`` on a small city."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import matplotlib.image as mpimg
import pandas as pd
from typer.testing import CliRunner

from safecity.cli import app

runner = CliRunner()


def test_summary_prints_per_district_table() -> None:
    result = runner.invoke(app, ["geodata", "summary", "--only", "Futian", "--only", "Luohu"])
    assert result.exit_code == 0, result.output
    for text in ("Futian", "Luohu", "福田区", "street km", "hot-spot weight %", "synthetic"):
        assert text in result.stdout


def test_export_writes_layers_and_map(tmp_path: Path, test_output_dir: Path) -> None:
    out = tmp_path / "geodata"
    result = runner.invoke(app, ["geodata", "export", "--out", str(out), "--only", "Futian"])
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    layers = ["districts", "streets", "hotspots", "demand", "candidates"]
    assert {f"{n}.parquet" for n in layers} <= names
    assert {"districts.geojson", "streets.geojson", "hotspots.geojson", "map.png"} <= names
    streets = gpd.read_parquet(out / "streets.parquet")
    assert streets.crs.to_epsg() == 4547 and (streets["source"] == "synthetic").all()
    candidates = gpd.read_parquet(out / "candidates.parquet")
    assert len(candidates["bearings"].iloc[0]) >= 1
    districts = gpd.read_file(out / "districts.geojson")
    assert districts.crs.to_epsg() == 4326 and districts["district"].tolist() == ["Futian"]
    summary = pd.read_csv(out / "summary.csv")
    assert summary.loc[0, "street_km"] > 1000
    image = mpimg.imread(out / "map.png")
    assert image.shape[0] > 800 and image.shape[1] > 1500
    assert image[..., :3].std() > 0.05  # a real picture, not a blank canvas
    (test_output_dir / "geodata_futian_map.png").write_bytes((out / "map.png").read_bytes())
