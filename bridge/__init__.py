"""bridge: monitoring-to-incident bridge daemon."""

__version__ = "0.1.0"
