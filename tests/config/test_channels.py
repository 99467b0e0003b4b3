"""bridge.toml [notifications]: channels load with their secrets, receivers are checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config import load_config
from bridge.config.channels import (
    RECEIVERS,
    Channel,
    check_receivers,
    parse_receiver,
    receiver_of,
)
from bridge.config.errors import ConfigError, ConfigErrors
from bridge.config.files import Collector, read_toml
from tests.kits.notify_peers import deployment

FULL = """
[notifications]
operators = ["mailto:noc@msp.example.com", "webhook:noc-portal"]
operator_language = "fi"
retry_deadline_h = 12
group_window_s = 60
max_per_receiver_per_hour = 20

[notifications.smtp]
host = "127.0.0.1"
port = 587
starttls = true
username = "bridge"
password = "env:BRIDGE_TEST_SMTP_PASSWORD"
sender = "Bridge <bridge@msp.example.com>"

[notifications.webhooks.noc-portal]
url = "https://127.0.0.1:8443/hooks/bridge"
secret = "file:secrets/noc-portal.secret"
timeout_s = 3
"""


def test_channels_load_with_secrets_resolved_and_hidden(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_TEST_SMTP_PASSWORD", "mail-password-7")
    config = load_config(deployment(tmp_path, FULL))
    section = config.main.notifications
    assert (section.operators, section.operator_language, section.retry_deadline_s) == (
        ("mailto:noc@msp.example.com", "webhook:noc-portal"), "fi", 12 * 3600)
    smtp = config.channels.smtp
    assert smtp is not None
    assert (smtp.host, smtp.port, smtp.starttls, smtp.tls, smtp.username) == (
        "127.0.0.1", 587, True, False, "bridge")
    assert smtp.password is not None
    assert smtp.password.reveal() == "mail-password-7"
    hook = config.channels.webhooks["noc-portal"]
    assert (hook.url, hook.timeout_s, hook.secret.reveal()) == (
        "https://127.0.0.1:8443/hooks/bridge", 3.0, "portal-signing-key-42")
    shown = repr(config.channels)
    assert "mail-password-7" not in shown
    assert "portal-signing-key-42" not in shown


def test_without_a_notifications_section_nothing_is_sent(tmp_path: Path) -> None:
    config = load_config(deployment(tmp_path, ""))
    assert (config.channels.smtp, dict(config.channels.webhooks)) == (None, {})
    assert config.main.notifications.operators == ()


def test_contract_receivers_are_checked_against_the_channels(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    """The helper a contract's `notify` and `tiers` lists are checked with."""
    monkeypatch.setenv("BRIDGE_TEST_SMTP_PASSWORD", "x")
    config = load_config(deployment(tmp_path, FULL))
    inventory = tmp_path / "demo.toml"
    inventory.write_text('[customers.demo.contract]\n'
                         'notify = ["mailto:it@demo.example.com", "webhook:demo-portal",\n'
                         '          "webhook:noc-portal"]\n')
    errors = Collector()
    parsed = read_toml(inventory, "config/demo.toml", errors)
    assert parsed is not None
    check_receivers(["mailto:it@demo.example.com", "webhook:demo-portal", "webhook:noc-portal"],
                    ("customers", "demo", "contract", "notify"), config.main.notifications,
                    parsed[1], errors)
    assert errors.errors == [ConfigError(
        "config/demo.toml", 2, "customers.demo.contract.notify[1]",
        "unknown webhook 'demo-portal'; define it as [notifications.webhooks.demo-portal] "
        "in bridge.toml")]


