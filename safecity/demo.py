"""The whole chain on this machine: plan -> API -> monitor -> assessment -> outputs.

``python -m safecity.demo --out out`` (what ``make demo`` runs through scripts/demo.sh):

1. ``safecity plan`` on the built-in city (demo-sized target) -> ``OUT/plan/``;
2. a local API database ``OUT/safecity.db``, API keys, and ``safecity serve``;
3. a period, and the plan imported into it (sites + per-district targets);
4. a handful of local test streams (real footage, .cache/media/vtest.avi, with faults
   from monitor.faults) reported installed with their stream URLs, plus one camera whose
   stream is unreachable;
5. ``safecity monitor run`` sweeps the feeds the API lists, pushing transitions to it;
6. an assessment run of the period, published, and its bulletin;
7. outputs written under ``OUT/`` and their paths printed.

Every step uses the public commands and HTTP API, as an operator would.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from safecity.localapi import SAFECITY, LocalApi, create_key

REPO = Path(__file__).resolve().parent.parent
VTEST = REPO / ".cache" / "media" / "vtest.avi"
STREAM_FAULTS = ("none", "none", "black", "defocused", "covered")
UNREACHABLE = "rtsp://127.0.0.1:9/unreachable"


def _step(message: str) -> None:
    print(f"\n== {message}", flush=True)


def _run(*args: str, env: dict[str, str] | None = None) -> None:
    """Run a ``safecity`` command, its output shown; stop the demo if it fails."""
    command = [str(SAFECITY), *args]
    print("$ safecity " + " ".join(args), flush=True)
    subprocess.run(command, check=True, env={**os.environ, **(env or {})})


def current_period(today: dt.date) -> dict[str, str]:
    """The half-year containing ``today`` (e.g. 2026-H2)."""
    first_half = today.month <= 6
    start = dt.date(today.year, 1 if first_half else 7, 1)
    end = dt.date(today.year, 6, 30) if first_half else dt.date(today.year, 12, 31)
    return {
        "name": f"{today.year}-H{1 if first_half else 2}",
        "kind": "half_year",
        "starts_on": start.isoformat(),
        "ends_on": end.isoformat(),
    }


def make_streams(folder: Path, seconds: float) -> list[Path]:
    """Test streams of real footage: healthy ones and typical picture faults (H.264 MP4)."""
    from monitor.faults import make_fault_clip

    if not VTEST.is_file():
        raise SystemExit(f"{VTEST} is missing: run `make media` first")
    folder.mkdir(parents=True, exist_ok=True)
    return [
        make_fault_clip(VTEST, fault, 0.0 if fault == "none" else 1.0,
                        folder / f"{i:02d}-{fault}.mp4", start_s=2.0 * i, duration_s=seconds)
        for i, fault in enumerate(STREAM_FAULTS)
    ]  # fmt: skip


def _check(response: httpx.Response) -> Any:
    if response.is_error:
        raise SystemExit(f"{response.request.method} {response.request.url}: {response.text}")
    return response.json() if "json" in response.headers.get("content-type", "") else None


def run_demo(
    out: Path,
    *,
    target: int,
    only: str | None,
    plan_args: list[str],
    sweeps: int,
    stream_seconds: float,
) -> dict[str, Path]:
    """Run the chain; returns the outputs by name."""
    out.mkdir(parents=True, exist_ok=True)
    plan_dir = out / "plan"
    _step(f"1. plan {target:,} new cameras on the built-in city")
    scope = ["--only", only] if only else []
    _run("plan", "--target", str(target), "--out", str(plan_dir), *scope, *plan_args)

    _step("2. local API database and server")
    db_path = out / "safecity.db"
    db_path.unlink(missing_ok=True)
    db_url = f"sqlite:///{db_path.resolve()}"
    suffix = uuid.uuid4().hex[:6]
    admin_key = create_key(db_url, f"demo-admin-{suffix}", "admin")
    monitor_key = create_key(db_url, f"demo-monitor-{suffix}", "monitor")
    outputs: dict[str, Path] = {
        "plan map": plan_dir / "map.png",
        "plan report": plan_dir / "report.html",
        "district table": plan_dir / "districts.csv",
        "API database": db_path,
    }
    with LocalApi(db_url, log=out / "api.log") as api:
        admin = httpx.Client(base_url=api.url, headers={"X-API-Key": admin_key}, timeout=600)
        print(f"API at {api.url} (database {db_path})")

        _step("3. import the plan into a new period")
        period = current_period(dt.date.today())
        _check(admin.post("/api/v1/periods", json=period))
        cameras = json.loads((plan_dir / "cameras.geojson").read_text(encoding="utf-8"))
        districts_csv = (plan_dir / "districts.csv").read_text(encoding="utf-8")
        imported = _check(
            admin.post(
                "/api/v1/plans/import",
                json={"cameras": cameras, "districts_csv": districts_csv, "period": period["name"]},
            )
        )
        unplanned = {d["name"] for d in _check(admin.get("/api/v1/districts"))}
        unplanned -= set(imported["targets"])
        if unplanned:  # a plan of some districts: the others have no new cameras to build
            zero = dict.fromkeys(sorted(unplanned), 0)
            _check(admin.put(f"/api/v1/periods/{period['name']}/targets", json={"targets": zero}))
        print(
            f"period {period['name']}: {imported['created']:,} planned sites, targets "
            f"{sum(imported['targets'].values()):,}"
        )

        _step("4. local test streams, reported installed")
        streams = make_streams(out / "streams", stream_seconds)
        district = cameras["features"][0]["properties"]["district"]
        ids = [f["properties"]["camera_id"] for f in cameras["features"]
               if f["properties"]["district"] == district][: len(streams) + 1]  # fmt: skip
        urls = [f"file://{p.resolve()}" for p in streams] + [UNREACHABLE]
        report = {
            "district": district,
            "installed": [
                {"camera_id": cid, "stream_url": url, "expected_fps": 10.0}
                for cid, url in zip(ids, urls, strict=True)
            ],
            "note": "demo: test streams from real footage",
        }
        _check(admin.post("/api/v1/reports", json=report, headers={"Idempotency-Key": suffix}))
        for cid, url in zip(ids, urls, strict=True):
            print(f"  {cid}: {url}")

        _step(f"5. monitor: {sweeps} sweeps over the feeds the API lists")
        monitor = httpx.Client(base_url=api.url, headers={"X-API-Key": monitor_key}, timeout=60)
        feeds = _check(monitor.get("/api/v1/feeds"))
        registry = out / "monitor" / "feeds.csv"
        registry.parent.mkdir(parents=True, exist_ok=True)
        with registry.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, ["camera_id", "url", "district", "expected_fps"])
            writer.writeheader()
            writer.writerows(feeds)
        events = out / "monitor" / "events.jsonl"
        events.unlink(missing_ok=True)
        _run("monitor", "run", "--feeds", str(registry), "--api", api.url, "--events",
             str(events), "--max-sweeps", str(sweeps), "--interval", "1", "--window", "1.5",
             "--state", str(out / "monitor" / "state"), "--no-live",
             env={"SAFECITY_MONITOR_API_KEY": monitor_key})  # fmt: skip
        states = _check(admin.get("/api/v1/cameras", params={"district": district,
                                                            "status": "installed"}))  # fmt: skip
        table = out / "camera_states.csv"
        with table.open("w", newline="", encoding="utf-8") as handle:
            rows = csv.writer(handle)
            rows.writerow(["camera_id", "district", "state", "reasons"])
            for c in states["items"]:
                rows.writerow([c["camera_id"], c["district"], c["state"], " ".join(c["reasons"])])
                print(f"  {c['camera_id']}: {c['state']} {', '.join(c['reasons'])}")

        _step("6. assessment of the period, published, and its bulletin")
        run = _check(admin.post("/api/v1/assessments", json={"period": period["name"]}))
        _check(admin.post(f"/api/v1/assessments/{run['id']}/publish"))
        bulletin = admin.get(f"/api/v1/bulletins/{period['name']}")
        _check(bulletin)
        (out / "bulletin.html").write_text(bulletin.text, encoding="utf-8")
        ranking = admin.get(f"/api/v1/bulletins/{period['name']}", params={"format": "csv"})
        _check(ranking)
        (out / "bulletin.csv").write_text(ranking.text, encoding="utf-8")
        outputs.update({
            "camera states": table,
            "monitor events": events,
            "assessment bulletin": out / "bulletin.html",
            "assessment ranking": out / "bulletin.csv",
        })  # fmt: skip
    return outputs


def main(argv: list[str] | None = None) -> None:
    """Command line of the demo (see scripts/demo.sh)."""
    parser = argparse.ArgumentParser(description="safecity end-to-end demo")
    parser.add_argument("--out", type=Path, default=Path("out"))
    parser.add_argument("--target", type=int, default=20_000)
    parser.add_argument("--only", default=None, help="plan only these districts")
    parser.add_argument("--sweeps", type=int, default=4)
    parser.add_argument("--stream-seconds", type=float, default=8.0)
    parser.add_argument("--plan-args", default="", help="extra `safecity plan` flags")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    outputs = run_demo(
        args.out,
        target=args.target,
        only=args.only,
        plan_args=args.plan_args.split(),
        sweeps=args.sweeps,
        stream_seconds=args.stream_seconds,
    )
    _step(f"done in {time.perf_counter() - began:.0f} s; outputs:")
    for name, path in outputs.items():
        print(f"  {name:20s} {path}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
