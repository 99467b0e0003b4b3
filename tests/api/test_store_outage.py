"""The store goes away under a running daemon (PostgreSQL behind a proxy the test cuts):
every route that needs it answers 503 with a reason and Retry-After, the sender's to try
again (the API's reads and writes, the intake's webhooks, counted as refused), never a 500
with a traceback; when the store is back the same requests are taken."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.intake.test_webhooks import alert, post, webhook
from tests.kits.daemon import Bridge, metric, wait_for
from tests.kits.intake import intake_deployment
from tests.kits.pg import scratch_database
from tests.kits.sockproxy import CuttableProxy


@pytest.fixture
def cut_off(tmp_path: Path, pg_admin_url: str) -> Iterator[tuple[Bridge, CuttableProxy]]:
    """The intake deployment's daemon on a scratch database reached through a proxy."""
    with psycopg.connect(pg_admin_url) as conn:
        folders = conn.execute("SHOW unix_socket_directories").fetchone()
        port_row = conn.execute("SHOW port").fetchone()
    assert folders is not None
    assert port_row is not None
    socket_dir, port = str(folders[0]).split(",")[0].strip(), int(port_row[0])
    with scratch_database(pg_admin_url, f"bridge_outage_{uuid.uuid4().hex[:12]}") as url:
        (tmp_path / "pg").mkdir()
        proxy = CuttableProxy(tmp_path / "pg", port, f"{socket_dir}/.s.PGSQL.{port}")
        config = intake_deployment(tmp_path / "d")
        name = url.rsplit("/", 1)[1]
        config.write_text(re.sub(
            r'(?m)^url = "sqlite:[^"]*"$',
            f'url = "postgresql+psycopg://postgres@/{name}?host={tmp_path / "pg"}&port={port}"',
            config.read_text(), count=1))
        bridge = Bridge(config)
        try:
            yield bridge, proxy
        finally:
            proxy.restore()
            bridge.stop()
            proxy.close()


def refused_for_the_store(bridge: Bridge) -> float:
    status, text = bridge.request("GET", "/metrics", token=None)
    assert status == 200
    return metric(text, "bridge_intake_refused_total", reason="store_unavailable",
                  source="prom") or 0.0


def test_a_store_that_is_down_is_a_503_to_try_again_on_every_route(
        cut_off: tuple[Bridge, CuttableProxy]) -> None:
    bridge, proxy = cut_off
    assert bridge.request("GET", "/api/v1/incidents")[0] == 200
    proxy.cut()
    answers: dict[str, tuple[int, Any]] = {
        "list": bridge.request("GET", "/api/v1/incidents"),
        "create": bridge.request("POST", "/api/v1/incidents", body={
            "customer": "acme", "device": "gw", "summary": "printer on fire"}),
        "alert": post(bridge, "/api/v1/intake/prom", webhook(alert("disk-1", "db-1"))),
    }
    assert answers == {
        "list": (503, {"error": "the store is unavailable; try again shortly"}),
        "create": (503, {"error": "the store is unavailable; try again shortly"}),
        "alert": (503, {"error": "the store is unavailable; send again"}),
    }
    assert refused_for_the_store(bridge) >= 1
    assert "Traceback" not in bridge.log()
    assert "503, the store is unavailable" in bridge.log()
    proxy.restore()
    wait_for("the store back", lambda: bridge.request("GET", "/api/v1/incidents")[0] == 200,
             timeout_s=60)
    status, taken = post(bridge, "/api/v1/intake/prom", webhook(alert("disk-1", "db-1")))
    assert status == 200, taken
    assert [a["action"] for a in taken["alerts"]] == ["opened"]


def test_a_portal_page_that_needs_the_store_is_a_503_too(
        cut_off: tuple[Bridge, CuttableProxy]) -> None:
    """Signing in reads the store: with it gone, the person reads that it is unavailable
    and to try again (plain text, Retry-After), not a 500."""
    bridge, proxy = cut_off
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    with opener.open(bridge.url + "/portal/sign-in", timeout=10) as page:
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())
    assert found is not None
    proxy.cut()
    form = urllib.parse.urlencode({"name": "ann", "password": "a long password!",
                                   "csrf_token": found.group(1)}).encode()
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(bridge.url + "/portal/sign-in", data=form, timeout=10)
    assert answer.value.code == 503
    assert answer.value.headers["Retry-After"] == "5"
    assert answer.value.read().decode() == "503: the store is unavailable; try again shortly"
