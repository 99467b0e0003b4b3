"""The offline verbs: `bridge check` and `bridge probe`."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge.config import ConfigErrors, load_config
from bridge.config.model import Config
from bridge.core.probe_kinds.snmp import SnmpProbe
from bridge.core.results import ProbeResult
from bridge.notify.templates import TemplateCatalog
from bridge.probes.registry import Probers, Target, run_probe

if TYPE_CHECKING:
    from bridge.daemon.learned_ports import StoredPorts
    from bridge.store import Engine


def check(config_path: Path) -> int:
    """Validate every file; print one line per error or warning. Exit 0 when there is no
    error (warnings are printed, but accepted), 1 otherwise."""
    try:
        config = load_config(config_path, templates=TemplateCatalog())
    except ConfigErrors as exc:
        for err in sorted([*exc.errors, *exc.warnings]):
            print(err)
        return 1
    for warning in config.warnings:
        print(warning)
    print(f"{config_path}: ok ({len(config.files)} files, {config.summary()})")
    return 0


def _result_dict(probe: str, result: ProbeResult) -> dict[str, object]:
    return {
        "probe": probe,
        "ok": result.ok,
        "warning": result.warning,
        "at": result.at.isoformat(),
        "duration_s": round(result.duration_s, 6),
        "output": result.output,
        **result.measurements,
        "events": list(result.events),
        "values": dict(result.values),
    }


def _learned_ports(config: Config, device_id: str, relearn: bool) -> StoredPorts | None:
    """The store's learned interfaces, if any of the device's checks learns them (the
    daemon's too: what is learned here is what it judges by)."""
    if not any(isinstance(probe := config.probes[name], SnmpProbe) and probe.interfaces
               and probe.interfaces.learn for name in config.devices[device_id].probes):
        return None
    # the store only when needed: `bridge probe` of a pinged device stays light
    from bridge.daemon.learned_ports import StoredPorts
    from bridge.store.db import Database
    from bridge.store.learned import forget_learned

    db = Database(config.storage_url)
    db.migrate()
    if relearn:
        forget_learned(db.writer, device_id)

    async def run(fn: Callable[[Engine], Any]) -> Any:
        return await asyncio.to_thread(fn, db.writer)

    return StoredPorts(run, run)


def probe_device(config_path: Path, device_id: str, *, as_json: bool,
                 learn: bool = False) -> int:
    """Run a device's probes once now. Exit 0 if all succeed, 2 if any fails; with `learn`,
    its SNMP checks learn their interfaces again."""
    try:
        # Other devices' secrets may live in the daemon's environment only, or be mid-edit.
        config = load_config(config_path, templates=TemplateCatalog(), defer_secrets=True)
    except ConfigErrors as exc:
        for err in exc.errors:
            print(err, file=sys.stderr)
        return 1
    device = config.devices.get(device_id)
    if device is None:
        print(f"unknown device {device_id!r}; known: {', '.join(sorted(config.devices))}",
              file=sys.stderr)
        return 1
    unresolved = config.unresolved_secrets.get(("devices", device_id), ())
    for err in unresolved:
        print(err, file=sys.stderr)
    if unresolved:
        return 1

    learned = _learned_ports(config, device_id, learn)

    async def run_all() -> list[tuple[str, ProbeResult]]:
        probers = Probers(learned=learned)
        try:
            results = await asyncio.gather(*(
                run_probe(probers, Target(device.address, device_id, name,
                                          config.snmp.get(device_id)),
                          config.probes[name], datetime.now(UTC))
                for name in device.probes))
        finally:
            probers.close()
        return list(zip(device.probes, results, strict=True))

    results = asyncio.run(run_all())
    if as_json:
        print(json.dumps({"device": device_id, "address": device.address,
                          "results": [_result_dict(p, r) for p, r in results]}, indent=2))
    else:
        for name, result in results:
            status = "FAIL" if not result.ok else "WARN" if result.warning else "OK  "
            print(f"{status} {device_id} {name}: {result.output} ({result.duration_s:.3f} s)")
            for event in result.events:
                print(f"     event: {event}")
            width = max((len(label) for label, _ in result.values), default=0)
            for label, value in result.values:
                print(f"     {label.ljust(width)}  {value}")
    return 0 if all(r.ok for _, r in results) else 2
