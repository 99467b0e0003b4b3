"""probes/*.toml: one model per probe kind, told apart by `kind`.

Each kind rejects the other kinds' keys and checks its own values on its model. A kind is
its module here (a ProbeKind member, a member of the union below), its package under
bridge/probes/ and one line in bridge.probes.registry. config loads TOML into these types;
the probes read them and import nothing of config.
"""

from __future__ import annotations

from typing import Annotated, get_args

from pydantic import Field

from bridge.core.probe_kinds.base import ProbeBase
from bridge.core.probe_kinds.icmp import IcmpProbe
from bridge.core.probe_kinds.snmp import SnmpProbe
from bridge.core.probe_kinds.tcp import TcpProbe

# Every kind's model: the kinds a config may name (tests check bridge.probes has code for each).
Probe = Annotated[IcmpProbe | SnmpProbe | TcpProbe, Field(discriminator="kind")]


def probe_models() -> tuple[type[ProbeBase], ...]:
    """The model of every kind in `Probe`, in its order."""
    models: tuple[type[ProbeBase], ...] = get_args(get_args(Probe)[0])
    return models

