"""Camera catalogue: DORI range formula, loading YAML/CSV, clear errors."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from planner.catalog import DORI_PX_PER_M, dori_range_m, load_catalog
from planner.optimize.errors import PlannerInputError


def test_dori_levels_are_the_iec_62676_4_densities() -> None:
    assert DORI_PX_PER_M == {
        "detection": 25.0,
        "observation": 62.5,
        "recognition": 125.0,
        "identification": 250.0,
    }


def test_range_formula_by_hand() -> None:
    # 2560 px over 90 degrees: tan(45) = 1, so d = 2560 / (2 * 62.5) = 20.48 m.
    assert dori_range_m(2560, 90, 62.5) == pytest.approx(20.48)
    # 1920 px over 60 degrees at identification: 1920 / (2 * 250 * tan 30).
    assert dori_range_m(1920, 60, 250) == pytest.approx(1920 / (500 * math.tan(math.pi / 6)))
    # Narrower lens, longer reach; denser level, shorter reach.
    assert dori_range_m(3840, 30, 62.5) > dori_range_m(3840, 60, 62.5)
    assert dori_range_m(3840, 30, 250) == pytest.approx(dori_range_m(3840, 30, 62.5) / 4)


def test_fisheye_uses_the_arc_length_form() -> None:
    # 9400 px around 360 degrees at 62.5 px/m: the ring 2*pi*d holds 9400/62.5 m of pixels.
    assert dori_range_m(9400, 360, 62.5) == pytest.approx(9400 / (62.5 * 2 * math.pi))


def test_builtin_catalogue_types_and_ranges() -> None:
    catalog = load_catalog()
    assert catalog.names == ["bullet", "dome", "ptz", "fisheye"]
    bullet = catalog.get("bullet")
    assert (bullet.horizontal_px, bullet.fov_deg) == (2560, 90)
    assert bullet.range_m() == pytest.approx(20.48)
    assert bullet.range_m("detection") == pytest.approx(51.2)
    assert catalog.get("fisheye").omnidirectional
    assert not catalog.get("ptz").omnidirectional
    assert catalog.existing_type == "dome"


def test_unknown_type_and_level_are_clear_errors() -> None:
    catalog = load_catalog()
    with pytest.raises(PlannerInputError, match=r"unknown camera type 'thermal'.*bullet, dome"):
        catalog.get("thermal")
    with pytest.raises(PlannerInputError, match="unknown DORI level 'sharp'"):
        catalog.get("ptz").range_m("sharp")


def test_csv_catalogue(tmp_path: Path) -> None:
    path = tmp_path / "cams.csv"
    path.write_text(
        "name,horizontal_px,fov_deg,unit_cost_cny,bitrate_mbps\n"
        "cheap,1280,90,900,1\n"
        "wide,3000,360,5000,3\n"
    )
    catalog = load_catalog(path)
    assert catalog.names == ["cheap", "wide"]
    assert catalog.get("cheap").range_m() == pytest.approx(10.24)
    assert catalog.source == str(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("types:\n  - {name: a, horizontal_px: -5, fov_deg: 90, unit_cost_cny: 1, "
         "bitrate_mbps: 1}\n", "field types.0.horizontal_px"),
        ("types:\n  - {name: a, horizontal_px: 5, fov_deg: 400, unit_cost_cny: 1, "
         "bitrate_mbps: 1}\n", "field types.0.fov_deg"),
        ("types:\n  - {name: a, horizontal_px: 5, fov_deg: 90, unit_cost_cny: 1, "
         "bitrate_mbps: 1, zoom: 3}\n", "field types.0.zoom"),
        ("types:\n  - {name: a, horizontal_px: 5, fov_deg: 90, unit_cost_cny: 1, "
         "bitrate_mbps: 1}\n  - {name: a, horizontal_px: 6, fov_deg: 90, unit_cost_cny: 1, "
         "bitrate_mbps: 1}\n", "listed twice"),
        ("default_existing_type: zz\ntypes:\n  - {name: a, horizontal_px: 5, fov_deg: 90, "
         "unit_cost_cny: 1, bitrate_mbps: 1}\n", "default_existing_type 'zz'"),
        ("types: [", "not valid YAML"),
    ],
)  # fmt: skip
def test_bad_catalogue_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(PlannerInputError, match=message) as info:
        load_catalog(path)
    assert str(path) in str(info.value)
