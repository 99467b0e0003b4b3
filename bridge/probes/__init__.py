"""Probes: one module per kind, one registry (bridge.probes.registry) mapping kinds to code."""
