"""Probes: one module per kind, one registry mapping kinds to their code."""

from bridge.probes.registry import Probers, run_probe

__all__ = ["Probers", "run_probe"]
