"""ICMP checks against real peers: loopback, and dead or lossy hosts in a test namespace."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from bridge.core.probe_kinds.icmp import IcmpProbe
from bridge.core.results import ProbeResult
from bridge.probes.icmp.probe import IcmpProber
from bridge.probes.registry import Probers, run_probe, start_probe
from tests.kits.netns import Namespace

PROBE = IcmpProbe(kind="icmp", count=3, packet_interval_s=0.01, timeout_s=0.5,
                  interval_s=5)


async def check_all(addresses: list[str], probe: IcmpProbe = PROBE) -> list[ProbeResult]:
    probers = Probers()
    try:
        return list(await asyncio.gather(
            *(run_probe(probers, a, probe, datetime.now(UTC)) for a in addresses)))
    finally:
        probers.close()


async def start_all(addresses: list[str], probe: IcmpProbe = PROBE) -> list[ProbeResult]:
    """The daemon's scheduler's way: start_probe, the result handed to a callback."""
    probers = Probers()
    loop = asyncio.get_running_loop()
    answers: list[asyncio.Future[ProbeResult]] = [loop.create_future() for _ in addresses]
    try:
        for address, answer in zip(addresses, answers, strict=True):
            start_probe(probers, address, probe, datetime.now(UTC), answer.set_result)
        return list(await asyncio.gather(*answers))
    finally:
        probers.close()


BOTH_WAYS = pytest.mark.parametrize("check", [check_all, start_all])


@BOTH_WAYS
@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.9", "::1", "localhost"])
async def test_loopback_answers_every_packet(check: Any, address: str) -> None:
    [result] = await check([address])
    assert result.ok, result.output
    measured = result.measurements
    assert set(measured) == {"rtt_avg_s", "rtt_min_s", "rtt_max_s", "jitter_s", "loss_ratio"}
    assert measured["loss_ratio"] == 0.0
    assert 0 < measured["rtt_min_s"] <= measured["rtt_avg_s"] <= measured["rtt_max_s"]
    # jitter: the mean step between consecutive round trips, at most the spread
    assert 0 <= measured["jitter_s"] <= measured["rtt_max_s"] - measured["rtt_min_s"]
    assert result.output.startswith("3/3 replies")
    assert f"jitter {measured['jitter_s'] * 1e3:.3f} ms" in result.output


@BOTH_WAYS
async def test_thousands_of_concurrent_checks_lose_no_reply(check: Any) -> None:
    """One socket for all: no check's replies are dropped because of another's."""
    targets = [f"127.0.{1 + i // 250}.{1 + i % 250}" for i in range(2000)]
    # A check ends at its last reply, so a long timeout costs nothing when none is lost;
    # it keeps the check's hard deadline (timeout + 1 s) clear of a pause of the test
    # process (a full collection late in the suite), which would end the check as
    # "overloaded" with no loss figure at all.
    results = await check(targets, PROBE.model_copy(update={"timeout_s": 3.0}))
    assert [r.output for r in results if r.measurements.get("loss_ratio") != 0.0] == []


CHECK_IN_NAMESPACE = """
import asyncio, json, sys
from datetime import UTC, datetime
from bridge.core.probe_kinds.icmp import IcmpProbe
from bridge.probes.registry import Probers, run_probe, start_probe
probe = IcmpProbe(kind="icmp", count={count}, packet_interval_s=0.01, timeout_s=0.3, interval_s=5)
async def run(probers, address):
    return await run_probe(probers, address, probe, datetime.now(UTC))
async def started(probers, address):
    answer = asyncio.get_running_loop().create_future()
    start_probe(probers, address, probe, datetime.now(UTC), answer.set_result)
    return await answer
async def main():
    probers = Probers()
    out = []
    for address in {addresses!r}:
        r = await {via}(probers, address)
        loss = r.measurements.get("loss_ratio")
        out.append({{"ok": r.ok, "loss": loss, "output": r.output, "local": r.local}})
    probers.close()
    print(json.dumps({{"mode": probers.icmp.describe_mode(), "results": out}}))
