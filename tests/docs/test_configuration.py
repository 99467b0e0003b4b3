"""docs/configuration.md lists every key the config files accept, each under its table.

The keys are read from the pydantic models that validate the files (bridge.toml, config/,
probes/, rules/, rules/tests/), walked from each file's root model, so a key or a table
added to a model fails here until an operator can read about it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel

from bridge.backtest.timeline import Timeline
from bridge.config.intake_file import IntakeFile
from bridge.config.main_file import MainFile
from bridge.config.model import InventoryFile, ProbeFile, RuleFile
from bridge.core.probe_kinds.snmp_templates import TEMPLATES

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
ROOTS: tuple[type[BaseModel], ...] = (MainFile, InventoryFile, ProbeFile, RuleFile, IntakeFile,
                                      Timeline)

# Each model's heading under "## Every key" in docs/configuration.md.
SECTIONS = {
    "MainFile": "bridge.toml tables",
    "StorageSection": "`[storage]`",
    "HttpSection": "`[http]`",
    "PathsSection": "`[paths]`",
    "DaemonSection": "`[daemon]`",
    "ApiSection": "`[api]`",
    "TokenSection": "`[[api.tokens]]`",
    "IncidentsSection": "`[incidents]`",
    "MonitoringSection": "`[monitoring]`",
    "NotificationsSection": "`[notifications]`",
    "SmtpSection": "`[notifications.smtp]`",
    "WebhookSection": "`[notifications.webhooks.NAME]`",
    "AvailabilitySection": "`[availability]`",
    "ClusterSection": "`[cluster]`",
    "ProviderSection": "`[provider]`",
    "PortalSection": "`[portal]`",
    "InventoryFile": "config/*.toml tables",
    "Customer": "`[customers.ID]`",
    "Contract": "`[customers.ID.contract]`",
    "SlaTable": "`[customers.ID.contract.sla.PN]`",
    "Tiers": "`[customers.ID.contract.tiers]`",
    "Calendar": "`[calendars.NAME]`",
    "DeviceTable": "`[devices.NAME]`",
    "SnmpSettings": "`[devices.NAME.snmp]`",
    "Maintenance": "`[maintenance.NAME]`",
    "ProbeFile": "probes/*.toml tables",
    "ProbeBase": "`[probes.NAME]`, every kind",
    "IcmpProbe": "`[probes.NAME]`, `kind = \"icmp\"`",
    "PingLimits": "ICMP `warning` and `critical`",
    "SnmpProbe": "`[probes.NAME]`, `kind = \"snmp\"`",
    "ValueCheck": "SNMP `thresholds` and `counters`",
    "InterfaceSelection": "SNMP `interfaces`",
    "InterfaceRule": "SNMP `interfaces.rules`",
    "Limits": "SNMP interface limits",
    "TcpProbe": "`[probes.NAME]`, `kind = \"tcp\"`",
    "RuleFile": "rules/*.toml tables",
    "Rule": "`[rules.NAME]`",
    "Escalation": "`[escalations.NAME]`",
    "StepTable": "Escalation steps",
    "IntakeFile": "intake/*.toml tables",
    "SourceEntry": "`[sources.NAME]`",
    "RouteEntry": "`[[sources.NAME.routes]]`",
    "FieldsEntry": "`[sources.NAME.fields]`",
    "MailEntry": "`[mail]`",
    "TrapsEntry": "`[sources.NAME.traps]`",
    "TrapUserEntry": "`[[sources.NAME.traps.users]]`",
    "TrapRuleEntry": "`[[sources.NAME.traps.rules]]`",
    "Timeline": "rules/tests/*.toml",
    "Results": "`[[results]]`",
    "Expect": "`[expect]`",
    "ExpectedTicket": "`[[expect.tickets]]`",
    "ExpectedSuppression": "`[[expect.suppressed]]`",
}


def models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """The models an annotation holds: itself, or inside unions, tuples, dicts, Annotated."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in get_args(annotation):
        yield from models_in(arg)


def reachable() -> dict[str, type[BaseModel]]:
    """Every model the config files are validated with, by class name."""
    found: dict[str, type[BaseModel]] = {}
    todo = list(ROOTS)
    while todo:
        model = todo.pop()
        if model.__name__ in found:
            continue
        found[model.__name__] = model
        for field in model.model_fields.values():
            todo.extend(models_in(field.annotation))
    return found


def owner(model: type[BaseModel], key: str) -> str:
    """The documented model a key belongs to: the most basic one that declares it, so keys
    every probe kind shares are documented once."""
    for base in reversed(model.__mro__):
        fields = getattr(base, "model_fields", {})
        if base.__name__ in SECTIONS and key in fields:
            return base.__name__
    return model.__name__


def sections() -> dict[str, str]:
    """The "## Every key" part of the page, by `###` heading."""
    text = DOC.read_text(encoding="utf-8")
    reference = text[text.index("\n## Every key\n"):]
    parts = re.split(r"^### (.+)$", reference, flags=re.M)
    return {heading: body.split("\n## ", 1)[0] for heading, body in zip(parts[1::2],
                                                                           parts[2::2],
                                                                           strict=True)}


def test_every_model_has_a_section() -> None:
    headings = sections()
    missing = sorted(set(reachable()) - set(SECTIONS))
    assert missing == [], f"document these tables in docs/configuration.md: {missing}"
    assert sorted(h for h in SECTIONS.values() if h not in headings) == []


def test_every_key_is_listed_under_its_table() -> None:
    headings = sections()
    missing = []
    for name, model in sorted(reachable().items()):
        for field_name, field in model.model_fields.items():
            key = field.alias or field_name
            section = headings[SECTIONS[owner(model, field_name)]]
            if f"| `{key}` |" not in section:
                missing.append(f"{SECTIONS[owner(model, field_name)]}: {key} ({name})")
    assert missing == []


def test_the_walk_reaches_the_tables_of_every_file() -> None:
    """The test above is only as good as the walk: it must reach nested and listed tables."""
    found = reachable()
    for name in ("SmtpSection", "TokenSection", "SlaTable", "SnmpSettings", "PingLimits",
                 "InterfaceRule", "Limits", "StepTable", "ExpectedTicket"):
        assert name in found


def test_every_snmp_template_is_in_the_templates_table() -> None:
    """An operator finds each name `use` accepts, with what it judges."""
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("#### Ready-made SNMP templates"):]
    table = table[:table.index("\n### ")]
    rows = re.findall(r"^\| `([a-z0-9-]+)` \(", table, flags=re.M)
    assert rows == sorted(rows, key=list(TEMPLATES).index)
    assert set(rows) == set(TEMPLATES)
