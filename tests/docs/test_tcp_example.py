"""docs/configuration.md's `tcp` example loads as written, and its comments' defaults are
the model's."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config import load_config
from bridge.core.probe_kinds.tcp import TcpProbe
from tests.conftest import copy_example_deployment

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
CA_FILE = "/etc/bridge/acme-ca.pem"  # the example's; the test puts a file in its place


def example() -> str:
    blocks = [b.split("```", 1)[0] for b in DOC.read_text(encoding="utf-8").split("```toml\n")]
    [block] = [b for b in blocks[1:] if b.startswith("# probes/tcp.toml")]
    return block


def test_the_documented_tcp_example_is_valid(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    ca = tmp_path / "acme-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")  # config reads none
    assert CA_FILE in example()
    copy_example_deployment(tmp_path)
    (tmp_path / "probes" / "tcp.toml").write_text(example().replace(CA_FILE, str(ca)),
                                                  encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    config = load_config("bridge.toml")
    assert config.warnings == ()
    ssh, https, ldaps = (config.probes[name] for name in ("ssh", "https", "ldaps"))
    assert isinstance(ssh, TcpProbe)
    assert isinstance(https, TcpProbe)
    assert isinstance(ldaps, TcpProbe)
    assert (ssh.port, ssh.tls, ssh.timeout_s) == (22, False, 2.0)
    assert (https.server_name, https.cert_warn_days, https.cert_fail_days) == (
        "portal.acme.example", 21, 7)
    assert (ldaps.ca_file, ldaps.verify) == (str(ca), True)


def test_the_documented_defaults_are_the_models() -> None:
    probe = TcpProbe.model_validate({"kind": "tcp", "port": 22})
    assert (probe.tls, probe.server_name, probe.verify, probe.ca_file) == (
        False, None, True, None)
    assert (probe.cert_warn_days, probe.cert_fail_days, probe.timeout_s) == (14, None, 2)
    assert TcpProbe.model_fields["port"].is_required()
