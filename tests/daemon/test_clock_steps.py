"""Steps of the wall clock under a running daemon (libfaketime), and a daemon that stops
checking: probing goes on across steps both ways, a step of +3 d with an open ticket sends
no storm of breaches, ETA notices and escalations, and /readyz says when no check finished.

The daemon runs with libfaketime preloaded (tests/kits/faketime.py), its monotonic clock
real, as it is when an operator or NTP steps the system clock.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from bridge.store import Database
from bridge.store.models import OutboxMessage
from tests.kits.daemon import Bridge, free_port, metric, wait_for, write_deployment
from tests.kits.faketime import faketime_env, step
from tests.kits.notify_peers import MailSink

ACME = "acme-secret-token"


def checks_done(bridge: Bridge) -> float:
    """How many checks have finished so far."""
    text = str(bridge.get("/metrics", token=None))
    return metric(text, "bridge_probe_duration_seconds_count", kind="icmp") or 0.0


def jumps(bridge: Bridge) -> float | None:
    """Steps of the wall clock the daemon saw."""
    return metric(str(bridge.get("/metrics", token=None)), "bridge_clock_jumps_total")


def series(text: str, name: str) -> list[float]:
    """The values of every series of `name` in an exposition."""
    return [float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line.startswith(name + "{")]


def keeps_checking(bridge: Bridge, what: str) -> None:
    """Several more checks finish, the device still answers them in a loopback's time (the
    round trip is not the step), and the daemon stays ready."""
    done = checks_done(bridge)
    wait_for(f"checks to keep finishing {what}", lambda: checks_done(bridge) >= done + 5)
    text = str(bridge.get("/metrics", token=None))
    assert series(text, "bridge_probe_success") == [1.0], what
    [rtt_s] = series(text, "bridge_probe_rtt_seconds")
    assert 0 < rtt_s < 0.5, (what, rtt_s)
    assert bridge.request("GET", "/readyz", token=None)[0] == 200


def test_checks_keep_finishing_when_the_wall_clock_steps_back_or_forth(tmp_path: Path) -> None:
    offset = tmp_path / "faketime"
    bridge = Bridge(write_deployment(tmp_path, {"gw": "127.0.0.2"}), env=faketime_env(offset))
    try:
        keeps_checking(bridge, "at the start")
        step(offset, "-2h")
        keeps_checking(bridge, "after a step of -2 h")
        assert jumps(bridge) == 1
        step(offset, "+3d")
        keeps_checking(bridge, "after a step of +3 d")
        step(offset, "+0")
        keeps_checking(bridge, "after +3 d and back to +0")
        assert jumps(bridge) == 3
        assert bridge.log().count("the system clock stepped by") == 3  # each logged once
        assert "the system clock stepped by -7200 s" in bridge.log()
    finally:
        assert bridge.stop() == 0


def outbox_kinds(db_path: Path) -> Counter[str]:
    db = Database(f"sqlite:///{db_path}")
    try:
        with Session(db.reader) as session:
            return Counter(session.exec(select(OutboxMessage.kind)).all())
    finally:
        db.dispose()


@pytest.fixture
def mail() -> Iterator[tuple[MailSink, int]]:
    """A real SMTP server on loopback, in its own thread."""
    sink, port = MailSink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def test_a_forward_step_sends_no_storm_for_an_open_ticket(
        tmp_path: Path, mail: tuple[MailSink, int]) -> None:
    """acme's P2 contract as shipped (reaction 30 min, resolution and ETA 8 h, warnings at
    75 and 90 %); tiers 1 at opening, 2 after 15 s, 3 after an hour, 4 after two."""
    offset = tmp_path / "faketime"
    config = write_deployment(tmp_path, {"gw": "127.0.0.2"}, customer_token=True)
    sink, port = mail
    with config.open("a") as f:
        f.write(f'\n[notifications]\nbackoff_initial_s = 0.5\ngroup_window_s = 0\n'
                f'[notifications.smtp]\nhost = "127.0.0.1"\nport = {port}\n'
                f'sender = "bridge@msp.example.com"\n')
    with (tmp_path / "config" / "inventory.toml").open("a") as f:
        f.write('\n[customers.acme.contract]\nnotify = ["mailto:it@acme.example.com"]\n'
                'escalation = "chain"\n\n[customers.acme.contract.tiers]\n'
                'tier1 = ["mailto:duty@msp.example.com"]\n'
                'tier2 = ["mailto:specialist@msp.example.com"]\n'
                'tier3 = ["mailto:seniors@msp.example.com"]\n'
                'tier4 = ["mailto:field@msp.example.com"]\n')
    (tmp_path / "rules" / "chains.toml").write_text(
        '[escalations.chain]\nsteps = [\n  { tier = 1, after_min = 0 },\n'
        '  { tier = 2, after_min = 0.25 },\n  { tier = 3, after_min = 60 },\n'
        '  { tier = 4, after_min = 120 },\n]\n')
    bridge = Bridge(config, env=faketime_env(offset))
    try:
        status, ticket = bridge.request("POST", "/api/v1/incidents", ACME,
                                        {"summary": "the VPN is down", "priority": "P2"})
        assert status == 201
        ref = ticket["id"]
        step(offset, "+3d")
        # Step 2 falls due 15 s after opening: the desk clock has run since the step.
        shown = wait_for("step 2", lambda: (lambda t: t if t["escalation"][1]["fired_at"]
                                            else None)(bridge.get(f"/api/v1/incidents/{ref}")))
        assert shown["tier"] == 2
        assert shown["sla"] == []  # no warning, no breach
        fired = [s["step"] for s in shown["escalation"] if s["fired_at"]]
        assert fired == [0, 1]
        kinds = Counter(e["kind"] for e in shown["timeline"])
        assert kinds["escalation_step"] == 2
        assert not kinds["sla_warning"] + kinds["sla_breach"] + kinds["eta_will_be_exceeded"]
        written = outbox_kinds(tmp_path / "var" / "bridge.db")
        assert written == Counter({"opened": 1, "escalated": 2}), written
        # what reached the mail server: the customer, tier 1 and tier 2, once each
        wait_for("three mails", lambda: len(sink.messages) == 3)
        to = sorted(str(m["To"]) for m in sink.messages)
        assert to == ["duty@msp.example.com", "it@acme.example.com",
                      "specialist@msp.example.com"], to
        text = str(bridge.get("/metrics", token=None))
        assert metric(text, "bridge_clock_jumps_total") == 1
        skew_s = metric(text, "bridge_clock_skew_seconds")
        assert skew_s is not None
        assert skew_s > 3 * 86400 - 60
        # timestamps for Prometheus stay on the system clock, which its time() compares with
        refreshed_at_s = metric(text, "bridge_availability_refresh_timestamp_seconds")
        assert refreshed_at_s is not None
        assert abs(refreshed_at_s - (time.time() + 3 * 86400)) < 60
        assert "the system clock stepped by +259200 s" in bridge.log()
    finally:
        code = bridge.stop()
        assert code == 0, bridge.log()[-4000:]  # why it did not stop cleanly


SLOW_PING = """
[probes.ping]
kind = "icmp"
interval_s = 3
timeout_s = 0.5
count = 3
packet_interval_s = 1
"""


def test_readyz_and_metrics_say_when_no_check_finished(tmp_path: Path) -> None:
    """A daemon that was not scheduled for longer than the stall threshold (stopped, as a
    frozen VM or cgroup would be) says so when it runs again, until checks finish again.

    A check takes 2 s (three pings a second apart), so for 2 s after the daemon resumes no
    new check can have finished; one cut short by its deadline checked nothing."""
    bridge = Bridge(write_deployment(tmp_path, {"gw": "127.0.0.2"}, probes=SLOW_PING))
    threshold_s = 2 * 3 + (2 * 1 + 0.5 + 1)  # two intervals and the probe's deadline
    try:
        wait_for("a check", lambda: checks_done(bridge) >= 1)
        assert bridge.request("GET", "/readyz", token=None)[0] == 200

        bridge.signal(signal.SIGSTOP)
        time.sleep(threshold_s + 1)
        bridge.signal(signal.SIGCONT)
        status, body = bridge.request("GET", "/readyz", token=None)
        assert status == 503
        [problem] = [p for p in body["problems"] if p.startswith("no check finished in")]
        assert problem.endswith(f"(expected within {threshold_s:g} s)")
        text = str(bridge.get("/metrics", token=None))
        assert metric(text, "bridge_checks_stalled") == 1
        assert metric(text, "bridge_checks_stall_threshold_seconds") == threshold_s
        age_s = metric(text, "bridge_checks_last_finished_age_seconds")
        assert age_s is not None
        assert age_s > threshold_s

        wait_for("ready again", lambda: bridge.request("GET", "/readyz", token=None)[0] == 200)
        text = str(bridge.get("/metrics", token=None))
        assert metric(text, "bridge_checks_stalled") == 0
        assert "monitoring has stalled: no check finished in" in bridge.log()
    finally:
        assert bridge.stop() == 0
