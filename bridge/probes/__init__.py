"""Probes: one module per kind, one registry mapping kinds to their code."""

from bridge.probes.registry import Probers, Target, run_probe

__all__ = ["Probers", "Target", "run_probe"]
