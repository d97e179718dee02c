"""``safecity monitor`` commands against real streams (``run`` as a real process)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner, Result

from monitor.testing import StreamServer, free_port
from safecity.cli import app

SAFECITY = str(Path(sys.executable).parent / "safecity")
FAST = ["--window", "1", "--open-timeout", "1.5", "--read-timeout", "1"]


def invoke(*args: str) -> Result:
    """Run ``safecity ARGS`` in-process (the probes still run in worker processes)."""
    return CliRunner().invoke(app, list(args))


def test_check_json_lines(rtsp_server: StreamServer):
    url = rtsp_server.url("healthy", credentials="admin:pa55word")
    refused = f"rtsp://127.0.0.1:{free_port()}/cam"
    done = invoke("monitor", "check", "--json", *FAST, "--expected-fps", "10", url, refused)
    assert done.exit_code == 1, done.output  # one feed is down
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["state"] for r in records] == ["ok", "down"]
    healthy, down = records
    assert healthy["reasons"] == [] and down["reasons"] == ["unreachable"]
    assert healthy["width"] == 768 and healthy["fps"] > 8
    assert set(healthy["timings"]) == {"connect_s", "first_frame_s", "duration_s"}
    assert healthy["metrics"]["sharpness"] > 0
    assert "pa55word" not in done.stdout + done.stderr
    assert healthy["url"].startswith("rtsp://***@")


def test_check_table_for_a_local_file(healthy_clip: Path):
    done = invoke("monitor", "check", *FAST, str(healthy_clip))
    assert done.exit_code == 0, done.output
    assert "healthy" in done.stdout and "ok" in done.stdout and "768x576" in done.stdout


def test_run_sweeps_writes_events_spools_for_api_and_serves_metrics(
    rtsp_server: StreamServer, tmp_path: Path
):
    dead = free_port()
    feeds = tmp_path / "feeds.csv"
    feeds.write_text(
        "camera_id,url,district,expected_fps\n"
        f"cam-ok,{rtsp_server.url('healthy', credentials='u:secret9')},Nanshan,10\n"
        f"cam-dead,rtsp://u:secret9@127.0.0.1:{dead}/x,Futian,\n"
    )
    events, spool, port = tmp_path / "events.jsonl", tmp_path / "spool", free_port()
    process = subprocess.Popen(
        [SAFECITY, "monitor", "run", "--feeds", str(feeds), "--interval", "1",
         "--max-sweeps", "3", "--events", str(events), "--metrics-port", str(port),
         "--api", f"http://127.0.0.1:{dead}", "--api-key", "k", "--spool", str(spool),
         "--state", str(tmp_path / "state"), "--no-live", *FAST],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    families: dict = {}
    deadline = time.monotonic() + 90  # a loaded machine needs long to import and start up
    while process.poll() is None and time.monotonic() < deadline:
        try:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        except httpx.HTTPError:
            time.sleep(0.2)
            continue
        families = {f.name: f for f in text_string_to_metric_families(text)}
        if families["safecity_monitor_sweeps"].samples[0].value >= 3:
            break  # the metrics stay up while the spool flush is tried (5 s)
        time.sleep(0.2)
    stdout, stderr = process.communicate(timeout=60)
    assert families, stderr
    assert process.returncode == 0, stderr
    assert families["safecity_monitor_sweeps"].samples[0].value >= 3, "missed the last sweep"
    cameras = {
        (s.labels["district"], s.labels["state"]): s.value
        for s in families["safecity_monitor_cameras"].samples
    }
    assert cameras[("Futian", "down")] == 1 and cameras[("Nanshan", "ok")] == 1
    assert "cam-" not in text
    written = [json.loads(line) for line in events.read_text().splitlines()]
    assert [(e["camera_id"], e["from_state"], e["to_state"]) for e in written] == [
        ("cam-dead", "ok", "down")
    ]
    assert written[0]["reasons"] == ["unreachable"]
    spooled = [json.loads(p.read_text()) for p in (spool / "pending").glob("*.json")]
    assert [e["event_id"] for b in spooled for e in b["events"]] == [written[0]["event_id"]]
    assert "event batches stay spooled" in stderr
    assert (tmp_path / "state" / "baselines" / "cam-ok.json").is_file()
    assert "secret9" not in stdout + stderr + events.read_text()


def test_reference_captures_healthy_views_only(rtsp_server: StreamServer, tmp_path: Path):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        f"- {{camera_id: cam-a, url: '{rtsp_server.url('healthy')}', district: Longhua}}\n"
        f"- {{camera_id: cam-b, url: 'rtsp://127.0.0.1:{free_port()}/x', district: Longhua}}\n"
    )
    done = invoke("monitor", "reference", "--feeds", str(feeds), "--out", str(tmp_path / "r"))
    assert done.exit_code == 1
    assert "1 of 2 references written" in done.stdout
    assert "cam-b (unreachable)" in done.stderr
    assert (tmp_path / "r" / "cam-a.png").stat().st_size > 10_000
    assert not (tmp_path / "r" / "cam-b.png").exists()


def test_bad_input_is_one_clear_line_and_exit_2(tmp_path: Path):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("- {camera_id: a, url: 'rtsp://h/x', district: Atlantis}\n")
    result = invoke("monitor", "run", "--feeds", str(feeds), "--once")
    assert result.exit_code == 2
    assert "feeds.yaml: entry 1: field 'district' value 'Atlantis'" in result.output
    assert "Traceback" not in result.output
    result = invoke("monitor", "check", "gopher://u:pw@h/x")
    assert result.exit_code == 2 and "unsupported scheme" in result.output
    assert "pw@" not in result.output
    result = invoke("monitor", "run", "--feeds", str(tmp_path / "nope.csv"), "--once")
    assert result.exit_code == 2 and "registry file not found" in result.output
    result = invoke("monitor", "run", "--once")
    assert result.exit_code == 2 and "give --feeds FILE, or --api URL" in result.output
    result = invoke("monitor", "run", "--api", "http://127.0.0.1:9", "--once")
    assert result.exit_code == 2 and "--api needs --api-key" in result.output
