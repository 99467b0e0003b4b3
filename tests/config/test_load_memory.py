"""Loading a config takes little memory, and the loaded config holds each device in little:
50,000 devices are held by every daemon and sent to its availability process."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

import bridge.config.files
import bridge.config.source
import bridge.config.toml_lines
from bridge.config import ConfigErrors
from tests.kits.engine import build_config, device

DEVICES = 1000


def _held_bytes(roots: Iterable[object]) -> int:
    """Bytes of every object reachable from `roots` (each counted once), down through
    containers and instance attributes; classes, enum members and small shared constants
    are left out, as they exist once whatever the number of devices."""
    seen: set[int] = set()
    todo = list(roots)
    total = 0
    while todo:
        item = todo.pop()
        if id(item) in seen or isinstance(item, type) or item is None or isinstance(item, bool):
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if isinstance(item, (tuple, list, set, frozenset)):
            todo.extend(item)
        elif isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        for name in getattr(type(item), "__slots__", ()):
            todo.append(getattr(item, name, None))
        if hasattr(item, "__dict__") and not isinstance(item, (str, int, float)):
            todo.append(vars(item))
    return total


def test_a_loaded_device_holds_little_beyond_its_address(tmp_path: Path) -> None:
    config = build_config(tmp_path, "".join(
        device(f"d{i:04d}", address=f"10.0.{i // 250}.{1 + i % 250}", tags=["edge"])
        for i in range(DEVICES)))
    devices = list(config.devices.values())
    assert devices[7].address == "10.0.0.8"
    assert devices[7].tags == ("edge",)
    # customer, probes and tags are one object for every device that has them
    assert len({id(d.customer) for d in devices}) == 1
    assert len({id(d.probes) for d in devices}) == 1
    assert len({id(d.tags) for d in devices}) == 1
    # a validated table (pydantic: a dict of fields and a set of those given) held ~0.7 KB
    assert _held_bytes(devices) / DEVICES < 250


def test_a_valid_config_is_loaded_without_finding_its_keys_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The line of each key is for messages: a file of 50,000 devices indexed them in
    ~50 MiB. An error still names its line."""
    indexed: list[int] = []

    def counted(text: str) -> Any:
        indexed.append(len(text))
        return real(text)

    real = bridge.config.toml_lines.key_lines
    monkeypatch.setattr(bridge.config.source, "key_lines", counted, raising=False)
    monkeypatch.setattr(bridge.config.files, "key_lines", counted, raising=False)
    config = build_config(tmp_path, device("a") + device("b", parents=["a"]))
    assert list(config.devices) == ["a", "b"]
    assert indexed == []
    with pytest.raises(ConfigErrors) as raised:
        build_config(tmp_path, device("a") + device("b", parents=["c"]))
    assert [(e.line, e.key) for e in raised.value.errors] == [(14, "devices.b.parents[0]")]
