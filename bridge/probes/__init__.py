"""Probes: one module per kind, one registry mapping kinds to their code."""

from bridge.probes.registry import PROBES, run_probe

__all__ = ["PROBES", "run_probe"]
