"""A deployment with intake sources: Alertmanager (token), Grafana (HMAC), PagerDuty."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.kits.daemon import write_deployment

AM_TOKEN = "am-token-1234"
GRAFANA_HMAC = "grafana-hmac-secret"
PD_KEY = "R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12"

SOURCES = '''
[sources.prom]
kind = "alertmanager"
token = "file:secrets/am.token"

[[sources.prom.routes]]
labels = { team = "acme" }
customer = "acme"
device_label = "instance"
severities = { critical = "P1" }
priority = "P3"

[sources.graf]
kind = "grafana"
hmac_secret = "file:secrets/graf.hmac"
on_resolve = "timeline"
max_body_bytes = 4096

[[sources.graf.routes]]
device_label = "host"

[sources.zbx]
kind = "generic"
token = "file:secrets/am.token"
fields = { alerts = "events", key = "{host}/{trigger.id}", status = "trigger.status", \
firing = ["PROBLEM"], resolved = ["OK"], starts_at = "clock", summary = "trigger.name" }

[[sources.zbx.routes]]
labels = { "tags.customer" = "acme" }
customer = "acme"
device_label = "host"

[sources.pd]
kind = "pagerduty"
routing_key = "file:secrets/pd.key"

[[sources.pd.routes]]
device_label = "source"
'''

T0 = (datetime.now(UTC) - timedelta(minutes=30)).replace(microsecond=0)


def intake_deployment(root: Path) -> Path:
    """Devices of acme (gw, web-1 behind it, …) and other, and the three sources."""
    config = write_deployment(root, {"gw": "127.0.0.2", "web-1": "127.0.0.3",
                                     "db-1": "127.0.0.5", "app-1": "127.0.0.6",
                                     "flap-1": "127.0.0.7", "ups-1": "127.0.0.8",
                                     "held-1": "127.0.0.9", "zbx-1": "127.0.0.10",
                                     "other-srv": "127.0.0.4"},
                              parents={"web-1": "gw"}, customer_token=True)
    (root / "secrets" / "am.token").write_text(AM_TOKEN + "\n")
    (root / "secrets" / "graf.hmac").write_text(GRAFANA_HMAC + "\n")
    (root / "secrets" / "pd.key").write_text(PD_KEY + "\n")
    (root / "intake").mkdir()
    (root / "intake" / "sources.toml").write_text(SOURCES)
    return config
