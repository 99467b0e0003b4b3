"""An alert's labels to customer, device, priority and rule: a table over one config."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config import load_config
from bridge.config.model import Config
from bridge.core.priority import Priority
from bridge.intake.mapping import DeviceIndex, map_alert
from tests.kits.daemon import write_deployment

SOURCE = '''
[sources.prom]
kind = "alertmanager"
token = "file:secrets/am.token"

[[sources.prom.routes]]
labels = { team = "acme" }
customer = "acme"
device_label = "instance"
severities = { critical = { high = "P1", medium = "P2" }, info = "P4" }
priority = "P3"

[[sources.prom.routes]]
labels = { team = "~other|others" }
device_label = "instance"
'''


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    root = tmp_path_factory.mktemp("mapping")
    path = write_deployment(root, {"gw": "127.0.0.2", "web-1": "127.0.0.3",
                                   "v6": "::1", "other-srv": "127.0.0.4"},
                            parents={"web-1": "gw"})
    inventory = root / "config" / "inventory.toml"
    inventory.write_text(inventory.read_text().replace(
        '[devices.gw]\ncustomer = "acme"', '[devices.gw]\ncustomer = "acme"\n'
        'criticality = "high"'))
    (root / "secrets" / "am.token").write_text("t\n")
    (root / "intake").mkdir()
    (root / "intake" / "prom.toml").write_text(SOURCE)
    return load_config(Path(path))


@pytest.mark.parametrize(("labels", "expected"), [
    # device by id, by address with a port, by an IPv6 address in brackets
    ({"team": "acme", "instance": "web-1"}, ("acme", "web-1", ("gw/ping",), "P3", ":0")),
    ({"team": "acme", "instance": "127.0.0.3:9100"},
     ("acme", "web-1", ("gw/ping",), "P3", ":0")),
    ({"team": "acme", "instance": "[::1]:9100"}, ("acme", "v6", (), "P3", ":0")),
    # severity by the device's criticality (gw is high), a plain one, an unlisted one
    ({"team": "acme", "instance": "gw", "severity": "critical"}, ("acme", "gw", (), "P1",
                                                                  ":0")),
    ({"team": "acme", "instance": "web-1", "severity": "critical"},
     ("acme", "web-1", ("gw/ping",), "P2", ":0")),
    ({"team": "acme", "instance": "web-1", "severity": "info"},
     ("acme", "web-1", ("gw/ping",), "P4", ":0")),
    # an unknown device: the customer's ticket without a device
    ({"team": "acme", "instance": "db-9"}, ("acme", None, (), "P3", ":0")),
    # the customer from the device (second route, a regular expression)
    ({"team": "others", "instance": "other-srv"}, ("other", "other-srv", (), "P3",
                                                   ":1")),
    # no customer at all, or no route: the desk's own
    ({"team": "other", "instance": "nowhere"}, ("bridge", None, (), "P3", "")),
    ({"team": "nobody"}, ("bridge", None, (), "P3", "")),
])
def test_labels_to_a_ticket(config: Config, labels: dict[str, str],
                            expected: tuple[str, str | None, tuple[str, ...], str, str]) -> None:
    mapped = map_alert(config.intake.sources["prom"], labels, {"summary": "s"},
                       DeviceIndex(config))
    customer, device, parent_checks, priority, rule = expected
    assert (mapped.customer, mapped.device, tuple(str(c) for c in mapped.parent_checks),
            mapped.priority, mapped.rule) == (
        customer, device, parent_checks, Priority(priority), f"intake:prom{rule}")


def test_the_summary_names_the_alert(config: Config) -> None:
    source, index = config.intake.sources["prom"], DeviceIndex(config)
    assert map_alert(source, {"team": "acme", "alertname": "Down"}, {"summary": "x is down"},
                     index).summary == "Down: x is down"
    assert map_alert(source, {"team": "acme"}, {}, index).summary == "alert"
    assert map_alert(source, {"team": "x", "alertname": "Down"}, {}, index).summary == \
        "unrouted prom alert: Down"
