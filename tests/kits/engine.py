"""Build configs and drive the rule engine with explicit times, for table tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bridge.config.load import load_config
from bridge.config.model import Config
from bridge.core.decisions import (
    AttachToIncident,
    Decision,
    DetachFromIncident,
    OpenIncident,
    ResolveIncident,
    SetFlapping,
    Suppressed,
)
from bridge.core.engine import RuleEngine
from bridge.core.results import ProbeResult
from bridge.core.state import CheckKey

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

PROBES = """
[probes.ping]
kind = "icmp"
interval_s = 10
timeout_s = 1
count = 1
retry_interval_s = 2
max_attempts = 2
"""


def build_config(tmp: Path, devices: str, *, rules: str = '[rules.down]\npriority = "P2"\n',
                 extra: str = "", probes: str = PROBES, main: str = "") -> Config:
    """A deployment in `tmp` with customer 'acme', the given devices, and load it."""
    for folder in ("config", "probes", "rules"):
        (tmp / folder).mkdir(parents=True, exist_ok=True)
    (tmp / "bridge.toml").write_text(main)
    (tmp / "config" / "inventory.toml").write_text(
        '[customers.acme]\nname = "Acme"\ntimezone = "Europe/Helsinki"\n' + devices + extra)
    (tmp / "probes" / "ping.toml").write_text(probes)
    (tmp / "rules" / "rules.toml").write_text(rules)
    return load_config(tmp / "bridge.toml")


def device(name: str, address: str = "127.0.0.2", customer: str = "acme", **keys: Any) -> str:
    """A [devices.NAME] table."""
    lines = [f"[devices.{name}]", f'customer = "{customer}"', f'address = "{address}"',
             'probes = ["ping"]']
    for key, value in keys.items():
        if isinstance(value, list):
            value = "[" + ", ".join(f'"{v}"' for v in value) + "]"
        elif isinstance(value, bool):
            value = str(value).lower()
        elif isinstance(value, str):
            value = f'"{value}"'
        lines.append(f"{key} = {value}")
    return "\n" + "\n".join(lines) + "\n"


class Run:
    """An engine and everything it decided, with a clock in seconds from T0."""

    def __init__(self, config: Config, **engine_args: Any) -> None:
        self.engine = RuleEngine(config, **engine_args)
        self.decisions: list[Decision] = []
        self.rechecks: list[set[CheckKey]] = []

    def result(self, second: float, name: str, ok: bool, warning: bool = False
               ) -> list[Decision]:
        """Feed one ping result for device `name` at T0 + second."""
        at = T0 + timedelta(seconds=second)
        output = "PING WARNING" if warning else "ok" if ok else "no reply"
        out, _ = self.engine.on_result(CheckKey(name, "ping"),
                                       ProbeResult(ok, at, 0.0, output, warning=warning))
        return self._keep(out)

    def results(self, second: float, name: str, pattern: str, step: float = 2) -> None:
        """Feed '+' (up), 'w' (up with a warning) and '-' (failed) results for `name`,
        `step` seconds apart."""
        for i, ch in enumerate(pattern):
            self.result(second + i * step, name, ch in "+w", warning=ch == "w")

    def tick(self, second: float) -> list[Decision]:
        """Advance the engine's clock."""
        return self._keep(self.engine.on_tick(T0 + timedelta(seconds=second)))

    def _keep(self, out: list[Decision]) -> list[Decision]:
        self.decisions += out
        self.rechecks.append(self.engine.take_rechecks())
        return out

    def tickets(self) -> list[tuple[str, str]]:
        """(device, action) for every ticket decision, in order."""
        rows = []
        for d in self.decisions:
            if isinstance(d, OpenIncident):
                name = d.key.device if d.key else d.problem_key
                rows.append((name, "open-flapping" if d.flapping else "open"))
            elif isinstance(d, ResolveIncident):
                name = d.problem_key if d.problem_key.startswith("gap:") else (
                    d.problem_key.split(":")[1].split("/")[0])
                rows.append((name, "resolve"))
            elif isinstance(d, AttachToIncident):
                rows.append((d.key.device, "attach:" + d.problem_key.split(":")[1].split("/")[0]))
            elif isinstance(d, DetachFromIncident):
                rows.append((d.key.device, "detach"))
            elif isinstance(d, SetFlapping):
                rows.append((d.problem_key.split(":")[1].split("/")[0],
                             "flapping" if d.flapping else "steady"))
        return rows

    def opened(self) -> list[OpenIncident]:
        """Every OpenIncident decided."""
        return [d for d in self.decisions if isinstance(d, OpenIncident)]

    def suppressed(self) -> list[tuple[str, str]]:
        """(device, reason) of every suppression."""
        return [(d.key.device, d.reason) for d in self.decisions if isinstance(d, Suppressed)]

    def rechecked(self) -> set[str]:
        """Devices whose checks the engine asked to run now."""
        return {k.device for batch in self.rechecks for k in batch}


def flatten(items: Iterable[Iterable[str]]) -> list[str]:
    """Concatenate."""
    return [x for item in items for x in item]
