"""Load bridge.toml and its drop-in folders into one Config, collecting every error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bridge.config.channels import build_channels
from bridge.config.contract_checks import check_contract_receivers, check_contracts
from bridge.config.contract_templates import MessageTemplates, check_languages, resolve_templates
from bridge.config.errors import ConfigError, ConfigErrors, Errors
from bridge.config.files import Collector, Folders, homes_of, paths_of, read_toml, validate
from bridge.config.intake import build_intake
from bridge.config.intake_file import IntakeFile
from bridge.config.main_file import MainFile, PathsSection
from bridge.config.model import Config, InventoryFile, Listen, ProbeFile, RuleFile, devices_of
from bridge.config.provider import build_provider
from bridge.config.references import check_references
from bridge.config.snmp import build_snmp_access
from bridge.config.source import Source
from bridge.config.tokens import build_tokens, check_tokens, resolve_token


def parse_listen(text: str) -> Listen | None:
    """Parse `HOST:PORT` (IPv6 hosts in brackets; port 0 binds a free port); None if invalid."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isascii() or not port.isdigit() or int(port) > 65535 or not host:
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


def check_listen(text: str, source: Source, errors: Errors) -> Listen | None:
    """http.listen as a Listen; None (with the error recorded) if it is not HOST:PORT."""
    listen = parse_listen(text)
    if listen is None:
        errors.add(source.error(
            ("http", "listen"), f"expected HOST:PORT such as 127.0.0.1:9410, got {text!r}"))
    return listen


def _salvage_main(data: dict[str, Any]) -> tuple[MainFile, set[str]]:
    """bridge.toml's sections that are valid on their own; the names of the others."""
    kept: dict[str, Any] = {}
    failed: set[str] = set()
    for section in MainFile.model_fields:
        if section not in data:
            continue
        try:
            MainFile.model_validate({section: data[section]})
        except ValidationError:
            failed.add(section)
        else:
            kept[section] = data[section]
    return MainFile.model_validate(kept), failed


def load_config(path: Path | str, *, templates: MessageTemplates | None = None,
                create_secrets: bool = False, defer_secrets: bool = False) -> Config:
    """Load and validate everything; raise ConfigErrors listing every problem found.

    `templates` (bridge.notify's TemplateCatalog) checks each contract's language and
    templates folder; without it they are not checked (tools and tests that send nothing).

    `create_secrets` lets `bridge run` create token files marked `create = true`;
    `bridge check` never writes anything. `defer_secrets` is for verbs that need only some
    entries' secrets (`bridge probe DEVICE`): a secret that cannot be resolved is recorded in
    `Config.unresolved_secrets` under the entry using it, which is left without it (no SNMP
    access, token or channel), instead of rejecting the config.
    """
    if create_secrets and defer_secrets:
        raise ValueError("a config with deferred secrets is never run: no token files for it")
    path = Path(path)
    base_dir = path.resolve().parent
    errors = Collector(defer_secrets=defer_secrets)
    parsed = read_toml(path, str(path), errors)
    if parsed is None:
        if not path.exists():  # most likely run outside the deployment's folder
            errors.errors = [ConfigError(e.file, e.line, e.key, (
                f"{e.message}; run it in the deployment's folder, or name the file with "
                "-c (such as -c /etc/bridge/bridge.toml)")) for e in errors.errors]
        raise ConfigErrors(errors.errors, errors.warnings)
    data, main_source = parsed
    paths = paths_of(data)
    homes = homes_of(paths or PathsSection(), main_source.name)
    main = validate(MainFile, data, main_source, errors, homes)
    if paths is None:  # the folders cannot be found
        raise ConfigErrors(errors.errors, errors.warnings)
    # A mistake in bridge.toml hides none of the rest: the sections without one are checked
    # (its errors are reported above; a section with one is left out of the checks).
    failed: set[str] = set()
    if main is None:
        main, failed = _salvage_main(data)

    folders = Folders(base_dir, main_source, paths, errors)
    inventory = folders.load("config", paths.config, InventoryFile)
    probe_files = folders.load("probes", paths.probes, ProbeFile)
    rule_files = folders.load("rules", paths.rules, RuleFile)
    # intake/ is optional: only a folder named in paths.intake must exist
    intake_files = folders.load("intake", paths.intake, IntakeFile) \
        if "intake" in paths.model_fields_set or (base_dir / paths.intake).is_dir() else []
    merged = check_references(
        inventory, probe_files, rule_files, folders.unloaded, paths, errors
    )
    check_contracts(merged, folders.unloaded, paths.config, paths.rules, errors)
    snmp = build_snmp_access(merged, base_dir, errors, folders.unloaded)
    customers = resolve_templates(merged, base_dir, templates, errors)
    if templates is not None:
        check_languages(merged, customers, templates, errors)
    if "notifications" not in failed:
        check_contract_receivers(merged, main.notifications, Path(main_source.name).name,
                                 errors)

    listen = check_listen(main.http.listen, main_source, errors)
    for i, canary in enumerate(main.monitoring.canaries):
        if canary not in merged.devices and not folders.unloaded.may_define("devices", canary):
            errors.add(main_source.error(
                ("monitoring", "canaries", i),
                f"unknown device {canary!r}; a canary must be a device in {paths.config}/"))
    tokens = main.api.tokens
    check_tokens(tokens, merged.customers, folders.unloaded, paths, main_source, errors)
    secrets = [resolve_token(i, token, main_source, base_dir, errors)
               for i, token in enumerate(tokens)]
    channels = build_channels(main.notifications, main_source, base_dir, errors) \
        if "notifications" not in failed else None
    provider = build_provider(main.provider, main_source, base_dir, errors)
    intake = build_intake(intake_files, merged, base_dir, errors)
    if errors.errors or listen is None or channels is None:
        raise ConfigErrors(errors.errors, errors.warnings)
    api_tokens = build_tokens(tokens, secrets, create_secrets, main_source, base_dir, errors)
    if errors.errors:
        raise ConfigErrors(errors.errors, errors.warnings)

    files = (str(path), *(s.name for _, s in (*inventory, *probe_files, *rule_files,
                                               *intake_files)))
    return Config(
        path=path,
        storage_url=_sqlite_relative(main.storage.url, base_dir),
        listen=listen,
        main=main,
        customers=customers,
        devices=devices_of(merged.devices),
        probes=merged.probes,
        rules=merged.rules,
        maintenance=merged.maintenance,
        tokens=api_tokens,
        files=files,
        snmp=snmp,
        channels=channels,
        provider=provider,
        calendars=merged.calendars,
        escalations=merged.escalations,
        unresolved_secrets={owner: tuple(sorted(found))
                            for owner, found in errors.unresolved.items()},
        warnings=tuple(sorted(errors.warnings)),
        intake=intake,
    )
