"""The registry has code for exactly the kinds a config may name, and every kind's code
keeps the Probe protocol."""

from __future__ import annotations

from typing import get_args

from bridge.core.probe_kinds import probe_models
from bridge.core.probe_kinds.base import ProbeKind
from bridge.probes.protocol import Prober
from bridge.probes.registry import KINDS, Probers


def test_the_registry_runs_exactly_the_kinds_the_config_accepts() -> None:
    configured = {get_args(model.model_fields["kind"].annotation)[0] for model in probe_models()}
    assert set(KINDS) == configured == set(ProbeKind)


def test_every_kind_builds_a_prober_that_runs_checks_forgets_and_closes() -> None:
    probers = Probers()
    try:
        for kind in KINDS:
            prober: Prober[object] = probers.of(kind)
            for method in ("run", "forget_except", "close"):
                assert callable(getattr(prober, method)), (kind, method)
        probers.forget_except(set())
    finally:
        probers.close()


def test_every_measure_a_kind_exports_has_its_own_gauge() -> None:
    """Two kinds exporting one gauge name would mix their series; a name without help
    would leave /metrics unexplained."""
    exported = [m for model in probe_models() for m in model.MEASURES if m.metric]
    assert len({m.metric for m in exported}) == len(exported)
    assert all(m.metric and m.metric.startswith("bridge_probe_") and m.help for m in exported)
    names = [m.name for model in probe_models() for m in model.MEASURES]
    assert len(set(names)) == len(names)
