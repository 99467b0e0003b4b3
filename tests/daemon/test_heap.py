"""What each check's result leaves for the garbage collector: nothing it has to walk again.

Each result replaces its check's state, which then lives one interval; kept in the
collector's lists, tens of thousands of them were walked in every young collection, then
in every older one (pauses of the event loop of 50-670 ms at 50,000 + 10,000 checks)."""

from __future__ import annotations

import gc
from datetime import timedelta
from pathlib import Path

from bridge.core.engine import RuleEngine
from bridge.core.results import ProbeResult
from bridge.core.state import CheckKey
from bridge.daemon.monitor import Monitor
from tests.kits import engine as engine_kit
from tests.kits.engine import T0


def test_a_checks_state_result_and_flap_history_are_not_walked_by_collections(
        tmp_path: Path) -> None:
    config = engine_kit.build_config(tmp_path, engine_kit.device("sw-1"))
    monitor = Monitor(RuleEngine(config), lambda decisions: None, lambda keys: None)
    key = CheckKey("sw-1", "ping")
    for n, ok in enumerate((True, False, False, True)):
        result = ProbeResult.measured(ok, T0 + timedelta(seconds=30 * n), "ok" if ok else
                                      "timeout", {"rtt_ms": 0.3} if ok else {}, warning=False)
        monitor.record(key, result)
        state = monitor.engine.states[key]
        assert not gc.is_tracked(state)
        assert not gc.is_tracked(state.last)
        flaps = monitor.engine.flap_state(key)
        assert flaps is not None
        assert not gc.is_tracked(flaps)
        assert not gc.is_tracked(flaps.results)  # a new window of results, each time
        assert state.last is not None
        assert state.last.ok is ok
    gc.collect()  # and a collection still finds nothing amiss with them
    assert monitor.engine.states[key].last == result

