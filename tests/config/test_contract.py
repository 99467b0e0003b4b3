"""The contract as the desk reads it from a loaded config: calendar, targets, chain, receivers.

Invalid contracts, calendars and chains are pinned with the other config errors in
test_config.py (testdata/config/*).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bridge.config import load_config
from bridge.config.model import Config
from bridge.core.escalation import Step, Unless
from bridge.core.priority import Priority
from bridge.core.sla import SlaKind, SlaTargets
from tests.config.test_config import REPO, deploy, write

HEL = ZoneInfo("Europe/Helsinki")

GLOBEX = """
[customers.globex]
name = "Globex"

[customers.globex.contract]
calendar = "office"
escalation = "gold"
escalation_by_priority = { P1 = "platinum" }
templates = "../templates/globex"
notify = ["mailto:it@globex.example.com"]

[customers.globex.contract.sla.P2]
reaction_min = 20
resolution_min = 360         # warnings keep the defaults; the ETA follows resolution_min

[customers.globex.contract.tiers]
tier2 = ["mailto:specialist@msp.example.com", "mailto:backup@msp.example.com"]

[calendars.office]
timezone = "Europe/Helsinki"
weekly = ["mon-fri 08:00-18:00"]
holidays = [2026-12-24]
"""

CHAINS = """
[escalations.gold]
steps = [{ tier = 1, after_min = 0 }, { tier = 2, unless = "assigned", after_min = 30 }]

[escalations.platinum]
steps = [{ tier = 2, after_min = 0 }]

[escalations.field]
steps = [{ tier = 4, sla = "resolution", at_pct = 50 }]

