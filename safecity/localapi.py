"""A real API server on this machine, for the demo, the benchmarks and the scale tests.

Runs ``safecity serve`` as its own process (uvicorn, the database given by URL) on
127.0.0.1, waits for ``/healthz``, and makes API keys with
``safecity api create-key`` -- the same commands an operator uses.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

SAFECITY = Path(sys.executable).parent / "safecity"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def create_key(db_url: str, name: str, role: str) -> str:
    """A new API key of ``role`` in the database at ``db_url`` (migrated on first use)."""
    out = subprocess.run(
        [str(SAFECITY), "api", "create-key", name, "--role", role, "--db", db_url],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"safecity api create-key {name}: {out.stderr.strip()}")
    return out.stdout.strip().splitlines()[-1]


class LocalApi:
    """``safecity serve`` on a free port of 127.0.0.1 with the database ``db_url``."""

    def __init__(self, db_url: str, log: Path | None = None, port: int | None = None) -> None:
        self.db_url = db_url
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 60.0) -> LocalApi:
        """Start the server and wait until it answers."""
        sink = self.log.open("ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [str(SAFECITY), "serve", "--port", str(self.port), "--db", self.db_url],
            stdout=sink,
            stderr=sink,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"safecity serve exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).is_success:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"safecity serve did not answer on {self.url} in {timeout_s:g} s")

    def stop(self) -> None:
        """Stop the server process (SIGTERM, then SIGKILL)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def __enter__(self) -> LocalApi:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
