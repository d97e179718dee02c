#!/usr/bin/env bash
# Installs the Debian packages the tests and the demo need (idempotent: skips what is there).
#   ffmpeg, GStreamer + gst-rtsp-server (real RTSP server on 127.0.0.1 in tests),
#   opencv-doc (ships the real surveillance clip vtest.avi), chromium (dashboard tests),
#   wrk (HTTP load generator for benchmarks/bench_api_load.py).
set -euo pipefail
packages=(
  ffmpeg
  python3-gi python3-gst-1.0 gir1.2-gst-rtsp-server-1.0 gir1.2-gstreamer-1.0
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  opencv-doc
  chromium fonts-noto-cjk
  wrk
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
