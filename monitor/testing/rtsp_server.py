"""A real RTSP server for tests and benchmarks: gst-rtsp-server serving H.264 files.

Run with Debian's ``/usr/bin/python3`` (it has ``python3-gst-1.0`` and
``gir1.2-gst-rtsp-server-1.0``), not the project venv::

    /usr/bin/python3 monitor/testing/rtsp_server.py --port 0 healthy=/path/clip.mp4 ...

Each ``name=path`` pair serves an MP4 (H.264) file at ``rtsp://127.0.0.1:PORT/name``.
Every client gets its own pipeline that starts at the beginning of the file, like a
camera that is always live.  With ``--port 0`` the server picks a free port; the bound
port is printed as ``READY <port>`` on stdout once clients can connect.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def _pipeline(path: Path) -> str:
    """Launch line that replays an MP4 file's H.264 track as RTP, in real time."""
    return (
        f'( filesrc location="{path}" ! qtdemux ! h264parse config-interval=-1 '
        "! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = any free port")
    parser.add_argument("mounts", nargs="+", help="name=path of an H.264 MP4 file")
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    for spec in args.mounts:
        name, _, raw_path = spec.partition("=")
        path = Path(raw_path).resolve()
        if not name or not path.is_file():
            sys.exit(f"rtsp_server: bad mount {spec!r}: expected name=existing-file")
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(_pipeline(path))
        factory.set_shared(False)
        mounts.add_factory(f"/{name}", factory)
    if server.attach(None) == 0:
        sys.exit(f"rtsp_server: cannot listen on {args.host}:{args.port}")
    print(f"READY {server.get_bound_port()}", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
