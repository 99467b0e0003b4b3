"""Windows packed as floats come back as the same tallies; keys travel only when they change."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import pytest

from bridge.availability.packed import PackedTallies, Packer, Unpacker
from bridge.availability.windows import WindowTallies
from bridge.core.availability import Tally

NOW = datetime(2026, 6, 19, 19, 0, tzinfo=UTC)


def window(web_down_s: float) -> dict[str, WindowTallies]:
    devices = {"web": Tally(3600.0, web_down_s, 0.25, 1e-9), "db": Tally(3600.0, 0.0, 0.0, 0.0)}
    checks = {("web", "ping"): Tally(3600.0, web_down_s / 3, 0.1, 0.0),
              ("web", "http"): Tally(1800.5, 7.0, 0.0, 2.0)}
    return {"1h": WindowTallies(NOW - timedelta(hours=1), NOW, devices, checks)}


def test_tallies_come_back_exactly_in_their_order() -> None:
    sent = window(12.3456789)
    # through a pipe, as the availability process sends them
    got = Unpacker().unpack(pickle.loads(pickle.dumps(Packer().pack(sent))))
    assert got.keys() == sent.keys()
    assert (got["1h"].start, got["1h"].end) == (sent["1h"].start, sent["1h"].end)
    assert list(got["1h"].devices.items()) == list(sent["1h"].devices.items())
    assert list(got["1h"].checks.items()) == list(sent["1h"].checks.items())
    assert got["1h"].devices["web"] == Tally(3600.0, 12.3456789, 0.25, 1e-9)  # exact
    with pytest.raises(KeyError):
        got["1h"].devices["gone"]


def test_keys_are_sent_once_while_they_stay_the_same() -> None:
    packer, unpacker = Packer(), Unpacker()
    first = packer.pack(window(1.0))
    second = packer.pack(window(2.0))
    assert first[0].devices == ("web", "db")
    assert second[0].devices is None  # the same devices: only the numbers travel
    assert second[0].checks is None
    unpacker.unpack(first)
    got = unpacker.unpack(second)
    assert got["1h"].devices["web"].down_s == 2.0
    assert list(got["1h"].checks) == [("web", "ping"), ("web", "http")]
    # a device more: the keys travel again
    grown = window(3.0)
    devices = dict(grown["1h"].devices)
    devices["new"] = Tally(60.0, 0.0, 0.0, 0.0)
    third = packer.pack({"1h": WindowTallies(NOW, NOW, devices, grown["1h"].checks)})
    assert third[0].devices == ("web", "db", "new")
    assert unpacker.unpack(third)["1h"].devices["new"].counted_s == 60.0


def test_numbers_without_their_keys_are_refused() -> None:
    packer = Packer()
    packer.pack(window(1.0))
    resent = packer.pack(window(1.0))  # keys left out: a fresh receiver cannot read them
    with pytest.raises(ValueError, match="sent without keys"):
        Unpacker().unpack(resent)


def test_windows_with_the_same_keys_hold_them_once_on_both_sides() -> None:
    one = window(1.0)["1h"]
    sent = {"1h": one, "1d": WindowTallies(NOW - timedelta(days=1), NOW, dict(one.devices),
                                             dict(one.checks))}
    packed = Packer().pack(sent)
    got = Unpacker().unpack(pickle.loads(pickle.dumps(packed)))
    assert list(got["1d"].devices.items()) == list(sent["1d"].devices.items())
    held = [w.devices for w in got.values()] + [w.checks for w in got.values()]
    assert all(isinstance(tallies, PackedTallies) for tallies in held)
    assert got["1h"].devices.index is got["1d"].devices.index  # type: ignore[attr-defined]
    assert got["1h"].checks.index is got["1d"].checks.index  # type: ignore[attr-defined]
