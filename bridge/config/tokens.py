"""bridge.toml's API tokens: checked against each other and the customers, their secrets
resolved (and token files created, for `bridge run`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bridge.config.errors import Errors, ErrorSink
from bridge.config.files import Collector
from bridge.config.main_file import PathsSection, Role, TokenSection
from bridge.config.model import ApiToken, Customer
from bridge.config.references import Unloaded, unknown_name
from bridge.config.secrets import SecretFileMissing, SecretRefError, create_secret_file, resolve_ref
from bridge.config.source import Source
from bridge.core.secret import Secret


def check_tokens(
    tokens: Sequence[TokenSection], customers: dict[str, Customer], unloaded: Unloaded,
    paths: PathsSection, source: Source, errors: Errors,
) -> None:
    """Check bridge.toml's API tokens against each other and against the customers."""
    seen_names: dict[str, int] = {}
    seen_secrets: dict[str, int] = {}
    for i, token in enumerate(tokens):
        at = ("api", "tokens", i)
        if token.role == Role.CUSTOMER and token.customer is None:
            errors.add(source.error(
                at, 'a customer token must name its customer; add customer = "<name>"'
            ))
        if token.role == Role.OPERATOR and token.customer is not None:
            errors.add(source.error(
                (*at, "customer"),
                'an operator token sees every customer; remove customer or set role = "customer"',
            ))
        elif (token.customer is not None and token.customer not in customers
              and not unloaded.may_define("customers", token.customer)):
            errors.add(source.error((*at, "customer"), unknown_name(
                "customer", "customers", token.customer, paths.config)))
        if token.create and token.secret.startswith("env:"):
            errors.add(source.error(
                (*at, "create"), "create = true only applies to a file: secret; remove it"
            ))
        if token.name in seen_names:
            errors.add(source.error(
                (*at, "name"), f"same name as api.tokens[{seen_names[token.name]}]; "
                "token names must be unique"
            ))
        if token.secret in seen_secrets:
            errors.add(source.error(
                (*at, "secret"), f"same secret as api.tokens[{seen_secrets[token.secret]}]; "
                "give each token its own"
            ))
        seen_names.setdefault(token.name, i)
        seen_secrets.setdefault(token.secret, i)


def resolve_token(i: int, token: TokenSection, source: Source, base_dir: Path,
                  errors: ErrorSink) -> Secret | None:
    """api.tokens[i]'s secret; None if it cannot be resolved (recorded in `errors`), or for
    a `create = true` file that does not exist yet."""
    at = ("api", "tokens", i)
    try:
        return resolve_ref(token.secret, base_dir, create=token.create)
    except SecretFileMissing as exc:  # only a token's file can be created by the daemon
        errors.add_secret(at, source.error((*at, "secret"), (
            f"secret file {exc.path} does not exist (create it, or set create = true)")))
    except SecretRefError as exc:
        errors.add_secret(at, source.error((*at, "secret"), str(exc)))
    return None


def build_tokens(
    tokens: Sequence[TokenSection], secrets: list[Secret | None], create: bool,
    source: Source, base_dir: Path, errors: Collector,
) -> tuple[ApiToken, ...]:
    """Pair tokens with secrets, creating missing `create = true` files if asked.

    Called only once everything else is valid, so a rejected config writes nothing.
    Without `create`, a token whose file does not exist yet is left out.
    """
    built = []
    for i, (token, secret) in enumerate(zip(tokens, secrets, strict=True)):
        if secret is None and create:
            try:
                create_secret_file(token.secret, base_dir)
                secret = resolve_ref(token.secret, base_dir)
            except OSError as exc:
                errors.add(source.error(
                    ("api", "tokens", i, "secret"),
                    f"cannot create secret file {exc.filename}: {exc.strerror}",
                ))
                continue
        if secret is not None:
            built.append(ApiToken(token.name, token.role, secret, token.customer))
    return tuple(built)
