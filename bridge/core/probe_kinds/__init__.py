"""probes/*.toml: one model per probe kind, told apart by `kind`.

Each kind rejects the other kinds' keys and checks its own values on its model. A kind is
its module here (a ProbeKind member, a member of the union below), its package under
bridge/probes/ and one line in bridge.probes.registry. config loads TOML into these types;
the probes read them and import nothing of config.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from bridge.core.probe_kinds.icmp import IcmpProbe
from bridge.core.probe_kinds.snmp import SnmpProbe

Probe = Annotated[IcmpProbe | SnmpProbe, Field(discriminator="kind")]
