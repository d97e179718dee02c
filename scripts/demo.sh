#!/usr/bin/env bash
# `make demo`: the whole chain on the built-in city, outputs under $OUT (default out/).
#   plan (demo-sized target) -> local API database -> monitor sweep over local test streams
#   -> assessment -> plan map, district table, assessment bulletin; paths printed at the end.
# Sizes: DEMO_TARGET (new cameras, default 20000), DEMO_ONLY (districts, default all),
# DEMO_SWEEPS (monitor sweeps, default 4), DEMO_PLAN_ARGS (extra `safecity plan` flags).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-out}
VENV=${VENV:-.venv}
"$VENV/bin/safecity" geodata summary
args=(--out "$OUT" --target "${DEMO_TARGET:-20000}" --sweeps "${DEMO_SWEEPS:-4}"
      --plan-args "${DEMO_PLAN_ARGS:-}")
if [[ -n "${DEMO_ONLY:-}" ]]; then
  args+=(--only "$DEMO_ONLY")
fi
exec "$VENV/bin/python" -m safecity.demo "${args[@]}"
