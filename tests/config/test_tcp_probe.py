"""The tcp probe kind's keys: what an operator reads when one is wrong, and the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config import load_config
from bridge.core.probe_kinds.tcp import TcpProbe
from tests.config.test_config import bridge_check, deploy, load_errors, write

TCP_KEYS = ("kind, interval_s, timeout_s, retry_interval_s, max_attempts, recover_after, port, "
            "tls, server_name, verify, ca_file, cert_warn_days, cert_fail_days")


def _web(root: Path, keys: str) -> None:
    write(root, "probes/web.toml", f'[probes.web]\nkind = "tcp"\n{keys}')


@pytest.mark.parametrize(("keys", "message"), [
    ("port = 443\ntimeout = 2\n",
     f"probes/web.toml:4: probes.web.timeout: unknown key; expected one of: {TCP_KEYS}"),
    ("tls = true\n",
     "probes/web.toml:1: probes.web.port: required key is missing"),
    ("port = 70000\n",
     "probes/web.toml:3: probes.web.port: must be <= 65535, got 70000"),
    ("port = 443\nserver_name = \"www.example.com\"\n",
     "probes/web.toml:4: probes.web.server_name: is for TLS checks; add tls = true or "
     "remove it"),
    ("port = 443\ntls = true\nca_file = \"ca.pem\"\n",
     "probes/web.toml:5: probes.web.ca_file: must be an absolute path (got ca.pem)"),
    ("port = 443\ntls = true\nca_file = \"/nonexistent/ca.pem\"\n",
     "probes/web.toml:5: probes.web.ca_file: no such file: /nonexistent/ca.pem"),
    ("port = 443\ntls = true\nverify = false\nca_file = \"/etc/hostname\"\n",
     "probes/web.toml:6: probes.web.ca_file: is not read with verify = false; remove one"),
    ("port = 443\ntls = true\ncert_fail_days = 20\n",
     "probes/web.toml:5: probes.web.cert_fail_days: must be < cert_warn_days (got 20 >= 14): "
     "a certificate must warn before it fails"),
    ("port = 443\ntimeout_s = 10\ninterval_s = 10\n",
     "probes/web.toml:4: probes.web.timeout_s: must be < interval_s (got 10 >= 10)"),
])
def test_a_wrong_tcp_key_names_the_file_the_key_and_the_fix(
        keys: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = deploy(tmp_path)
    _web(root, keys)
    assert load_errors(root, monkeypatch) == [message]


def test_bridge_check_accepts_a_tls_check_and_fills_its_defaults(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = deploy(tmp_path)
    _web(root, "port = 443\ntls = true\n")
    result = bridge_check("bridge.toml", root)
    assert result.returncode == 0, result.stdout + result.stderr
    monkeypatch.chdir(root)
    probe = load_config("bridge.toml").probes["web"]
    assert isinstance(probe, TcpProbe)
    assert (probe.port, probe.tls, probe.verify, probe.server_name, probe.ca_file) == (
        443, True, True, None, None)
    assert (probe.cert_warn_days, probe.cert_fail_days, probe.timeout_s) == (14.0, None, 2.0)
