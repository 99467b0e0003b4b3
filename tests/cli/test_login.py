"""`bridge login`: a person's own API token, so that what they do through the CLI is on the
timeline under their name; a new password or a disabled account ends it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kits.daemon import Bridge, write_deployment

PASSWORD = "olga's long password"


def run(root: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`bridge …` from the deployment's folder, as a person whose config home is in it."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")},
           "XDG_CONFIG_HOME": str(root / "home-config")}
    return subprocess.run([sys.executable, "-m", "bridge", *args], input=stdin, cwd=root,
                          capture_output=True, text=True, env=env, timeout=60)


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[tuple[Path, Bridge]]:
    config = write_deployment(tmp_path, {"gw": "127.0.0.2"})
    assert run(tmp_path, "users", "add", "olga", "--role", "operator", "--display-name",
               "Olga Operator", "--password-file", "-", stdin=PASSWORD).returncode == 0
    bridge = Bridge(config)
    yield tmp_path, bridge
    bridge.stop()


def test_a_person_acts_through_the_cli_under_their_own_name(
        deployment: tuple[Path, Bridge]) -> None:
    root, bridge = deployment
    status, ticket = bridge.request("POST", "/api/v1/incidents", "ops",
                                    {"summary": "printer", "customer": "acme"})
    assert status == 201
    done = run(root, "login", "olga", "--password-file", "-", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert "logged in as Olga Operator (operator)" in done.stdout
    token_file = root / "home-config" / "bridge" / "token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert PASSWORD not in done.stdout + done.stderr
    commented = run(root, "incidents", "comment", ticket["id"], "on my way", "--url", bridge.url)
    assert commented.returncode == 0, commented.stderr
    timeline = bridge.get(f"/api/v1/incidents/{ticket['id']}")["timeline"]
    assert [(e["author"], e["message"]) for e in timeline if e["kind"] == "comment"] == [
        ("Olga Operator", "on my way")]
    # her token is an operator's on every operator route, the mail the desk took too
    token = token_file.read_text().strip()
    assert bridge.request("GET", "/api/v1/intake/mail", token)[0] == 200
    # a new password ends the token, as it ends her portal sessions
    assert run(root, "users", "passwd", "olga", "--password-file", "-",
               stdin="another long password\n").returncode == 0
    assert bridge.request("GET", "/api/v1/incidents", token)[0] == 401
    refused = run(root, "incidents", "comment", ticket["id"], "again", "--url", bridge.url)
    assert refused.returncode != 0


def test_a_wrong_password_gets_no_token(deployment: tuple[Path, Bridge]) -> None:
    root, _ = deployment
    done = run(root, "login", "olga", "--password-file", "-", stdin="not it\n")
    assert (done.returncode, done.stderr) == (1, "login: wrong user name or password\n")
    assert not (root / "home-config" / "bridge" / "token").exists()
    assert run(root, "login", "nobody", "--password-file", "-",
               stdin=PASSWORD).returncode == 1


def test_a_login_is_sent_only_to_the_deployment_it_was_made_for(
        deployment: tuple[Path, Bridge], tmp_path_factory: pytest.TempPathFactory) -> None:
    """Two deployments on one host, one config home: the login of the first is not the
    token the CLI sends the second (which would refuse it); the second's own operator
    token from its bridge.toml is."""
    root, bridge = deployment
    assert run(root, "login", "olga", "--password-file", "-",
               stdin=PASSWORD + "\n").returncode == 0
    other_root = tmp_path_factory.mktemp("other")
    other = Bridge(write_deployment(other_root, {"gw": "127.0.0.2"}))
    try:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")},
               "XDG_CONFIG_HOME": str(root / "home-config")}
        listed = subprocess.run(
            [sys.executable, "-m", "bridge", "incidents", "-c", str(other_root / "bridge.toml"),
             "list", "--url", other.url], cwd=root, capture_output=True, text=True, env=env,
            timeout=60)
        assert listed.returncode == 0, listed.stderr
        # ... and in the first deployment's folder the login is still hers
        status, ticket = bridge.request("POST", "/api/v1/incidents", "ops",
                                        {"summary": "printer", "customer": "acme"})
        assert status == 201
        assert run(root, "incidents", "comment", ticket["id"], "mine", "--url",
                   bridge.url).returncode == 0
        timeline = bridge.get(f"/api/v1/incidents/{ticket['id']}")["timeline"]
        assert [e["author"] for e in timeline if e["kind"] == "comment"] == ["Olga Operator"]
    finally:
        other.stop()


def test_one_store_named_two_ways_is_one_deployment(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """`bridge login --db` with a relative SQLite path, or a PostgreSQL URL with its
    password, marks the same store as bridge.toml's absolute path or password-less URL."""
    from bridge.cli.login import _store_mark

    monkeypatch.chdir(tmp_path)
    assert _store_mark("sqlite:///var/bridge.db") == _store_mark(
        f"sqlite:///{tmp_path}/var/bridge.db")
    assert _store_mark("postgresql+psycopg://bridge:pw@127.0.0.1/bridge") == _store_mark(
        "postgresql+psycopg://bridge@127.0.0.1/bridge")
    assert _store_mark("postgresql+psycopg://bridge@127.0.0.1/bridge") != _store_mark(
        "postgresql+psycopg://bridge@127.0.0.1/other")
