"""Schema-driven fuzzing of the whole API with schemathesis: whatever the OpenAPI description
allows, and in negative mode what it does not, no answer is a 5xx, and each answer is one
the description lists (status, media type, schema), for an operator's token and a
customer's. Every operation is one test; examples are bounded and derandomized, so a run
is the same run every time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bridge.api.openapi import describe
from bridge.api.routes import build_app
from tests.kits.daemon import Bridge, customer_daemon

ACME = "acme-secret-token"
EXAMPLES = 12  # per operation, mode and token: about a minute for the whole API
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


class _NoTokens:
    """Enough of a daemon to build the app and describe it, without running one."""

    def tokens(self) -> tuple[()]:
        return ()

    def metrics_public(self) -> bool:
        return True


_PATHS = describe(build_app(_NoTokens()))["paths"]  # type: ignore[arg-type]
# (method, path, mode): negative cases only where there is something to get wrong
CASES = sorted((method.upper(), path, mode) for path, ops in _PATHS.items()
               for method, op in ops.items() for mode in schemathesis.GenerationMode
               if mode == schemathesis.GenerationMode.POSITIVE or "parameters" in op
               or "requestBody" in op)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def bridge(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    """A running daemon on each store, with an operator token and acme's."""
    yield from customer_daemon(request, tmp_path_factory)


@pytest.fixture(scope="module")
def api(bridge: Bridge) -> schemathesis.BaseSchema:
    """The description the daemon serves, as schemathesis reads it."""
    schema = schemathesis.openapi.from_dict(bridge.get("/api/v1/openapi.json"))
    schema.config.update(base_url=bridge.url)
    return schema


@pytest.fixture(scope="module")
def acme_ticket(bridge: Bridge) -> str:
    """A ticket both tokens may act on, so generated bodies reach the ticket's lifecycle."""
    status, ticket = bridge.request("POST", "/api/v1/incidents", ACME, {"summary": "fuzzed"})
    assert status == 201, ticket
    return str(ticket["id"])


@pytest.mark.parametrize(("method", "path", "mode"), CASES,
                         ids=[f"{m} {p} {mode.value}" for m, p, mode in CASES])
def test_no_input_is_a_server_error(bridge: Bridge, api: schemathesis.BaseSchema,
                                    acme_ticket: str, method: str, path: str,
                                    mode: schemathesis.GenerationMode) -> None:
    operation = api[path][method]
    fixed: dict[str, Any] = {}
    if path.startswith("/api/v1/incidents/{id}") and mode == schemathesis.GenerationMode.POSITIVE:
        fixed["path_parameters"] = {"id": acme_ticket}

    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    def each_case(case: schemathesis.Case) -> None:
        for token in (bridge.token, ACME):
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            case.validate_response(response, checks=CHECKS)

    each_case()
