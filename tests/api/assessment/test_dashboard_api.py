"""Public dashboard data: aggregates only, no login, fresh after every write, SVG map."""

from __future__ import annotations

import re

import pytest

from api.dashboard import svg_map

SQUARE = '{"type":"Polygon","coordinates":[[[114,22],[114.1,22],[114.1,22.1],[114,22.1],[114,22]]]}'
HOLED = (
    '{"type":"MultiPolygon","coordinates":[[[[114.2,22],[114.4,22],[114.4,22.2],[114.2,22.2],'
    "[114.2,22]],[[114.25,22.05],[114.3,22.05],[114.3,22.1],[114.25,22.05]]]]}"
)


def test_svg_map_projects_north_up_and_keeps_holes():
    drawn = svg_map([("A", "甲", SQUARE), ("B", "乙", HOLED)])
    assert drawn["width"] == 1000.0
    # 0.4 deg of longitude at 22.1 N is cos(22.1) * 0.4 deg of latitude wide; 0.2 deg tall
    assert drawn["height"] == pytest.approx(1000 * 0.2 / (0.4 * 0.92653), rel=1e-3)
    a, b = drawn["districts"]
    assert a["path"].startswith("M0.0,") and a["path"].count("Z") == 1
    assert b["path"].count("M") == 2  # exterior + hole
    xy = [tuple(map(float, p.split(","))) for p in re.findall(r"[\d.]+,[\d.]+", a["path"])]
    assert min(x for x, _ in xy) == 0.0 and max(x for x, _ in xy) == pytest.approx(250, abs=0.1)
    # north up: B reaches 22.2 N (y = 0), A's top edge (22.1 N) lies half-way down
    assert min(y for _, y in xy) == pytest.approx(drawn["height"] / 2, abs=0.1)
    assert max(y for _, y in xy) == pytest.approx(drawn["height"], abs=0.1)
    assert 0 < a["label_x"] < 250 and b["label_x"] > 500


def test_public_progress_map_and_detail(client, auth, rollout, report_installed):
    state = rollout({"Futian": (10, 4, 3), "Nanshan": (5, 5, 0)})
    progress = client.get("/api/v1/dashboard/progress")  # no credentials
    assert progress.status_code == 200
    body = progress.json()
    assert body["period"] == state.period
    rows = {d["district"]: d for d in body["districts"]}
    assert len(rows) == 9
    assert (rows["Futian"]["installed"], rows["Futian"]["online"]) == (4, 3)
    assert rows["Futian"]["completion_pct"] == 40.0 and rows["Nanshan"]["down"] == 5
    assert body["city"]["installed"] == 9
    assert "camera_id" not in progress.text and "lon" not in progress.text

    # a write is visible on the next read (commits invalidate the rollout cache)
    report_installed(auth["reporter"], "Futian", state.planned["Futian"][4:6])
    again = client.get("/api/v1/dashboard/progress").json()
    assert {d["district"]: d["installed"] for d in again["districts"]}["Futian"] == 6

    drawn = client.get("/api/v1/dashboard/map").json()
    assert sorted(d["name"] for d in drawn["districts"]) == sorted(rows)
    assert all(d["path"].startswith("M") for d in drawn["districts"])
    assert len(client.get("/api/v1/dashboard/map").content) < 100_000

    detail = client.get("/api/v1/dashboard/districts/Futian").json()
    assert detail["progress"]["installed"] == 6 and detail["published"] is None
    assert len(detail["trend"]) == 30 and detail["trend"][-1]["installed"] == 6
    missing = client.get("/api/v1/dashboard/districts/Atlantis")
    assert missing.status_code == 404 and "unknown district 'Atlantis'" in missing.text

    page = client.get("/dashboard")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text)  # nothing external
    script = client.get("/dashboard/static/dashboard.js")
    assert script.status_code == 200 and 'const API = "/api/v1/dashboard"' in script.text
    assert client.get("/dashboard/static/../models.py").status_code == 404
