"""Load test of the rollout API through a real uvicorn server on 127.0.0.1.

For each backend (SQLite file, PostgreSQL database), a fresh database is migrated and
seeded with the nine districts, ``--sites`` planned camera sites (half installed, with
feed states) and one reporter API key per district; then ``safecity``'s app is served by
uvicorn (``--workers`` processes) and measured:

- progress reads through wrk (C load generator, ``--concurrency`` keep-alive connections,
  ``--wrk-seconds`` each): ``GET /api/v1/dashboard/progress`` (public) and the
  authenticated ``GET /api/v1/progress`` (JWT checked per request), both served from the
  app's ``RolloutCache`` (dropped at every commit of the serving process), and the public
  read again with the cache off;
- report writes through wrk too (a Lua script sends each report once, in order):
  ``POST /api/v1/reports`` with a unique ``Idempotency-Key``, each installing one planned
  site, spread over the nine district reporters. Then every sent report is sent again
  (httpx): each write wrk saw accepted must replay, and the installed count in the
  database must have grown by exactly the number sent (none lost, none counted twice).

Peer measured in the same run and tool, right before each backend: a bare FastAPI
"hello" endpoint (async, like our reads) on an identical uvicorn server. Prints requests/s,
p50/p99 latency, errors/non-2xx, database size and peak server memory. Bounded: each wrk
phase lasts ``--wrk-seconds`` (reads after a 1 s warm-up); the writes also stop when the
planned sites run out.

Run: ``.venv/bin/python benchmarks/bench_api_load.py [--backends sqlite,postgresql]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import numpy as np
import psutil
import sqlalchemy as sa
import uvloop
from fastapi import FastAPI

REPO = Path(__file__).resolve().parent.parent
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
SECRET = "bench-secret-" + "x" * 40
T = TypeVar("T")


def hello_app() -> FastAPI:
    """The peer: the smallest FastAPI app, one async JSON endpoint (like our reads)."""
    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    return app


WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %.1f %.1f\\n", summary.duration, summary.requests,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
"""


WRK_WRITES = """
-- one report per request, each with its own Idempotency-Key, read from the file in args[1]
-- (lines: key TAB api key TAB JSON body); the thread stops when the file is used up
lines, total, sent, created, failed = {}, 0, 0, 0, 0
function init(args)
  for line in io.lines(args[1]) do lines[#lines + 1] = line end
  total = #lines
end
function request()
  if sent >= total then
    wrk.thread:stop()
    return wrk.format("GET", "/healthz")
  end
  sent = sent + 1
  local key, api_key, body = lines[sent]:match("([^\\t]*)\\t([^\\t]*)\\t(.*)")
  return wrk.format("POST", "/api/v1/reports", {["Content-Type"] = "application/json",
    ["X-API-Key"] = api_key, ["Idempotency-Key"] = key}, body)
end
function response(status, headers, body)
  if status == 201 then created = created + 1 elseif status ~= 200 then failed = failed + 1 end
end
threads = {}
function setup(thread) threads[#threads + 1] = thread end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %.1f %.1f\\n", summary.duration, summary.requests,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
  local t = threads[1]
  io.write(string.format("WRITES %d %d %d\\n", t:get("sent"), t:get("created"), t:get("failed")))
end
"""


@dataclass
class Result:
    """Outcome of one load phase: accepted requests, latency percentiles, failures."""

    name: str
    tool: str
    ok: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.ok / self.seconds

    def line(self) -> str:
        return (
            f"  {self.name:<42} {self.rate:8.0f} req/s   p50 {self.p50_ms:6.1f} ms   "
            f"p99 {self.p99_ms:6.1f} ms   ok {self.ok:6d}   errors/non-2xx {self.errors}   "
            f"[{self.tool}]"
        )


