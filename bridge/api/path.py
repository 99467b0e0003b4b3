"""Path parameters, declared once: handlers read them through the declaration and the
OpenAPI description shows its schema, so a value outside the schema is a 4xx before it
reaches the store (where a row id past PostgreSQL's integer, or NUL, is an error)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bridge.api.query import INVENTORY_ID_SCHEMA, Param, is_decimal, read_inventory_id
from bridge.core.periods import MONTH_PATTERN

ROW_ID_MAX = 2**31 - 1  # PostgreSQL's integer (SQLite's is wider): every row id fits
# INC-2026-000042: an id_prefix (2-8 capitals), the year, the number of the year.
TICKET_REF_PATTERN = r"^[A-Z]{2,8}-[0-9]{4}-[0-9]{6,10}$"


def _row_id(raw: str) -> int:
    if not is_decimal(raw) or not 1 <= int(raw) <= ROW_ID_MAX:
        raise ValueError(f"must be an integer from 1 to {ROW_ID_MAX}")
    return int(raw)


def _matching(pattern: str, what: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def read(raw: str) -> str:
        if compiled.fullmatch(raw) is None:
            raise ValueError(f"must be {what}")
        return raw
    return read


_ROW_ID = {"type": "integer", "minimum": 1, "maximum": ROW_ID_MAX}

WINDOW_ID = Param("id", "The number of a maintenance window added through the API.",
                  _ROW_ID, _row_id, 0)
OUTBOX_ID = Param("id", "The number of a message in the outbox.", _ROW_ID, _row_id, 0)
RECORD_ID = Param("record", "The number of the ticket's supplier, on-site or loaner record.",
                  _ROW_ID, _row_id, 0)
TICKET_REF = Param("id", "The ticket ID, e.g. INC-2026-000042.",
                   {"type": "string", "pattern": TICKET_REF_PATTERN},
                   _matching(TICKET_REF_PATTERN, "a ticket ID such as INC-2026-000042"), "")
DEVICE = Param("device", "The device's id in the inventory.", INVENTORY_ID_SCHEMA,
               read_inventory_id, "")
CUSTOMER = Param("customer", "The customer's id in the inventory.", INVENTORY_ID_SCHEMA,
                 read_inventory_id, "")
MONTH = Param("month", "A calendar month, YYYY-MM, in the customer's time zone.",
              {"type": "string", "pattern": MONTH_PATTERN},
              _matching(MONTH_PATTERN, "a month as YYYY-MM"), "")


def declared(path: str, name: str) -> Param[Any]:
    """The declaration of a path parameter of a route."""
    if name == "id":
        if path.startswith("/api/v1/maintenance/"):
            return WINDOW_ID
        return OUTBOX_ID if path.startswith("/api/v1/outbox/") else TICKET_REF
    found = {p.name: p for p in (RECORD_ID, CUSTOMER, DEVICE, MONTH)}.get(name)
    if found is None:  # a programming error: a new route's parameter needs a declaration
        raise LookupError(f"path parameter {name!r} of {path} is not declared in api/path.py")
    return found


def accepts_value(param: Param[Any], raw: str) -> bool:
    """Whether `raw` is a value of the declared parameter."""
    try:
        param.read(raw)
    except ValueError:
        return False
    return True
