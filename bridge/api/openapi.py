"""The OpenAPI description, derived from the routes the app really has.

Paths come from the router, summaries from the handlers' docstrings, and query
parameters and media types from their @accepts declarations (which also check the
requests), so the description cannot list a route or parameter that does not exist or
miss one that does. Ticket actions are expanded one path per action, each with its
request body's JSON Schema.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from bridge import __version__
from bridge.api.auth import API_UNDER_INTAKE, OWN_AUTH_PREFIX, PUBLIC_PATHS
from bridge.api.body import MAX_BODY_BYTES
from bridge.api.path import declared
from bridge.api.query import Accepts, Param, Query, accepted_by, accepts
from bridge.api.tickets import IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_SCHEMA
from bridge.desk.actions import Action
from bridge.desk.bodies import CreateBody
from bridge.desk.maintenance import NewWindow

_ERROR = {"description": "an error, with its reason",
          "content": {"application/json": {"schema": {
              "type": "object", "properties": {"error": {"type": "string"}},
              "required": ["error"]}}}}
_JSON = {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
# Answers other than 200 that some routes give; the API matrix test checks they are listed.
_MORE_ANSWERS: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/api/v1/incidents"): {
        "201": {**_JSON, "description": "the new ticket"},
        "200": {**_JSON, "description": f"the ticket this {IDEMPOTENCY_HEADER} created before"},
        "422": {**_ERROR, "description": f"the {IDEMPOTENCY_HEADER} was used for another body"}},
    ("post", "/api/v1/maintenance"): {"201": {**_JSON, "description": "the new window"}},
    ("delete", "/api/v1/maintenance/{id}"): {"204": {
        "description": "ended (it ran) or dropped (it had not started), as the "
                       "Bridge-Window-Outcome header says",
        "headers": {"Bridge-Window-Outcome": {"schema": {"type": "string",
                                                         "enum": ["ended", "dropped"]}}}}},
    ("get", "/readyz"): {"503": {**_JSON, "description": "not ready, with the problems"}},
    ("get", "/api/v1/availability"): {"503": {**_ERROR, "description": "not computed yet"}},
    ("post", "/-/reload"): {"400": {**_JSON, "description": "kept the running config; errors"}},
}
_IDEMPOTENCY = {"name": IDEMPOTENCY_HEADER, "in": "header", "required": False,
                "schema": IDEMPOTENCY_KEY_SCHEMA,
                "description": "A retry with the same key and body answers with the ticket it "
                               "created; the same key with another body is a 422."}


def _schema(model: type[BaseModel], defs: dict[str, Any]) -> dict[str, Any]:
    """A body's JSON Schema; its shared definitions (enums) go to `defs`, the components."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    defs.update(schema.pop("$defs", {}))
    return schema


def _query(param: Param[Any]) -> dict[str, Any]:
    return {"name": param.name, "in": "query", "required": False,
            "description": param.description, "schema": dict(param.schema)}


def _ok(declared: Accepts | None) -> dict[str, Any]:
    if declared is None:
        return _JSON
    return {"description": "OK", "content": {
        media: {"schema": {"type": "object" if media == "application/json" else "string"}}
        for media in declared.media_types}}


def _path_schema(path: str, name: str) -> dict[str, Any]:
    """A path parameter's schema, from the declaration its handler reads it through."""
    param = declared(path, name)
    return {**param.schema, "description": param.description}


def _operation(path: str, summary: str, public: bool, body: dict[str, Any] | None = None,
               roles: str = "operator, customer (own data)",
               declared: Accepts | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {"200": _ok(declared), "400": _ERROR, "404": _ERROR},
    }
    params = [{"name": n, "in": "path", "required": True, "schema": _path_schema(path, n)}
              for n in re.findall(r"{(\w+)}", path)]
    params += [_query(p) for p in (declared.params if declared else ())]
    if params:
        op["parameters"] = params
    if public:
        op["security"] = []
    else:
        op["responses"].update({"401": _ERROR, "403": _ERROR})
        op["description"] = f"Roles: {roles}."
    if body is not None:
        op["requestBody"] = {"required": bool(body.get("required")),
                             "content": {"application/json": {"schema": body}}}
        op["responses"]["413"] = {**_ERROR, "description": f"a body over {MAX_BODY_BYTES} bytes"}
        op["responses"]["415"] = {**_ERROR, "description": "a compressed body "
                                  "(Content-Encoding other than identity)"}
    return op