def run_wrk(
    name: str,
    server: Server,
    path: str,
    args: argparse.Namespace,
    *,
    headers: dict[str, str] | None = None,
    script: str = WRK_REPORT,
    script_args: tuple[str, ...] = (),
    warm_up: bool = True,
) -> tuple[Result, str]:
    """Drive ``path`` with wrk (C, event loop) for ``--wrk-seconds`` on ``--concurrency``
    keep-alive connections (after a 1 s warm-up unless told not to); wrk counts
    HTTP >= 400 as status errors. Returns the result and wrk's output."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    command = ["wrk", "-t", str(args.wrk_threads), "-c", str(args.concurrency)]
    command += ["--timeout", "10s", "-s", lua.name]
    for key, value in (headers or {}).items():
        command += ["-H", f"{key}: {value}"]
    target = [server.base + path, *script_args]
    try:
        if warm_up:
            subprocess.run([*command, "-d", "1s", *target], capture_output=True, check=True)
        process = subprocess.Popen(
            [*command, "-d", f"{args.wrk_seconds}s", *target], stdout=subprocess.PIPE, text=True
        )
        while process.poll() is None:
            server.sample_rss()
            time.sleep(0.2)
        output = process.stdout.read() if process.stdout else ""
    finally:
        os.unlink(lua.name)
    report = next((line for line in output.splitlines() if line.startswith("WRK ")), None)
    if process.returncode != 0 or report is None:
        raise RuntimeError(f"wrk failed on {path}: {output}")
    micros, requests, socket_errors, status_errors, p50, p99 = report.split()[1:]
    result = Result(
        name,
        f"wrk -t{args.wrk_threads}",
        int(requests) - int(status_errors),
        int(socket_errors) + int(status_errors),
        int(micros) / 1e6,
        float(p50) / 1000,
        float(p99) / 1000,
    )
    return result, output


def wrk_load(
    name: str, server: Server, path: str, headers: dict[str, str], args: argparse.Namespace
) -> Result:
    """A read phase through wrk (see :func:`run_wrk`)."""
    return run_wrk(name, server, path, args, headers=headers)[0]


Entry = tuple[str, str, dict[str, Any]]  # Idempotency-Key, X-API-Key, report body


def wrk_writes(
    server: Server, entries: list[Entry], args: argparse.Namespace, workdir: Path
) -> tuple[Result, int]:
    """Report writes through wrk, one entry per request in order, until the entries or
    ``--wrk-seconds`` run out. Returns the result (``ok`` = 201s) and how many were sent."""
    data = workdir / "writes.tsv"
    data.write_text(
        "".join(f"{key}\t{api_key}\t{json.dumps(body)}\n" for key, api_key, body in entries)
    )
    result, output = run_wrk(
        "report write (1 site, idempotency key)",
        server,
        "/api/v1/reports",
        args,
        script=WRK_WRITES,
        script_args=(str(data),),
        warm_up=False,
    )
    counts = next(line for line in output.splitlines() if line.startswith("WRITES "))
    sent, created, failed = (int(x) for x in counts.split()[1:])
    result.ok, result.errors = created, failed + result.errors
    return result, sent


async def resend(base: str, entries: list[Entry], concurrency: int) -> tuple[int, int, int]:
    """Send every entry again (same key, same body): (replays, first runs, other answers).
    A write wrk saw accepted must come back as a replay; one it never saw answered may
    still be a first run (it was in flight when wrk stopped)."""
    replays = fresh = other = 0
    pending = iter(entries)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal replays, fresh, other
        for key, api_key, body in pending:
            headers = {"X-API-Key": api_key, "Idempotency-Key": key}
            response = await client.post("/api/v1/reports", headers=headers, json=body)
            if response.status_code != 201:
                other += 1
            elif response.headers.get("Idempotent-Replayed") == "true":
                replays += 1
            else:
                fresh += 1

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return replays, fresh, other


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run the client on uvloop (the client shares the 2 cores with the server)."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A uvicorn subprocess; tracks the peak RSS of its process tree."""

    def __init__(self, target: str, env: dict[str, str], workers: int, factory: bool) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--workers", str(workers), "--log-level", "warning"]
        command += ["--app-dir", str(REPO / "benchmarks"), "--backlog", "2048"]
        command += ["--timeout-keep-alive", "60"]
        command += ["--factory"] if factory else []
        self.process = subprocess.Popen(command, env={**os.environ, **env}, cwd=REPO)
        self.peak_rss = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base + "/openapi.json", timeout=2).status_code == 200:
                    return
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn {target} exited with {self.process.returncode}")
            time.sleep(0.2)
        raise RuntimeError(f"uvicorn {target} did not start")

    def sample_rss(self) -> None:
        with contextlib.suppress(psutil.Error):
            tree = [psutil.Process(self.process.pid)]
            tree += tree[0].children(recursive=True)
            self.peak_rss = max(self.peak_rss, sum(p.memory_info().rss for p in tree))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextlib.contextmanager