[rules.field-trip]
tags = ["remote-site"]
escalation = "field"
"""


@pytest.fixture
def config(tmp_path: Path) -> Config:
    root = deploy(tmp_path)
    write(root, "config/globex.toml", GLOBEX)
    write(root, "rules/escalations.toml", CHAINS)
    (root / "templates" / "globex").mkdir(parents=True)
    return load_config(root / "bridge.toml")


@pytest.mark.parametrize(
    ("customer", "priority", "rule", "chain"),
    [
        ("globex", Priority.P1, "field-trip", "field"),  # the rule's chain wins
        ("globex", Priority.P1, "down", "platinum"),  # a rule without one: per priority
        ("globex", Priority.P2, "down", "gold"),  # the contract's default
        ("globex", Priority.P2, None, "gold"),  # opened by hand
        ("globex", Priority.P1, "removed-since", "platinum"),  # its rule is gone after a reload
        ("acme", Priority.P1, None, "standard"),  # no contract written: the built-in chain
        ("acme", Priority.P3, "field-trip", "field"),
    ],
)
def test_chain_for(config: Config, customer: str, priority: Priority, rule: str | None,
                   chain: str) -> None:
    assert config.chain_for(customer, priority, rule).name == chain


def test_chains_compile_in_coverage_seconds(config: Config) -> None:
    assert config.escalations["gold"].steps == (
        Step(0, tier=1, after_s=0), Step(1, tier=2, after_s=1800, unless=Unless.ASSIGNED))
    assert config.escalations["standard"].steps == (
        Step(0, tier=1, after_s=0),
        Step(1, tier=2, sla=SlaKind.REACTION, at_pct=75),
        Step(2, tier=3, sla=SlaKind.RESOLUTION, at_pct=75),
        Step(3, tier=4, sla=SlaKind.RESOLUTION, at_pct=90),
    )


def test_a_chain_named_standard_replaces_the_built_in_one(tmp_path: Path) -> None:
    root = deploy(tmp_path)
    write(root, "rules/escalations.toml",
          "[escalations.standard]\nsteps = [{ tier = 3, after_min = 5 }]\n")
    config = load_config(root / "bridge.toml")
    assert config.chain_for("acme", Priority.P2, None).steps == (Step(0, tier=3, after_s=300),)


def test_sla_targets_fill_in_the_defaults(config: Config) -> None:
    assert config.sla_for("globex", Priority.P2) == SlaTargets(
        reaction_s=20 * 60, resolution_s=6 * 3600, warn_at_pct=(75, 90),
        eta_default_s=6 * 3600)
    assert config.sla_for("acme", Priority.P1) == SlaTargets(
        reaction_s=15 * 60, resolution_s=4 * 3600, warn_at_pct=(75, 90),
        eta_default_s=4 * 3600)
    assert config.sla_for("acme", Priority.P4).resolution_s == 72 * 3600


@pytest.mark.parametrize(("contract", "priority"), [
    ("", Priority.P3),  # nothing written: P3
    ('reported_priority = "P2"', Priority.P2),
    ('reported_priority = "P2"\npriority_shift = -1', Priority.P1),  # shifted like any ticket
    ("priority_shift = 3", Priority.P4),  # held within P1..P4
])
def test_the_contract_decides_the_priority_of_reported_tickets(
        tmp_path: Path, contract: str, priority: Priority) -> None:
    root = deploy(tmp_path)
    write(root, "config/initech.toml",
          f'[customers.initech]\nname = "Initech"\n\n[customers.initech.contract]\n{contract}\n')
    assert load_config(root / "bridge.toml").reported_priority("initech") == priority


def test_coverage_for_the_contract_calendar(config: Config) -> None:
    office = config.coverage_for("globex")
    monday = datetime(2026, 3, 2, tzinfo=HEL)
    assert office.covered_seconds(monday, datetime(2026, 3, 9, tzinfo=HEL)) == 50 * 3600
    assert not office.is_covered(datetime(2026, 12, 24, 12, tzinfo=HEL))
    assert config.coverage_for("acme").is_always()  # no contract written: 24x7
    # availability counts in the contract's calendar unless it names its own
    assert config.availability_coverage_for("globex") is config.coverage_for("globex")
    with pytest.raises(TypeError):
        config.calendars["office"] = office  # type: ignore[index]


def test_contract_receivers_and_templates(config: Config, tmp_path: Path) -> None:
    contract = config.customers["globex"].contract
    assert contract.notify == ("mailto:it@globex.example.com",)
    assert contract.tiers.receivers(2) == ("mailto:specialist@msp.example.com",
                                           "mailto:backup@msp.example.com")
    assert contract.tiers.receivers(1) == ()
    # written relative to config/globex.toml, made absolute when loaded
    assert contract.templates == str((tmp_path / "deploy" / "templates" / "globex").resolve())
    assert (contract.language, contract.silence_period_h, contract.eta_notice_min) == ("en", 72, 30)
    assert contract.availability_target_pct is None


def test_the_documented_contract_example_is_valid(tmp_path: Path) -> None:
    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in doc.split("```toml\n")[1:]]
    contract = next(b for b in blocks if b.startswith("# config/globex.toml"))
    chains = next(b for b in blocks if b.startswith("# rules/escalations.toml"))
    root = deploy(tmp_path)
    write(root, "config/globex.toml", contract)
    write(root, "rules/escalations.toml", chains)
    config = load_config(root / "bridge.toml")
    assert config.chain_for("globex", Priority.P1, None).name == "critical"
    assert config.chain_for("globex", Priority.P3, "core-router-down").name == "critical"
    assert config.sla_for("globex", Priority.P1).eta_default_s == 120 * 60
    saturday = datetime(2026, 3, 7, tzinfo=HEL)
    assert config.coverage_for("globex").covered_seconds(saturday, saturday.replace(day=8)) \
        == 4 * 3600
    assert config.customers["globex"].contract.availability_target_pct == 99.5


def test_the_example_deployment_has_a_contract() -> None:
    config = load_config(REPO / "bridge.toml")
    assert config.chain_for("demo", Priority.P1, "critical-device-down").name == "critical"
    assert config.chain_for("demo", Priority.P2, "device-down").name == "standard"
    saturday = datetime(2026, 3, 7, 12, tzinfo=HEL)
    assert not config.coverage_for("demo").is_covered(saturday)  # SLA clocks: office hours
    assert config.availability_coverage_for("demo").is_covered(saturday)  # any day
    tiers = config.customers["demo"].contract.tiers
    assert all(r.endswith("example.com") for n in (1, 2, 3, 4) for r in tiers.receivers(n))
