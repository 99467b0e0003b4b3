"""Maintainers' scripts that regenerate data bridge ships (not installed with bridge)."""
