"""intake/*.toml: sources and routes compiled, and `bridge check`'s file:line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config import ConfigErrors, load_config
from bridge.config.intake_model import OnResolve, SourceKind
from bridge.core.priority import Priority
from tests.kits.daemon import write_deployment

GOOD = '''
[sources.prom]
kind = "alertmanager"
token = "file:secrets/am.token"
on_resolve = "timeline"
resolve_after_silence_min = 30
max_resolves_per_min = 120

[[sources.prom.routes]]
labels = { team = "acme", instance = "~web-.*" }
customer = "acme"
device_label = "instance"
severities = { critical = "P1" }
priority = { high = "P2", low = "P4" }
escalation = "critical"

[sources.pd]
kind = "pagerduty"
routing_key = "env:TEST_PD_KEY"
'''

CHAIN = '\n[escalations.critical]\nsteps = [{ tier = 1, after_min = 0 }]\n'


def _deployment(tmp_path: Path, intake: str) -> Path:
    config = write_deployment(tmp_path, {"web-1": "127.0.0.2"})
    with (tmp_path / "rules" / "default.toml").open("a") as rules:
        rules.write(CHAIN)
    (tmp_path / "secrets" / "am.token").write_text("am-secret\n")
    (tmp_path / "intake").mkdir()
    (tmp_path / "intake" / "sources.toml").write_text(intake)
    return config


def _errors(config: Path) -> list[str]:
    with pytest.raises(ConfigErrors) as raised:
        load_config(config)
    return [str(e) for e in raised.value.errors]


def test_sources_compile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_PD_KEY", "pd-routing-key")
    config = load_config(_deployment(tmp_path, GOOD))
    prom = config.intake.sources["prom"]
    assert prom.kind is SourceKind.ALERTMANAGER
    assert prom.on_resolve is OnResolve.TIMELINE
    assert prom.token is not None
    assert prom.token.matches("am-secret")
    assert "am-secret" not in repr(prom)  # secrets never printed
    assert prom.silence_s == 1800.0
    assert prom.max_resolves_per_min == 120
    assert config.intake.sources["pd"].max_resolves_per_min is None  # no cap
    route = prom.routes[0]
    assert route.matches({"team": "acme", "instance": "web-1:9100"})
    assert not route.matches({"team": "acme", "instance": "db-1"})
    assert not route.matches({"instance": "web-1"})
    assert route.severities["critical"] is Priority.P1
    assert config.intake.by_routing_key("pd-routing-key") is config.intake.sources["pd"]
    assert config.intake.by_routing_key("other") is None
    assert config.chain_for("acme", Priority.P2, "intake:prom:0") == \
        config.escalations["critical"]
    assert "intake/sources.toml" in config.files


def test_no_intake_folder_is_no_sources(tmp_path: Path) -> None:
    config = load_config(write_deployment(tmp_path, {"web-1": "127.0.0.2"}))
    assert dict(config.intake.sources) == {}


def test_a_named_intake_folder_must_exist(tmp_path: Path) -> None:
    config = write_deployment(tmp_path, {"web-1": "127.0.0.2"})
    with config.open("a") as main:
        main.write('\n[paths]\nintake = "alerts"\n')
    assert any("paths.intake: folder alerts/ does not exist" in e for e in _errors(config))


def test_errors_name_file_line_and_key(tmp_path: Path) -> None:
    bad = '''[sources.prom]
kind = "alertmanager"
token = "file:secrets/am.token"
hmac_secret = "env:X"

[sources.graf]
kind = "grafana"
token = "env:TEST_INTAKE_UNSET"

[[sources.graf.routes]]
labels = { instance = "~web-(" }
customer = "nobody"
device = "ghost"
escalation = "nochain"

[sources.pd]
kind = "pagerduty"
token = "file:secrets/am.token"

[sources.odd]
kind = "zabbix"
token = "file:secrets/am.token"

[sources.storm]
kind = "alertmanager"
token = "file:secrets/am.token"
max_resolves_per_min = 0
'''
    errors = _errors(_deployment(tmp_path, bad))
    where = "intake/sources.toml"
    expected = [
        f"{where}:1: sources.prom: a alertmanager source needs exactly one of token or "
        "hmac_secret",
        f"{where}:8: sources.graf.token: environment variable TEST_INTAKE_UNSET is not set",
        f"{where}:11: sources.graf.routes[0].labels.instance: invalid regular expression",
        f"{where}:12: sources.graf.routes[0].customer: unknown customer 'nobody'",
        f"{where}:13: sources.graf.routes[0].device: unknown device 'ghost'",
        f"{where}:14: sources.graf.routes[0].escalation: unknown escalation chain 'nochain'",
        f"{where}:16: sources.pd: a pagerduty source is named by its routing_key",
        f"{where}:21: sources.odd.kind:",
        f"{where}:27: sources.storm.max_resolves_per_min:",
    ]
    for text in expected:
        assert any(e.startswith(text) for e in errors), (text, errors)


def test_a_device_of_another_customer_is_refused(tmp_path: Path) -> None:
    bad = '''[sources.prom]
kind = "alertmanager"
token = "file:secrets/am.token"

[[sources.prom.routes]]
customer = "other"
device = "web-1"
'''
    assert _errors(_deployment(tmp_path, bad)) == [
        "intake/sources.toml:7: sources.prom.routes[0].device: device 'web-1' is customer "
        "'acme''s, not 'other''s"]


def test_a_routing_key_used_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_PD_KEY", "same")
    twice = ('[sources.a]\nkind = "pagerduty"\nrouting_key = "env:TEST_PD_KEY"\n\n'
             '[sources.b]\nkind = "pagerduty"\nrouting_key = "env:TEST_PD_KEY"\n')
    assert _errors(_deployment(tmp_path, twice)) == [
        "intake/sources.toml:7: sources.b.routing_key: another source has this routing key"]


def test_a_generic_source_says_where_its_alerts_are(tmp_path: Path) -> None:
    bad = '''[sources.a]
kind = "generic"
token = "file:secrets/am.token"

[sources.b]
kind = "generic"
token = "file:secrets/am.token"
fields = { key = "host" }

[sources.c]
kind = "alertmanager"
token = "file:secrets/am.token"
fields = { key = "{host}" }
'''
    assert _errors(_deployment(tmp_path, bad)) == [
        "intake/sources.toml:1: sources.a: a generic source needs [sources.NAME.fields] "
        "(where its JSON keeps the alerts), and only a generic source has them",
        "intake/sources.toml:8: sources.b.fields.key: a key template names fields of the "
        "alert, such as \"{host}/{check.id}\", got 'host'",
        "intake/sources.toml:10: sources.c: a generic source needs [sources.NAME.fields] "
        "(where its JSON keeps the alerts), and only a generic source has them"]
