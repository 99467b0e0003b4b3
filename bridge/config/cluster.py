"""[cluster]: how several instances on one PostgreSQL share the devices."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from bridge.core.strict import Strict


class ClusterSection(Strict):
    """Shards and their leases (PostgreSQL only; on SQLite one instance owns everything)."""

    # The same on every instance of one store: a device's shard is its name's hash modulo this.
    shards: Annotated[int, Field(ge=1, le=4096)] = 64
    # An owner renews its leases every third of this; one that could not renew for
    # lease_s - margin stops probing and writing them, before anyone else may take them.
    lease_s: Annotated[float, Field(ge=1, le=300)] = 10.0

    @property
    def renew_s(self) -> float:
        """How often leases are renewed (and shards rebalanced)."""
        return self.lease_s / 3

    @property
    def margin_s(self) -> float:
        """How long before its lease could expire an owner that could not renew stops."""
        return self.lease_s / 5
