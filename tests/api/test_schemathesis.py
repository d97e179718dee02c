"""Schemathesis over the OpenAPI schema, in process via ASGI: no 500, and every response
(status, content type, headers, body) matches what the schema documents."""

from __future__ import annotations

import tempfile

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


# The schema is read once from an app that never touches its database; each generated
# request is then sent to the test's own app (fresh database, both backends).
_SCHEMA_APP = create_app(f"sqlite:///{tempfile.gettempdir()}/safecity-schema-only.db")
schema = schemathesis.openapi.from_asgi("/openapi.json", _SCHEMA_APP)


@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, module_app, auth):
    headers = auth["monitor"] if case.path.startswith("/api/v1/health") else auth["admin"]
    case.call_and_validate(app=module_app, headers=headers, checks=CHECKS)
