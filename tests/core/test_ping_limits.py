"""check_ping's verdict from loss and average RTT: a table, as `-w 100.0,20% -c 500.0,60%`."""

from __future__ import annotations

import pytest

from bridge.core.ping_limits import PingVerdict, Severity, judge_ping
from bridge.core.probe_kinds.icmp import PingLimits

CRIT, WARNING, OK = Severity.CRITICAL, Severity.WARNING, Severity.OK
W = PingLimits(rtt_ms=100, loss_pct=20)
C = PingLimits(rtt_ms=500, loss_pct=60)

CASES = [
    # (loss %, rtt avg ms, warning, critical) -> severity, limits reached
    ((0, 0.05, None, None), OK, ()),
    ((50, 900.0, None, None), OK, ()),  # no limits: any reply is up, as before
    ((0, 99.9, W, C), OK, ()),
    ((0, 100.0, W, C), WARNING, ("rtt >= 100 ms",)),  # at the limit is past it (>=)
    ((20, 1.0, W, C), WARNING, ("loss >= 20%",)),  # 1 of 5 lost
    ((100 / 3, 150.0, W, C), WARNING, ("loss >= 20%", "rtt >= 100 ms")),
    ((200 / 3, 1.0, W, C), CRIT, ("loss >= 60%",)),
    ((0, 500.0, W, C), CRIT, ("rtt >= 500 ms",)),
    ((100 / 3, 512.3, W, C), CRIT, ("rtt >= 500 ms",)),  # critical wins; warning not listed
    ((200 / 3, 512.3, W, C), CRIT, ("loss >= 60%", "rtt >= 500 ms")),
    ((100, None, W, C), CRIT, ("no reply",)),
    ((100, None, None, None), CRIT, ("no reply",)),
    # one limit of a pair, or one level only
    ((40, 1.0, PingLimits(rtt_ms=100), C), OK, ()),
    ((40, 1.0, PingLimits(loss_pct=40), None), WARNING, ("loss >= 40%",)),
    ((0, 300.0, None, PingLimits(rtt_ms=200)), CRIT, ("rtt >= 200 ms",)),
    ((0, 150.0, None, PingLimits(rtt_ms=200)), OK, ()),
]


@pytest.mark.parametrize(("given", "severity", "crossed"), CASES)
def test_verdict(given: tuple[float, float | None, PingLimits | None, PingLimits | None],
                 severity: Severity, crossed: tuple[str, ...]) -> None:
    assert judge_ping(*given) == PingVerdict(severity, crossed)


def test_headline_reads_like_check_ping() -> None:
    verdict = judge_ping(200 / 3, 512.34, W, C)
    assert verdict.headline(200 / 3, 512.34) == (
        "PING CRITICAL - loss 67%, rtt avg 512.3 ms (loss >= 60%, rtt >= 500 ms)")
    warned = judge_ping(100 / 3, 150.0, W, C)
    assert warned.headline(100 / 3, 150.0) == (
        "PING WARNING - loss 33%, rtt avg 150.0 ms (loss >= 20%, rtt >= 100 ms)")