_ILLEGAL = {**_ERROR, "description": "not allowed in the ticket's state"}


def _ticket_actions(paths: dict[str, Any], defs: dict[str, Any]) -> None:
    """One path per action of the desk's table (and one per record update)."""
    for action in Action:
        spec = action.spec
        roles = "operator, customer (own tickets)" if spec.customer_may else "operator"
        path = f"/api/v1/incidents/{{id}}/{action.value}"
        op = _operation(path, spec.summary, False, _schema(spec.body, defs), roles)
        op["responses"]["409"] = _ILLEGAL
        paths[path] = {"post": op}
    for action in Action:
        if (update := action.spec.update) is None:
            continue
        path = f"/api/v1/incidents/{{id}}/{action.value}/{{record}}"
        op = _operation(path, update.summary, False, _schema(update.body, defs), "operator")
        op["responses"]["409"] = _ILLEGAL  # a record of a closed ticket is not updated
        paths[path] = {"post": op}


_BODIES: dict[tuple[str, str], type[BaseModel]] = {
    ("post", "/api/v1/incidents"): CreateBody, ("post", "/api/v1/maintenance"): NewWindow}


def _route_operation(method: str, path: str, handler: object,
                     defs: dict[str, Any]) -> dict[str, Any]:
    doc = (getattr(handler, "__doc__", None) or "").strip().splitlines()
    model = _BODIES.get((method, path))
    op = _operation(path, doc[0] if doc else path, path in PUBLIC_PATHS,
                    _schema(model, defs) if model else None, declared=accepted_by(handler))
    if (method, path) == ("post", "/api/v1/incidents"):
        op.setdefault("parameters", []).append(_IDEMPOTENCY)
    if path == "/metrics":  # a bearer token only with metrics_auth = true
        op["security"] = [{}, {"bearer": []}]
    op["responses"].update(_MORE_ANSWERS.get((method, path), {}))
    if "204" in op["responses"]:
        del op["responses"]["200"]
    return op


def describe(app: web.Application) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `app`."""
    paths: dict[str, Any] = {}
    defs: dict[str, Any] = {}
    own = set(app.router.resources())  # not the pages of an app mounted in it (the portal)
    for route in app.router.routes():
        if route.resource not in own:
            continue
        info = route.resource.get_info()
        path = info.get("path") or info.get("formatter")
        if not path or route.method == "HEAD" or "{action}" in path:
            continue
        if path.startswith(OWN_AUTH_PREFIX) and path not in API_UNDER_INTAKE:
            # other monitors' formats (docs/api.md, Intake)
            continue
        method = route.method.lower()
        paths.setdefault(path, {})[method] = _route_operation(method, path, route.handler, defs)
    stale = (set(_BODIES) | set(_MORE_ANSWERS)) - {(m, p) for p, ops in paths.items() for m in ops}
    assert not stale, f"the OpenAPI tables name routes that do not exist: {sorted(stale)}"
    _ticket_actions(paths, defs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "bridge", "version": __version__,
                 "description": "Monitoring-to-incident bridge: tickets under contract."},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": dict(sorted(defs.items()))},
        "security": [{"bearer": []}],
        "paths": dict(sorted(paths.items())),
    }


@accepts()
async def openapi(request: web.Request, _query: Query) -> web.Response:
    """GET /api/v1/openapi.json: this API's OpenAPI description."""
    return web.json_response(describe(request.app))