asyncio.run(main())
"""


def check_in(ns: Namespace, addresses: list[str], count: int = 3,
             via: str = "run") -> dict[str, Any]:
    done = ns.python(CHECK_IN_NAMESPACE.format(addresses=addresses, count=count, via=via))
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


VIAS = pytest.mark.parametrize("via", ["run", "started"])


@VIAS
def test_dropped_and_unresolvable_hosts_fail_cleanly(netns: Namespace, via: str) -> None:
    netns.drop_icmp_to("127.0.0.3")
    out = check_in(netns, ["127.0.0.2", "127.0.0.3", "no-such-host.invalid"], via=via)
    ok, dropped, unresolvable = out["results"]
    assert ok["ok"] is True
    assert dropped == {"ok": False, "loss": 1.0, "output": "no reply to 3 echo requests",
                       "local": False}
    assert unresolvable["ok"] is False
    assert unresolvable["output"].startswith("cannot resolve 'no-such-host.invalid'")
    # the namespace has no route to any resolver: that is the monitoring host's problem
    assert unresolvable["local"] is True


@VIAS
def test_a_local_firewall_is_the_monitoring_hosts_failure_not_the_devices(
    netns: Namespace, via: str
) -> None:
    netns.refuse_sending()
    [refused] = check_in(netns, ["127.0.0.2"], via=via)["results"]
    assert refused == {"ok": False, "loss": 1.0, "local": True,
                       "output": "no reply to 3 echo requests: Operation not permitted"}


def test_unprivileged_datagram_mode(netns: Namespace) -> None:
    """With ping_group_range open the kernel rewrites identifiers; replies still match."""
    netns.run("sysctl", "-q", "-w", "net.ipv4.ping_group_range=0 2147483647")
    out = check_in(netns, ["127.0.0.2", "::1"])
    assert out["mode"] == "unprivileged ICMP (datagram sockets via net.ipv4.ping_group_range)"
    assert [r["loss"] for r in out["results"]] == [0.0, 0.0]


def test_lossy_link_reports_partial_loss(netns: Namespace) -> None:
    netns.lose_icmp_to("127.0.0.2", one_in=2)
    [result] = check_in(netns, ["127.0.0.2"], count=40)["results"]
    # half the requests are dropped; 0 % or 100 % loss of 40 has odds of 2e-12
    assert result["ok"] is True
    assert 0.0 < result["loss"] < 1.0


class _Stuck(IcmpProber):
    """An ICMP check that never returns, as when the loop is too busy to run it."""

    async def check(self, address: str, probe: IcmpProbe, started: datetime) -> ProbeResult:
        await asyncio.Event().wait()
        raise AssertionError("never set")


async def test_a_probe_past_its_deadline_fails_on_the_monitoring_host_not_the_device() -> None:
    """So an overloaded bridge counts no attempt against its devices (and retries nothing)."""
    probers = Probers(icmp=_Stuck(privileged=False))
    try:
        result = await run_probe(probers, "127.0.0.1", IcmpProbe(
            kind="icmp", count=1, timeout_s=0.05, interval_s=5), datetime.now(UTC))
    finally:
        probers.close()
    assert (result.ok, result.local) == (False, True)
    assert result.output == "probe did not finish within 1.05 s (the bridge is overloaded)"



async def test_a_started_check_that_ends_past_its_deadline_fails_on_the_monitoring_host() -> None:
    """Without a task there is nothing to cancel: a check the loop could not run in time is
    judged when it ends, with the same verdict as run_probe's."""
    probers = Probers()
    answer: asyncio.Future[ProbeResult] = asyncio.get_running_loop().create_future()
    try:
        start_probe(probers, "127.0.0.1", IcmpProbe(kind="icmp", count=1, timeout_s=0.05,
                                                   interval_s=5),
                    datetime.now(UTC), answer.set_result)
        time.sleep(1.1)  # noqa: ASYNC251 - the loop busy past the deadline (1.05 s)
        result = await asyncio.wait_for(answer, 5)
    finally:
        probers.close()
    assert (result.ok, result.local) == (False, True)
    assert result.output == "probe did not finish within 1.05 s (the bridge is overloaded)"