def test_the_repos_bridge_toml_example_is_valid_uncommented(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "x")
    monkeypatch.setenv("NOC_HOOK_SECRET", "y")
    text = (Path(__file__).resolve().parents[2] / "bridge.toml").read_text()
    live, commented = text.index("[notifications.smtp]\n"), text.index("# [notifications]\n")
    example = "\n".join(line.removeprefix("# ").removeprefix("#")
                        for line in text[commented:].splitlines())
    config = load_config(deployment(tmp_path, example, main=text[:live]))
    assert config.main.notifications.operators == (
        "mailto:noc@msp.example.com", "webhook:noc-portal")
    assert config.channels.smtp is not None
    assert (config.channels.smtp.port, config.channels.smtp.starttls) == (587, True)
    assert list(config.channels.webhooks) == ["noc-portal"]


def test_the_documented_example_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "x")
    monkeypatch.setenv("DEMO_HOOK_SECRET", "y")
    doc = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    section = doc[doc.index("### Notifications (bridge.toml)"):]
    block = section[section.index("```toml\n") + 8:section.index("```\n", 10)]
    config = load_config(deployment(tmp_path, block))
    assert config.main.notifications.max_per_receiver_per_hour == 30
    assert list(config.channels.webhooks) == ["demo-portal"]


SMTP_ONLY = '[notifications.smtp]\nhost = "127.0.0.1"\nsender = "bridge@msp.example.com"\n'
NO_TIERS = '\n[customers.acme.contract]\nnotify = ["mailto:it@acme.example.com"]\n'


def test_a_contract_that_would_page_nobody_at_the_provider_is_refused(tmp_path: Path) -> None:
    path = deployment(tmp_path, SMTP_ONLY)
    with (path.parent / "config" / "acme.toml").open("a") as f:
        f.write(NO_TIERS)
    with pytest.raises(ConfigErrors) as caught:
        load_config(path)
    assert [str(e) for e in caught.value.errors] == [
        "config/acme.toml:16: customers.acme.contract.tiers: no tier has receivers and "
        "bridge.toml has no [notifications] operators, so escalations ('standard') would page "
        'nobody at the provider; add tier1 = ["mailto:…"] to [customers.acme.contract.tiers], or '
        "operators to [notifications] in bridge.toml (empty tiers then go to them)"]


@pytest.mark.parametrize("fix", [
    ("config", '[customers.acme.contract.tiers]\ntier3 = ["mailto:seniors@msp.example.com"]\n'),
    ("main", '[notifications]\noperators = ["mailto:noc@msp.example.com"]\n'),
])
def test_a_tier_or_the_operators_make_the_contract_reach_someone(
        tmp_path: Path, fix: tuple[str, str]) -> None:
    where, text = fix
    path = deployment(tmp_path, SMTP_ONLY + (text if where == "main" else ""))
    with (path.parent / "config" / "acme.toml").open("a") as f:
        f.write(NO_TIERS + (text if where == "config" else ""))
    assert load_config(path).customers["acme"].contract.notify == ("mailto:it@acme.example.com",)


def test_a_login_in_clear_text_loads_only_when_allowed_explicitly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_TEST_SMTP_PASSWORD", "x")
    relay = FULL.replace("starttls = true\n", "port = 25\n").replace("port = 587\n", "")
    with pytest.raises(ConfigErrors) as info:
        load_config(deployment(tmp_path / "refused", relay))
    assert [e.key for e in info.value.errors] == ["notifications.smtp.username"]
    allowed = relay.replace('username = "bridge"\n',
                            'username = "bridge"\nallow_plaintext_login = true\n')
    smtp = load_config(deployment(tmp_path / "allowed", allowed)).channels.smtp
    assert smtp is not None
    assert (smtp.port, smtp.starttls, smtp.tls, smtp.username) == (25, False, False, "bridge")


def test_every_channel_has_one_receiver_scheme() -> None:
    """Config accepts a receiver only by a channel's scheme (the senders cover every channel:
    tests/notify/test_senders.py), so no receiver is ever sent some other channel's way."""
    assert set(RECEIVERS) == set(Channel)
    assert len({form.scheme for form in RECEIVERS.values()}) == len(Channel)
    for channel in Channel:
        assert parse_receiver(receiver_of(channel, "x")) == (channel, "x")