def database(backend: str, workdir: Path) -> Iterator[str]:
    """URL of a fresh, empty database (dropped afterwards on PostgreSQL)."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    name = f"safecity_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def seed(url: str, sites: int) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Migrate and seed; returns reporter keys and the planned (uninstalled) ids by district."""
    import datetime as dt

    from api.bootstrap import prepare
    from api.db import Database
    from api.models import ApiKey, AssessmentPeriod, CameraHealth, CameraSite, District, Target
    from api.security import generate_api_key, hash_api_key

    db = Database(url)
    prepare(db)
    rng = np.random.default_rng(7)
    now = dt.datetime.now(dt.UTC)
    keys: dict[str, str] = {}
    planned: dict[str, list[str]] = {}
    with db.session() as session:
        districts = list(session.scalars(sa.select(District).order_by(District.name)))
        period = AssessmentPeriod(
            name="bench",
            kind="year",
            starts_on=now.date().replace(month=1, day=1),
            ends_on=now.date().replace(month=12, day=31),
        )
        session.add(period)
        session.flush()
        per = sites // len(districts)
        rows, health = [], []
        for d in districts:
            key = generate_api_key()
            keys[d.name] = key
            session.add(
                ApiKey(
                    name=f"bench-{d.name}",
                    prefix=key[:8],
                    key_hash=hash_api_key(key),
                    role="reporter",
                    district_id=d.id,
                    created_by="bench",
                )
            )
            session.add(Target(district_id=d.id, period_id=period.id, cameras=per))
            ids = [f"{d.name}-B{i:06d}" for i in range(per)]
            installed = rng.random(per) < 0.5
            planned[d.name] = [c for c, done in zip(ids, installed, strict=True) if not done]
            rows += [
                {
                    "camera_id": c,
                    "district_id": d.id,
                    "lon": 114.0,
                    "lat": 22.5,
                    "status": "installed" if done else "planned",
                    "source": "plan",
                    "installed_at": now if done else None,
                    "owner_type": "government",
                }
                for c, done in zip(ids, installed, strict=True)
            ]
        session.execute(sa.insert(CameraSite), rows)
        site_ids = (
            session.execute(sa.select(CameraSite.id).where(CameraSite.status == "installed"))
            .scalars()
            .all()
        )
        states = rng.choice(["ok", "ok", "ok", "degraded", "down"], size=len(site_ids))
        health = [
            {
                "site_id": s,
                "state": st,
                "reasons": [],
                "flapping": False,
                "since": now,
                "last_event_id": f"seed-{s}",
            }
            for s, st in zip(site_ids, states, strict=True)
        ]
        session.execute(sa.insert(CameraHealth), health)
        session.commit()
    settle(db)
    db.dispose()
    return keys, planned


def settle(db: Any) -> None:
    """Finish the bulk load's after-work before measuring: fold SQLite's WAL into the
    file, VACUUM ANALYZE on PostgreSQL (else autovacuum competes with the first phase)."""
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.exec_driver_sql("ANALYZE")
            return
        conn.commit()
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")


