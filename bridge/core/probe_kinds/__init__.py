"""probes/*.toml: one model per probe kind, told apart by `kind`.

Each kind rejects the other kinds' keys and checks its own values. A kind is its module
here, its package under bridge/probes/ and one line in bridge.probes.registry.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from bridge.core.probe_kinds.icmp import IcmpProbe
from bridge.core.probe_kinds.snmp import SnmpProbe

Probe = Annotated[IcmpProbe | SnmpProbe, Field(discriminator="kind")]
