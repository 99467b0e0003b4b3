"""A new user's first SNMP devices, end to end: a 48-port access switch, most ports unused,
and a UPS, configured with README's and docs/configuration.md's own blocks, served by snmpsim
(tests/data/snmp: access48, ups-online, then access48-later and ups-on-battery), checked,
probed, run, and scraped by a real Prometheus. The unused ports never fail the check and
are not exported; an access port going down warns, the uplink going down fails (a ticket);
the UPS on battery fails (the docs' override of ups-mib's warning: a ticket), its minutes
left in Prometheus; the dashboard's interface panels show it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.daemon.test_prometheus import run
from tests.kits.daemon import Bridge, wait_for, write_deployment
from tests.kits.prometheus import Prometheus
from tests.kits.snmp_agents import Agent

CONFIGURATION_DOC = (REPO / "docs" / "configuration.md").read_text()
README = (REPO / "README.md").read_text()
# what the docs leave to their defaults, made quick for a test
QUICK = 'kind = "snmp"\ninterval_s = 2\ntimeout_s = 0.3\nretry_interval_s = 0.5\nmax_attempts = 2\n'


def documented(starting: str) -> str:
    """The TOML block of docs/configuration.md that starts with `starting`, polled quickly."""
    block = next(b.split("```", 1)[0] for b in CONFIGURATION_DOC.split("```toml\n")[1:]
                 if b.startswith(starting))
    return block.replace("interval_s = 60\n", "").replace('kind = "snmp"\n', QUICK)


def deployment(root: Path, agent: Agent) -> Path:
    """README's devices and docs/configuration.md's probes, on snmpsim; the secrets name its
    recordings."""
    config = write_deployment(root, {})
    (root / "probes" / "access.toml").write_text(documented("# probes/access.toml"))
    ups = documented("[probes.ups]").split("[probes.switch-health]")[0]
    (root / "probes" / "ups.toml").write_text(ups)
    devices = next(b.split("```", 1)[0] for b in README.split("```toml\n")[1:]
                   if b.startswith("# config/closet.toml"))
    devices = re.sub(r'address = "[^"]+"', 'address = "127.0.0.1"', devices)
    devices = devices.replace('customer = "demo"', 'customer = "acme"').replace(
        ' }', f', port = {agent.port} }}')
    with (root / "config" / "inventory.toml").open("a") as inventory:
        inventory.write("\n" + devices)
    (root / "secrets" / "closet.community").write_text("access48\n")
    (root / "secrets" / "ups.community").write_text("ups-online\n")
    return config


def bridge(config: Path, *args: str) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-m", "bridge", *args, "-c", str(config)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.stderr == ""
    return done.returncode, done.stdout


def values(prometheus: Prometheus, promql: str, label: str) -> dict[str, float]:
    return {s["metric"][label]: float(s["value"][1]) for s in prometheus.query(promql)}


def test_a_48_port_switch_and_a_ups_as_a_new_user_sets_them_up(snmpsim: Agent,
                                                              tmp_path: Path) -> None:
    config = deployment(tmp_path, snmpsim)
    assert bridge(config, "check")[0] == 0
    code, shown = bridge(config, "probe", "sw-closet", "--json")
    assert code == 0
    [result] = json.loads(shown)["results"]
    assert result["output"].endswith(
        "learned 11 interfaces that are up; 54 interfaces, 11 judged: 11 up, 0 down; "
        "not judged: 40 not up when learned, 2 admin down, 1 excluded ifType")
    judged = sorted(k.removeprefix("interface ") for k in result["values"]
                    if k.startswith("interface ") and not k.endswith(" traffic"))
    assert judged == sorted([*(f"Gi1/0/{i}" for i in range(1, 10)), "Te1/1/1", "Nu0"])
    assert bridge(config, "probe", "ups-closet")[1].startswith(
        "OK   ups-closet ups: up 1d 0:00:00")

    daemon = Bridge(config)
    try:
        (tmp_path / "prometheus").mkdir()
        prometheus = Prometheus(tmp_path / "prometheus", daemon.url.removeprefix("http://"))
        try:
            watch(daemon, prometheus, tmp_path)
        finally:
            prometheus.stop()
    finally:
        assert daemon.stop() == 0


def watch(daemon: Bridge, prometheus: Prometheus, root: Path) -> None:
    """What the daemon judges and Prometheus holds, before and after the trouble."""
    traffic = 'bridge_interface_utilisation_ratio{device="sw-closet",direction="in"}'
    busy = wait_for("the switch's traffic in Prometheus", lambda: values(
        prometheus, traffic, "interface").get("Te1/1/1"), timeout_s=60)
    assert busy == pytest.approx(0.2, rel=0.2)  # 2 Gbit/s of 10
    # only the learned ports are series: the 40 unused ones never show
    assert set(values(prometheus, 'bridge_interface_up{device="sw-closet"}', "interface")) == {
        *(f"Gi1/0/{i}" for i in range(1, 10)), "Te1/1/1", "Nu0"}
    errors = values(prometheus, 'bridge_interface_errors_per_second{device="sw-closet",'
                                'direction="in"} > 0', "interface")
    assert errors == {"Te1/1/1": pytest.approx(5, rel=0.2)}
    assert values(prometheus, "bridge_probe_success", "device") == {"sw-closet": 1, "ups-closet": 1}
    ups = 'bridge_probe_value{device="ups-closet"}'
    assert values(prometheus, ups, "object")["upsEstimatedMinutesRemaining"] == 45

    (root / "secrets" / "closet.community").write_text("access48-later\n")  # Gi1/0/3, Te1/1/1
    (root / "secrets" / "ups.community").write_text("ups-on-battery\n")
    assert daemon.request("POST", "/-/reload")[0] == 200
    wait_for("the switch and the UPS hard down", lambda: values(
        prometheus, "bridge_check_down == 1", "device") == {"sw-closet": 1, "ups-closet": 1},
        timeout_s=60)
    devices = {d["id"]: d for d in daemon.get("/api/v1/devices")["devices"]}
    [switch] = devices["sw-closet"]["checks"]
    assert switch["output"].startswith(
        "1 interface down while admin up: Te1/1/1 (ifIndex 49); "
        "WARNING 1 interface down while admin up: Gi1/0/3 (ifIndex 3);")
    on_battery = values(prometheus, ups, "object")
    assert (on_battery["upsOutputSource"], on_battery["upsEstimatedMinutesRemaining"]) == (5, 12)
    assert devices["ups-closet"]["checks"][0]["output"].startswith(
        "upsOutputSource = battery (5), expected normal (critical);")
    tickets = daemon.cli("list")["incidents"]
    assert sorted((t["device"], t["probe"]) for t in tickets) == [
        ("sw-closet", "access-ports"), ("ups-closet", "ups")]
    # the dashboard, as an operator picks the switch
    panels = run(prometheus, {"customer": "acme", "device": "sw-closet", "interface": ".*",
                              "window": "1h"})
    down: list[Any] = panels["Judged interfaces down now"]
    assert {row["metric"]["interface"] for row in down} == {"Gi1/0/3", "Te1/1/1"}
    assert {row["metric"]["device"] for row in panels["Down now"]} == {"sw-closet"}
