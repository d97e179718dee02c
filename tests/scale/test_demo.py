"""The `make demo` chain at small size: plan -> API -> monitor -> assessment -> outputs."""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
from pathlib import Path


def test_demo_chain_end_to_end(repo_root: Path, vtest_avi: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {
        **os.environ,
        "OUT": str(out),
        "DEMO_ONLY": "Yantian",
        "DEMO_TARGET": "150",
        "DEMO_SWEEPS": "3",
        "DEMO_PLAN_ARGS": "--quiet --bound online",
    }
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    run = subprocess.run(
        ["bash", str(repo_root / "scripts" / "demo.sh")],
        capture_output=True,
        text=True,
        env=env,
        timeout=400,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    # the printed outputs exist and are what they say
    for name in ("plan map", "district table", "assessment bulletin", "camera states"):
        assert name in run.stdout
    assert (out / "plan" / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with (out / "plan" / "districts.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["district"] for r in rows] == ["Yantian"] and int(rows[0]["placed"]) == 150

    # the monitor judged the real test streams and the API holds their states
    with (out / "camera_states.csv").open() as handle:
        states = {r["camera_id"]: (r["state"], r["reasons"]) for r in csv.DictReader(handle)}
    by_reason = {reasons: state for state, reasons in states.values()}
    assert by_reason.get("black") == "degraded" and by_reason.get("covered") == "degraded"
    assert by_reason.get("unreachable") == "down"
    with sqlite3.connect(out / "safecity.db") as db:
        stored = db.execute("SELECT count(*) FROM health_transitions").fetchone()[0]
        sites = db.execute("SELECT count(*) FROM camera_sites").fetchone()[0]
        published = db.execute(
            "SELECT count(*) FROM assessment_runs WHERE status = 'published'"
        ).fetchone()[0]
    assert stored >= 3 and sites == 150 and published == 1

    # the published bulletin ranks the districts
    bulletin = (out / "bulletin.html").read_text(encoding="utf-8")
    assert "Yantian" in bulletin and "Futian" in bulletin
