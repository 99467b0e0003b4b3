"""Counter rates and reboot detection: the pure math, as a table."""

from __future__ import annotations

import pytest

from bridge.core.counters import Rate, RateKind, Sample, agent_restarted, counter_rate

W32 = 2**32
W64 = 2**64

# (what, previous sample, current sample, bits, expected rate)
RATES: list[tuple[str, Sample | None, Sample, int, Rate]] = [
    ("first poll has no rate", None, Sample(100, 1000, 0.0), 32, Rate(None, RateKind.FIRST)),
    ("steady increase over the agent's 60 s",
     Sample(1000, 100_000, 0.0), Sample(7000, 106_000, 61.3), 32, Rate(100.0, RateKind.NORMAL)),
    ("unchanged counter is a zero rate",
     Sample(5, 100, 0.0), Sample(5, 1100, 10.0), 64, Rate(0.0, RateKind.NORMAL)),
    ("32-bit wrap: 296 to the top, 704 after it",
     Sample(W32 - 296, 100_000, 0.0), Sample(704, 106_000, 60.0), 32,
     Rate(1000 / 60, RateKind.WRAPPED)),
    ("32-bit wrap landing on zero",
     Sample(W32 - 1, 0, 0.0), Sample(0, 100, 1.0), 32, Rate(1.0, RateKind.WRAPPED)),
    ("a 64-bit counter that drops from far below 2^64 was cleared, not wrapped",
     Sample(10**12, 100_000, 0.0), Sample(5, 106_000, 60.0), 64, Rate(None, RateKind.RESET)),
    ("a 64-bit counter just below 2^64 wraps like any other",
     Sample(W64 - 10, 100_000, 0.0), Sample(5, 106_000, 60.0), 64,
     Rate(15 / 60, RateKind.WRAPPED)),
    ("a drop after sysUpTime went back is a reboot's reset, not a wrap",
     Sample(3_000_000_000, 9_000_000, 0.0), Sample(1200, 500, 60.0), 32,
     Rate(None, RateKind.RESET)),
    ("a rise after a reboot is a reset too (the delta spans two boots)",
     Sample(100, 9_000_000, 0.0), Sample(5000, 500, 60.0), 64, Rate(None, RateKind.RESET)),
    ("without sysUpTime our own clock times the rate",
     Sample(0, None, 10.0), Sample(500, None, 15.0), 64, Rate(100.0, RateKind.NORMAL)),
    ("an agent whose sysUpTime stands still: our clock",
     Sample(0, 777, 10.0), Sample(50, 777, 20.0), 32, Rate(5.0, RateKind.NORMAL)),
    ("no time passed at all", Sample(1, None, 5.0), Sample(2, None, 5.0), 32,
     Rate(None, RateKind.NO_TIME)),
    ("sysUpTime's own 497-day wrap is not a reboot",
     Sample(10, W32 - 1000, 0.0), Sample(20, 500, 15.0), 32, Rate(10 / 15, RateKind.NORMAL)),
]


@pytest.mark.parametrize(("what", "prev", "cur", "bits", "expected"), RATES,
                         ids=[row[0] for row in RATES])
def test_counter_rate(what: str, prev: Sample | None, cur: Sample, bits: int,
                      expected: Rate) -> None:
    rate = counter_rate(prev, cur, bits)
    assert rate.kind == expected.kind
    if expected.per_s is None:
        assert rate.per_s is None
    else:
        assert rate.per_s == pytest.approx(expected.per_s)


# (what, previous sysUpTime ticks, current ticks, seconds between polls, restarted?)
RESTARTS: list[tuple[str, int | None, int | None, float, bool]] = [
    ("first poll", None, 100, 0.0, False),
    ("uptime grows", 100, 6100, 60.0, False),
    ("uptime goes back", 9_000_000, 1500, 60.0, True),
    ("uptime goes back by one tick", 6000, 5999, 60.0, True),
    ("uptime wraps at 2^32 ticks after 497 days", W32 - 3000, 3000, 60.0, False),
    ("a restart just before the 497-day mark", W32 - 3000, 100, 600.0, True),
    ("agent without sysUpTime", 100, None, 60.0, False),
]


@pytest.mark.parametrize(("what", "prev", "cur", "elapsed_s", "restarted"), RESTARTS,
                         ids=[row[0] for row in RESTARTS])
def test_agent_restarted(what: str, prev: int | None, cur: int | None, elapsed_s: float,
                         restarted: bool) -> None:
    assert agent_restarted(prev, cur, elapsed_s) is restarted
