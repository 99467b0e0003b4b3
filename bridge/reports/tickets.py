"""The tickets section of a monthly report: reaction and resolution times against targets.

The seam for the SLA work (tickets under contract): the report calls `ticket_section` and
prints whatever rows it returns; until SLA clocks are recorded it has none.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from bridge.config.model import Config


def ticket_section(connection: Connection, config: Config, customer: str, start: datetime,
                   end: datetime) -> list[dict[str, Any]]:
    """The customer's tickets of [start, end) with their SLA figures; none yet."""
    del connection, config, customer, start, end
    return []
