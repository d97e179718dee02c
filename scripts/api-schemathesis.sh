#!/usr/bin/env bash
# Schemathesis CLI against a real `safecity serve` (uvicorn) on a throw-away SQLite database:
# no 500s, and every response matches the OpenAPI schema. Bounded: examples and wall time.
set -euo pipefail
VENV=${VENV:-.venv}
PORT=${PORT:-$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
WORK=$(mktemp -d)
DB="sqlite:///$WORK/api.db"
export SAFECITY_ENVIRONMENT=test
export SAFECITY_SECRET_KEY=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))')
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

KEY=$("$VENV/bin/safecity" api create-key schemathesis-admin --role admin --db "$DB")
"$VENV/bin/safecity" serve --db "$DB" --port "$PORT" > "$WORK/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null && break
  sleep 0.2
done
"$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/openapi.json" \
  --header "X-API-Key: $KEY" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing --max-examples "${MAX_EXAMPLES:-20}" --max-time "${MAX_TIME:-60}" \
  --seed 2006 --workers 2 --request-timeout 10
