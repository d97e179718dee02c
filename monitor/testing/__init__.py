"""Real stream servers for tests, benchmarks and demos (public testing helpers).

Nothing here is a mock: :func:`start_rtsp_server` runs gst-rtsp-server (Debian's
``/usr/bin/python3`` with ``python3-gst-1.0``) serving H.264 files, :func:`start_http_ts`
runs ``ffmpeg -listen 1`` serving MPEG-TS or MJPEG over HTTP, :class:`SilentListener` is a TCP port
that accepts and never answers.  Each is a subprocess or socket the caller stops.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

RTSP_SERVER_SCRIPT = Path(__file__).resolve().parent / "rtsp_server.py"
SYSTEM_PYTHON = "/usr/bin/python3"


@dataclass
class StreamServer:
    """A running stream-server subprocess and the port it listens on."""

    process: subprocess.Popen[str]
    port: int

    def url(self, mount: str, *, credentials: str = "") -> str:
        """RTSP URL of ``mount`` (``credentials`` = ``user:password`` to embed)."""
        user = f"{credentials}@" if credentials else ""
        return f"rtsp://{user}127.0.0.1:{self.port}/{mount}"

    def pause(self) -> None:
        """SIGSTOP the server: connections stay open but nothing is sent."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def stop(self) -> None:
        """Kill the server (resuming it first if paused) and reap it."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.kill()
        self.process.wait(5)


def wait_for_port(port: int, timeout_s: float = 10.0) -> None:
    """Block until something accepts TCP connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


def wait_for_listener(port: int, timeout_s: float = 10.0) -> None:
    """Block until a socket listens on 127.0.0.1:port, without connecting to it.

    Needed for one-client servers (``ffmpeg -listen 1``), which a test connection would
    use up: binding the port fails once somebody listens on it.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


def free_port() -> int:
    """A TCP port that was free a moment ago (nothing listens on it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_rtsp_server(mounts: dict[str, Path]) -> StreamServer:
    """Serve each MP4 (H.264) at ``rtsp://127.0.0.1:PORT/<name>``; wait until it is up."""
    process = subprocess.Popen(
        [SYSTEM_PYTHON, str(RTSP_SERVER_SCRIPT), "--port", "0"]
        + [f"{name}={path}" for name, path in mounts.items()],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("READY "):
        process.kill()
        raise RuntimeError(f"RTSP server did not start (said {line!r})")
    server = StreamServer(process, int(line.split()[1]))
    wait_for_port(server.port)
    return server


HTTP_FORMATS = {
    "mpegts": (["-c", "copy", "-f", "mpegts"], "live.ts"),
    "mjpeg": (["-c:v", "mjpeg", "-q:v", "5", "-f", "mpjpeg"], "live.mjpg"),
}


def start_http_stream(clip: Path, kind: str = "mpegts") -> tuple[StreamServer, str]:
    """``ffmpeg -listen 1`` serving ``clip`` live over HTTP as MPEG-TS or MJPEG (multipart).

    It serves one client; returns the server and the stream URL.
    """
    args, name = HTTP_FORMATS[kind]
    port = free_port()
    process = subprocess.Popen(
        ["ffmpeg", "-v", "error", "-re", "-stream_loop", "-1", "-i", str(clip), *args,
         "-listen", "1", f"http://127.0.0.1:{port}/{name}"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    server = StreamServer(process, port)
    try:
        wait_for_listener(port)
    except RuntimeError:
        server.stop()
        raise
    return server, f"http://127.0.0.1:{port}/{name}"


class SilentListener:
    """A TCP port that accepts connections and never says a word."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.port = int(self._sock.getsockname()[1])
        self._accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                self._accepted.append(self._sock.accept()[0])
            except OSError:
                continue

    def close(self) -> None:
        """Stop accepting and close every connection."""
        self._stop.set()
        self._thread.join()
        for conn in self._accepted:
            conn.close()
        self._sock.close()


def later(delay_s: float, action: Callable[[], None]) -> threading.Timer:
    """Run ``action`` after ``delay_s`` on a timer thread (already started)."""
    timer = threading.Timer(delay_s, action)
    timer.start()
    return timer
