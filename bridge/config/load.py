"""Load bridge.toml and its drop-in folders into one Config, collecting every error."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bridge.config.errors import ConfigError, ConfigErrors
from bridge.config.explain import explain
from bridge.config.model import (
    ApiToken,
    Config,
    InventoryFile,
    Listen,
    MainFile,
    ProbeFile,
    RuleFile,
)
from bridge.config.secrets import SecretRefError, create_secret_file, resolve_ref
from bridge.config.source import Source
from bridge.config.toml_lines import KeyPath, key_lines
from bridge.config.xref import check_references

M = TypeVar("M", bound=BaseModel)


class Collector:
    """Gathers errors from every stage so `bridge check` can print them all."""

    def __init__(self) -> None:
        self.errors: list[ConfigError] = []

    def add(self, error: ConfigError) -> None:
        """Record one error."""
        self.errors.append(error)


def _read(path: Path, name: str, errors: Collector) -> tuple[dict[str, Any], Source] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        errors.add(ConfigError(name, 1, "", f"cannot read file: {exc.strerror}"))
        return None
    source = Source(name, key_lines(text))
    try:
        return tomllib.loads(text), source
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or 1
        message = getattr(exc, "msg", str(exc))
        errors.add(ConfigError(name, line, "", f"invalid TOML: {message}"))
        return None


def _validate(
    schema: type[M], data: dict[str, Any], source: Source, errors: Collector
) -> M | None:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        for item in exc.errors():
            path: KeyPath = tuple(item["loc"])
            errors.add(source.error(path, explain(schema, item)))
        return None


def parse_listen(text: str) -> Listen | None:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536 or not host:
        return None
    return Listen(host.strip("[]"), int(port))


def _sqlite_relative(url: str, base_dir: Path) -> str:
    """Resolve a relative SQLite path against bridge.toml's folder, not the cwd."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/"):
        rest = url[len(prefix) :]
        if rest and rest != ":memory:":
            return prefix + str((base_dir / rest).resolve())
    return url


def _load_tokens(
    main: MainFile, source: Source, base_dir: Path, errors: Collector, create: bool
) -> tuple[ApiToken, ...]:
    tokens = []
    for index, token in enumerate(main.api.tokens):
        path: KeyPath = ("api", "tokens", index)
        if token.role == "customer" and token.customer is None:
            errors.add(source.error((*path, "customer"), "a customer token must name its customer"))
        try:
            secret = resolve_ref(token.secret, base_dir, create=token.create)
            if secret is None and create:
                create_secret_file(token.secret, base_dir)
                secret = resolve_ref(token.secret, base_dir)
        except (SecretRefError, OSError) as exc:
            errors.add(source.error((*path, "secret"), str(exc)))
            continue
        if secret is not None:
            tokens.append(ApiToken(token.name, token.role, secret, token.customer))
    return tuple(tokens)


def _load_folder(
    base_dir: Path, folder: str, schema: type[M], errors: Collector
) -> list[tuple[M, Source]]:
    directory = base_dir / folder
    if not directory.is_dir():
        errors.add(ConfigError(folder, 1, "", "folder does not exist"))
        return []
    loaded = []
    for path in sorted(directory.glob("*.toml")):
        name = str(path.relative_to(base_dir))
        parsed = _read(path, name, errors)
        if parsed is None:
            continue
        data, source = parsed
        model = _validate(schema, data, source, errors)
        if model is not None:
            loaded.append((model, source))
    return loaded


def load_config(path: Path | str, *, create_secrets: bool = False) -> Config:
    """Load and validate everything; raise ConfigErrors listing every problem found.

    `create_secrets` lets `bridge run` create token files marked `create = true`;
    `bridge check` never writes anything.
    """
    path = Path(path)
    base_dir = path.resolve().parent
    errors = Collector()
    parsed = _read(path, str(path), errors)
    if parsed is None:
        raise ConfigErrors(errors.errors)
    data, main_source = parsed
    main = _validate(MainFile, data, main_source, errors)
    if main is None:
        raise ConfigErrors(errors.errors)

    listen = parse_listen(main.http.listen)
    if listen is None:
        errors.add(main_source.error(("http", "listen"), "expected HOST:PORT, e.g. 127.0.0.1:9410"))
    tokens = _load_tokens(main, main_source, base_dir, errors, create_secrets)

    inventory = _load_folder(base_dir, main.paths.config, InventoryFile, errors)
    probe_files = _load_folder(base_dir, main.paths.probes, ProbeFile, errors)
    rule_files = _load_folder(base_dir, main.paths.rules, RuleFile, errors)
    merged = check_references(
        inventory, probe_files, rule_files, main.api.tokens, main_source, errors
    )

    if errors.errors:
        raise ConfigErrors(errors.errors)
    assert listen is not None
    files = (str(path), *(s.name for _, s in (*inventory, *probe_files, *rule_files)))
    return Config(
        path=path,
        storage_url=_sqlite_relative(main.storage.url, base_dir),
        listen=listen,
        main=main,
        customers=merged.customers,
        devices=merged.devices,
        probes=merged.probes,
        rules=merged.rules,
        tokens=tokens,
        files=files,
    )
