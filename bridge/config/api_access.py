"""What an API client (`bridge incidents`, `bridge report`) reads from bridge.toml.

Only where the API listens and an operator token: not the inventory and no other secret,
so that an operator's shell needs none of the daemon's (SNMP keys, webhook secrets…).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from bridge.config.errors import ConfigError, ConfigErrors
from bridge.config.files import Collector, read_toml, validate
from bridge.config.load import check_listen
from bridge.config.main_file import ApiSection, HttpSection, Role
from bridge.config.model import Listen
from bridge.config.tokens import resolve_token
from bridge.core.secret import Secret


class _ClientView(BaseModel):
    """The tables of bridge.toml a client reads; `bridge check` validates the others."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    http: HttpSection = HttpSection()
    api: ApiSection = ApiSection()


@dataclass(frozen=True)
class ApiAccess:
    """Where the API listens, and the first operator token this shell can read."""

    listen: Listen
    operator_token: Secret | None
    token_errors: tuple[ConfigError, ...] = ()  # why earlier operator tokens were unreadable


def read_api_access(path: Path | str) -> ApiAccess:
    """Read [http] listen and the operator tokens; raise ConfigErrors if those are invalid."""
    path = Path(path)
    errors = Collector(defer_secrets=True)
    parsed = read_toml(path, str(path), errors)
    if parsed is None:
        raise ConfigErrors(errors.errors)
    data, source = parsed
    view = validate(_ClientView, data, source, errors, {})
    listen = check_listen(view.http.listen, source, errors) if view else None
    if view is None or listen is None:
        raise ConfigErrors(errors.errors)
    base_dir = path.resolve().parent
    secret = None
    for i, token in enumerate(view.api.tokens):
        if token.role is Role.OPERATOR and secret is None:
            secret = resolve_token(i, token, source, base_dir, errors)
    unreadable = tuple(e for found in errors.unresolved.values() for e in found)
    return ApiAccess(listen, secret, unreadable)
