"""Configuration: TOML files loaded into one immutable, validated Config."""

from bridge.config.errors import ConfigError, ConfigErrors
from bridge.config.load import load_config
from bridge.config.model import ApiToken, Config, Customer, Device, Rule
from bridge.core.probe_kinds import Probe

__all__ = [
    "ApiToken",
    "Config",
    "ConfigError",
    "ConfigErrors",
    "Customer",
    "Device",
    "Probe",
    "Rule",
    "load_config",
]
