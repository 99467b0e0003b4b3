"""Rolling windows as plain data: what the availability process hands the daemon.

Unpickling 100,000 `Tally` objects is one C call that holds the GIL for tens of
milliseconds, long enough to stall the event loop by itself. So each window's tallies
travel as one array of floats (four per tally, in `Tally`'s field order, exact) plus
their keys, and the keys only when they differ from the last ones sent (a config's
devices and checks stay the same from one refresh to the next). The daemon reads them
through a Mapping that builds a `Tally` when one is read. The availability process keeps
its windows that way too (sliding.py): a `Tally` object in a dict is ~150 bytes, four floats
in an array 32, and a window of 50,000 devices holds 110,000 tallies.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from bridge.availability.windows import WindowTallies
from bridge.core.availability import Tally

K = TypeVar("K", bound=Hashable)
_FIELDS = 4  # counted_s, down_s, parent_s, maintenance_s
Keys = tuple[Hashable, ...]


@dataclass(frozen=True)
class PackedWindow:
    """One window: its bounds, and its device and check tallies as floats; a key tuple is
    None when it is the one sent last time (for that slot)."""

    label: str
    start: datetime
    end: datetime
    devices: Keys | None
    device_values: array[float]
    checks: Keys | None
    check_values: array[float]


class PackedTallies(Mapping[K, Tally], Generic[K]):
    """Tallies by key, read out of an array of floats: four a key, in `order` (`index`
    gives a key's position there)."""

    def __init__(self, keys: Sequence[K], index: Mapping[K, int], values: array[float]) -> None:
        self._keys, self._index, self._values = keys, index, values

    @property
    def order(self) -> Sequence[K]:
        """The keys, in the order of their floats."""
        return self._keys

    @property
    def index(self) -> Mapping[K, int]:
        """Each key's position in `order`."""
        return self._index

    @property
    def floats(self) -> array[float]:
        """The tallies' fields, four a key (counted_s, down_s, parent_s, maintenance_s)."""
        return self._values

    def __getitem__(self, key: K) -> Tally:
        at = self._index[key] * _FIELDS
        values = self._values
        return Tally(values[at], values[at + 1], values[at + 2], values[at + 3])

    def __iter__(self) -> Iterator[K]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def _floats(tallies: Mapping[K, Tally]) -> array[float]:
    if isinstance(tallies, PackedTallies):
        return tallies.floats
    values = array("d")
    for tally in tallies.values():
        values.extend((tally.counted_s, tally.down_s, tally.parent_s, tally.maintenance_s))
    return values


def packed(tallies: Mapping[K, Tally], like: Mapping[K, Tally] | None = None,
           keys_held: Mapping[K, K] | None = None) -> PackedTallies[K]:
    """The tallies as floats of their own, in their order; with the keys (and index) of
    `like` when they are the same keys in the same order (the windows of one inventory
    share them), else the keys in `keys_held` (equal ones held elsewhere already)."""
    floats = array("d", _floats(tallies))
    keys = tuple(tallies if keys_held is None else (keys_held.get(k, k) for k in tallies))
    if isinstance(like, PackedTallies) and tuple(like.order) == keys:
        return PackedTallies(like.order, like.index, floats)
    return PackedTallies(keys, {key: i for i, key in enumerate(keys)}, floats)


class Packer:
    """The sending side: remembers the keys it last sent, per slot."""

    def __init__(self) -> None:
        self._sent: dict[tuple[str, str], Keys] = {}

    def _keys(self, slot: tuple[str, str], tallies: Mapping[K, Tally]) -> Keys | None:
        keys = tuple(tallies.order if isinstance(tallies, PackedTallies) else tallies)
        if self._sent.get(slot) == keys:
            return None
        self._sent[slot] = keys
        return keys

    def pack(self, windows: Mapping[str, WindowTallies]) -> list[PackedWindow]:
        """Every window as plain data."""
        return [PackedWindow(label, w.start, w.end, self._keys((label, "devices"), w.devices),
                             _floats(w.devices), self._keys((label, "checks"), w.checks),
                             _floats(w.checks))
                for label, w in windows.items()]


class Unpacker:
    """The receiving side: keeps the keys (and their index) last received, per slot."""

    def __init__(self) -> None:
        self._held: dict[tuple[str, str], tuple[Keys, dict[Hashable, int]]] = {}

    def _tallies(self, slot: tuple[str, str], keys: Keys | None,
                 values: array[float]) -> PackedTallies[Hashable]:
        if keys is not None:
            # the windows' keys are mostly the same: held (and indexed) once
            self._held[slot] = next((held for held in self._held.values() if held[0] == keys),
                                    (keys, {key: i for i, key in enumerate(keys)}))
        elif slot not in self._held:
            raise ValueError(f"availability window {slot[0]}: {slot[1]} sent without keys, "
                             "and none received before")
        held, index = self._held[slot]
        if len(held) * _FIELDS != len(values):
            raise ValueError(f"availability window {slot[0]}: {len(values)} values for "
                             f"{len(held)} {slot[1]}")
        return PackedTallies(held, index, values)

    def unpack(self, packed: Sequence[PackedWindow]) -> dict[str, WindowTallies]:
        """Every window, its tallies read when asked for."""
        return {p.label: WindowTallies(
                    p.start, p.end,
                    self._tallies((p.label, "devices"), p.devices,  # type: ignore[arg-type]
                                  p.device_values),
                    self._tallies((p.label, "checks"), p.checks,  # type: ignore[arg-type]
                                  p.check_values))
                for p in packed}