def installed_total(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        total = conn.scalar(sa.text("SELECT count(*) FROM camera_sites WHERE status='installed'"))
    engine.dispose()
    return int(total or 0)


def size_of(url: str, workdir: Path) -> str:
    if url.startswith("sqlite"):
        mb = sum(p.stat().st_size for p in workdir.glob("bench.db*")) / 2**20
        return f"{mb:.1f} MB (file + WAL)"
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        size = conn.scalar(sa.text("SELECT pg_database_size(current_database())"))
    engine.dispose()
    return f"{(size or 0) / 2**20:.1f} MB"


def token_for_admin(base: str, url: str) -> str:
    """A bearer token of a fresh admin user (for the authenticated progress endpoint)."""
    from api.db import Database
    from api.models import User
    from api.security import hash_password

    db = Database(url)
    with db.session() as session:
        session.add(
            User(
                username="bench-admin", password_hash=hash_password("bench-password"), role="admin"
            )
        )
        session.commit()
    db.dispose()
    response = httpx.post(
        base + "/api/v1/auth/token",
        data={"username": "bench-admin", "password": "bench-password"},
        timeout=30,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def run_backend(backend: str, args: argparse.Namespace, workdir: Path) -> list[Result]:
    with database(backend, workdir) as url:
        started = time.perf_counter()
        keys, planned = seed(url, args.sites)
        print(f"\n[{backend}] seeded {args.sites} sites in {time.perf_counter() - started:.1f} s")
        env = {
            "SAFECITY_DATABASE_URL": url,
            "SAFECITY_ENVIRONMENT": "production",
            "SAFECITY_SECRET_KEY": SECRET,
        }
        server = Server("api.app:create_app", env, args.workers, factory=True)
        try:
            token = token_for_admin(server.base, url)
            results = reads(server, args, token)
            before = installed_total(url)
            entries = write_entries(keys, planned)
            writes, sent = wrk_writes(server, entries, args, workdir)
            print(writes.line())
            results.append(writes)
            verify_writes(url, server, entries[:sent], writes.ok, before, args)
            print(
                f"  database size {size_of(url, workdir)}, peak server RSS "
                f"{server.peak_rss / 2**20:.0f} MB ({args.workers} worker(s))"
            )
        finally:
            server.stop()
        results.append(uncached_reads(env, args))
    return results


def verify_writes(
    url: str,
    server: Server,
    sent: list[Entry],
    accepted: int,
    before: int,
    args: argparse.Namespace,
) -> None:
    """None lost, none counted twice: every sent report is sent again; each of the
    ``accepted`` ones must replay, and the database must hold exactly one site per key."""
    replays, fresh, other = run_async(resend(server.base, sent, args.concurrency))
    after = installed_total(url)
    exact = after == before + len(sent) and other == 0 and replays >= accepted
    print(
        f"  writes verified: {len(sent)} sent, {accepted} accepted; all sent again: "
        f"{replays} replayed, {fresh} first runs (in flight when wrk stopped), {other} other; "
        f"installed {before} -> {after} (+{after - before}): "
        f"{'exact' if exact else 'MISMATCH'}"
    )
    if not exact:
        raise SystemExit(f"{url.split(':')[0]}: lost or double-counted writes")


def write_entries(keys: dict[str, str], planned: dict[str, list[str]]) -> list[Entry]:
    """One report per planned site, districts interleaved, each with its own key."""
    names = sorted(planned)
    per = min(len(ids) for ids in planned.values())
    return [
        (
            f"bench-{i}",
            keys[names[i % len(names)]],
            {
                "district": names[i % len(names)],
                "installed": [{"camera_id": planned[names[i % len(names)]][i // len(names)]}],
            },
        )
        for i in range(per * len(names))
    ]


def uncached_reads(env: dict[str, str], args: argparse.Namespace) -> Result:
    """The public progress read on a server with the rollout cache switched off: what the
    cache saves (each read recounts every site)."""
    server = Server(
        "api.app:create_app",
        {**env, "SAFECITY_API_CACHE_SECONDS": "0"},
        args.workers,
        factory=True,
    )
    try:
        result = wrk_load(
            "progress read, public, cache off", server, "/api/v1/dashboard/progress", {}, args
        )
    finally:
        server.stop()
    print(result.line())
    return result


def reads(server: Server, args: argparse.Namespace, token: str) -> list[Result]:
    """The progress reads through wrk: public dashboard, then with a bearer token."""
    out = [
        wrk_load("progress read, public dashboard", server, "/api/v1/dashboard/progress", {}, args),
        wrk_load(
            "progress read, bearer token",
            server,
            "/api/v1/progress",
            {"Authorization": f"Bearer {token}"},
            args,
        ),
    ]
    for result in out:
        print(result.line())
    return out


def hello_peer(args: argparse.Namespace) -> Result:
    """The peer's read rate, measured now on an identical server."""
    server = Server("bench_api_load:hello_app", {}, args.workers, factory=True)
    try:
        peer = wrk_load("peer: bare FastAPI hello (async)", server, "/hello", {}, args)
    finally:
        server.stop()
    print(f"\n{peer.line()}")
    print(f"  peer server peak RSS {server.peak_rss / 2**20:.0f} MB")
    return peer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--sites", type=int, default=45_000, help="Seeded camera sites.")
    parser.add_argument("--concurrency", type=int, default=8, help="Client connections.")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes.")
    parser.add_argument("--wrk-seconds", type=int, default=10, help="Duration of a wrk phase.")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads.")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        parser.error("wrk not found on PATH: install it with `make system-deps` (Debian: wrk)")

    print(
        f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
        "(other processes share these cores; compare ratios to the peer)"
    )
    print(
        f"bench_api_load: {args.workers} uvicorn worker(s), {args.concurrency} concurrent "
        f"client connections, {os.cpu_count()} CPU(s), client and server on this machine"
    )
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        for backend in args.backends.split(","):
            peer = hello_peer(args)  # right before: the machine's speed drifts over minutes
            for result in run_backend(backend.strip(), args, Path(tmp)):
                ratio = result.rate / peer.rate
                print(f"  {result.name:<42} {ratio:8.2f} x the hello peer")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
