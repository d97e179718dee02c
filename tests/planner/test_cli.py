"""``safecity plan`` / ``safecity cover`` end to end through the real typer app."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import matplotlib.image as mpimg
import pandas as pd
import pytest
from typer.testing import CliRunner

from safecity.cli import app

runner = CliRunner()


def _cams_csv(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "existing.csv"
    path.write_text("camera_id,lon,lat,type,heading,owner\n" + rows)
    return path


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One real run on Futian with existing cameras and custom phases."""
    tmp = tmp_path_factory.mktemp("plan")
    existing = _cams_csv(
        tmp,
        "mall-1,114.0550,22.5330,dome,90,enterprise\n"
        "res-2,114.0600,22.5400,,,compound\n"
        "luohu-3,114.1200,22.5500,ptz,10,police\n",  # Luohu: outside --only Futian
    )
    out = tmp / "out"
    result = runner.invoke(
        app,
        ["plan", "--only", "Futian", "--target", "200", "--existing", str(existing),
         "--phases", "early=25%,late=75%", "--quiet", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out, result.stdout


def test_plan_prints_the_district_table(planned: tuple[Path, str]) -> None:
    _, stdout = planned
    assert "Cameras per district" in stdout
    assert "Futian" in stdout and "total" in stdout
    assert "covered" in stdout and "early 50 cameras" in stdout and "late 150 cameras" in stdout


def test_cameras_files(planned: tuple[Path, str]) -> None:
    out, _ = planned
    cams = gpd.read_parquet(out / "cameras.geoparquet")
    expected = ["camera_id", "district", "lon", "lat", "type", "heading", "phase", "rank",
                "marginal_gain", "site_id", "cost", "existing", "geometry"]  # fmt: skip
    assert list(cams.columns) == expected
    assert len(cams) == 202 and cams["existing"].sum() == 2
    assert cams.crs.to_epsg() == 4547
    new = cams[~cams["existing"]]
    assert new["phase"].value_counts().to_dict() == {"early": 50, "late": 150}
    assert set(cams.loc[cams["existing"], "camera_id"]) == {"mall-1", "res-2"}
    assert set(cams.loc[cams["existing"], "type"]) == {"dome"}  # catalogue default for res-2
    assert (new["marginal_gain"] > 0).all() and (new["cost"] > 0).all()
    geo = json.loads((out / "cameras.geojson").read_text())
    assert len(geo["features"]) == 202
    first = geo["features"][0]
    lon, lat = first["geometry"]["coordinates"]
    assert first["properties"]["lon"] == pytest.approx(lon) and 22.4 < lat < 22.7
    assert set(expected) - {"geometry"} <= set(first["properties"])


def test_districts_csv_and_summary(planned: tuple[Path, str]) -> None:
    out, _ = planned
    table = pd.read_csv(out / "districts.csv")
    assert list(table.columns) == [
        "district", "quota", "existing", "placed", "cost_cny", "covered_weight_pct",
        "street_km", "covered_street_km", "hotspot_coverage_pct", "bandwidth_mbps",
        "storage_tb_30d",
    ]  # fmt: skip
    row = table.iloc[0]
    assert (row["district"], row["quota"], row["existing"], row["placed"]) == (
        "Futian",
        200,
        2,
        200,
    )
    assert 0 < row["covered_weight_pct"] < 100 and row["storage_tb_30d"] > 0
    s = json.loads((out / "summary.json").read_text())
    assert s["placed"] == 200 and s["existing"] == 2 and s["total_cameras"] == 202
    assert s["existing_outside_selected_districts"] == 1
    assert s["covered_pct"] == pytest.approx(row["covered_weight_pct"], abs=1e-3)
    assert s["upper_bound"] is None or s["upper_bound"] >= s["covered_weight"]
    assert s["gap"] is None or 0 <= s["gap"] < 1
    assert s["inputs"]["streets"].startswith("synthetic")
    assert s["inputs"]["existing"].endswith("existing.csv")
    assert s["inputs"]["quotas"] == "proportional to demand weight"
    assert {"load_city", "options_and_coverage", "solve", "outputs"} <= set(s["timings_s"])
    assert [p["phase"] for p in s["phases"]] == ["early", "late"]
    assert s["sizes"]["coverage_nonzeros"] > s["sizes"]["candidate_sites"]


def test_pictures_and_self_contained_report(planned: tuple[Path, str]) -> None:
    out, _ = planned
    for name in ("map.png", "coverage_curve.png"):
        image = mpimg.imread(out / name)
        assert image.shape[0] > 400 and image.shape[1] > 800
        assert image[..., :3].std() > 0.05  # not a blank canvas
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 2
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert "<td>Futian</td>" in html and "early" in html


def _fails(args: list[str], out: Path, message: str) -> None:
    result = runner.invoke(app, [*args, "--quiet", "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "0"], "--target must be a positive"),
        (["--target", "-5"], "--target must be a positive"),
        (["--budget", "-100"], "--budget must be a positive"),
        (["--target", "10", "--budget", "0"], "--budget must be a positive"),
        (["--target", "10000000"], "exceeds the"),
        (["--target", "10", "--phases", "a=60%,b=60%"], "sum to 120"),
        (["--target", "10", "--level", "sharp"], "unknown DORI level 'sharp'"),
        (["--target", "10", "--only", "Gotham"], "unknown district 'Gotham'"),
        (["--target", "10", "--catalog", "nope.yaml"], "nope.yaml does not exist"),
    ],
)
def test_bad_flags(tmp_path: Path, args: list[str], message: str) -> None:
    _fails(["plan", "--only", "Futian", *args], tmp_path / "out", message)


def test_bad_quotas_files(tmp_path: Path) -> None:
    unknown = tmp_path / "q1.csv"
    unknown.write_text("district,quota\nFutian,5\nGotham,5\n")
    _fails(["plan", "--only", "Futian", "--target", "10", "--quotas", str(unknown)],
           tmp_path / "o1", "unknown district 'Gotham'")  # fmt: skip
    short = tmp_path / "q2.csv"
    short.write_text("district,quota\nFutian,5\n")
    _fails(["plan", "--only", "Futian", "--target", "10", "--quotas", str(short)],
           tmp_path / "o2", "quotas sum to 5, less than the target 10")  # fmt: skip


def test_unknown_camera_type_and_camera_outside_the_city(tmp_path: Path) -> None:
    thermal = _cams_csv(tmp_path, "t1,114.0550,22.5330,thermal,90,enterprise\n")
    _fails(["plan", "--only", "Futian", "--target", "10", "--existing", str(thermal)],
           tmp_path / "o1", "unknown camera type 'thermal'")  # fmt: skip
    far = _cams_csv(tmp_path, "f1,116.4,39.9,dome,90,enterprise\n")  # Beijing
    _fails(["plan", "--only", "Futian", "--target", "10", "--existing", str(far)],
           tmp_path / "o2", "outside every district")  # fmt: skip
    catalog = tmp_path / "cams.yaml"
    catalog.write_text("types:\n  - {name: a, horizontal_px: 0, fov_deg: 90, unit_cost_cny: 1, "
                       "bitrate_mbps: 1}\n")  # fmt: skip
    _fails(["plan", "--only", "Futian", "--target", "10", "--catalog", str(catalog)],
           tmp_path / "o3", "field types.0.horizontal_px")  # fmt: skip


def test_failed_run_leaves_an_existing_output_folder_untouched(
    planned: tuple[Path, str],
) -> None:
    out, _ = planned
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    result = runner.invoke(app, ["plan", "--target", "0", "--quiet", "--out", str(out)])
    assert result.exit_code == 2
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_cover_finds_a_cheap_set_for_the_hot_spot_streets(tmp_path: Path) -> None:
    out = tmp_path / "cover"
    result = runner.invoke(
        app,
        ["cover", "--only", "Futian", "--required", "0.5", "--time-limit", "3", "--quiet",
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    s = json.loads((out / "summary.json").read_text())
    assert s["mode"] == "min_cost_cover" and s["scope"] == "hotspots" and s["required"] == 0.5
    assert s["hotspot_coverage_pct"] >= 50.0 - 1e-6
    cams = gpd.read_parquet(out / "cameras.geoparquet")
    assert len(cams) == s["placed"] > 0
    assert cams["cost"].sum() == pytest.approx(s["cost_cny"])
    # cost-effectiveness, not reach, decides: cheaper types than an all-PTZ plan
    assert s["cost_cny"] < 28_000 * s["placed"]
    assert s["cost_lower_bound"] is None or s["cost_lower_bound"] <= s["cost_cny"]
    _fails(["cover", "--only", "Futian", "--required", "1.5"], tmp_path / "bad",
           "--required must be in (0, 1]")  # fmt: skip
