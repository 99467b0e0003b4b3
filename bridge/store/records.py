"""A ticket's records: supplier escalations, on-site dispatches and loaner devices."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from bridge.core.lifecycle import Effect
from bridge.core.timeline_texts import (
    LOANER_LENT,
    LOANER_RETURNED,
    ONSITE_ARRIVED,
    ONSITE_DISPATCHED,
    SUPPLIER_DONE,
)
from bridge.core.wall_clock import local_text
from bridge.store.models import Loaner, OnsiteDispatch, SupplierEscalation


class Refused(Exception):
    """An action that changes nothing: the transaction rolls back, the API answers 4xx."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


Record = SupplierEscalation | OnsiteDispatch | Loaner
# Each record effect's kind (as a ticket's `records` name it) and table.
_TABLES: dict[Effect, tuple[str, type[Record]]] = {
    Effect.SUPPLIER_RECORD: ("supplier", SupplierEscalation),
    Effect.ONSITE_RECORD: ("onsite", OnsiteDispatch),
    Effect.LOANER_RECORD: ("loaner", Loaner),
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def record_dict(record: Record) -> dict[str, Any]:
    """The public JSON shape of a record."""
    if isinstance(record, SupplierEscalation):
        return {"id": record.id, "supplier": record.supplier, "reference": record.reference,
                "due_at": _iso(record.due_at), "note": record.note,
                "created_at": _iso(record.created_at), "created_by": record.created_by,
                "closed_at": _iso(record.closed_at)}
    if isinstance(record, OnsiteDispatch):
        return {"id": record.id, "technician": record.technician,
                "scheduled_at": _iso(record.scheduled_at), "arrived_at": _iso(record.arrived_at),
                "note": record.note, "created_at": _iso(record.created_at),
                "created_by": record.created_by}
    return {"id": record.id, "device": record.device, "serial": record.serial,
            "lent_at": _iso(record.lent_at), "returned_at": _iso(record.returned_at),
            "note": record.note, "created_by": record.created_by}


def _add(incident_id: int, effect: Effect, fields: Mapping[str, Any], author: str,
         now: datetime, zone: str) -> tuple[Record, str]:
    note = str(fields.get("note", ""))
    if effect is Effect.SUPPLIER_RECORD:
        supplier = SupplierEscalation(
            incident_id=incident_id, supplier=fields["supplier"],
            reference=fields.get("reference", ""), due_at=fields.get("due_at"), note=note,
            created_at=now, created_by=author)
        due = f", due {local_text(supplier.due_at, zone)}" if supplier.due_at else ""
        ref = f" (their reference {supplier.reference})" if supplier.reference else ""
        return supplier, f"escalated to supplier {supplier.supplier}{ref}{due}"
    if effect is Effect.ONSITE_RECORD:
        dispatch = OnsiteDispatch(
            incident_id=incident_id, technician=fields["technician"],
            scheduled_at=fields["scheduled_at"], note=note, created_at=now, created_by=author)
        return dispatch, ONSITE_DISPATCHED.write(technician=dispatch.technician,
                                                 at=local_text(dispatch.scheduled_at, zone))
    loaner = Loaner(incident_id=incident_id, device=fields["device"],
                    serial=fields.get("serial", ""), lent_at=now, note=note, created_by=author)
    return loaner, LOANER_LENT.write(device=loaner.device)


def _update(record: Record, fields: Mapping[str, Any], now: datetime) -> str:
    if "note" in fields:
        record.note = str(fields["note"])
    if isinstance(record, SupplierEscalation):
        record.reference = fields.get("reference", record.reference)
        record.due_at = fields.get("due_at", record.due_at)
        if fields.get("closed") and record.closed_at is None:
            record.closed_at = now
            return SUPPLIER_DONE.write(supplier=record.supplier)
        return f"supplier {record.supplier} record updated"
    if isinstance(record, OnsiteDispatch):
        record.scheduled_at = fields.get("scheduled_at", record.scheduled_at)
        if fields.get("arrived") and record.arrived_at is None:
            record.arrived_at = now
            return ONSITE_ARRIVED.write(technician=record.technician)
        return f"on-site dispatch of {record.technician} updated"
    if fields.get("returned") and record.returned_at is None:
        record.returned_at = now
        return LOANER_RETURNED.write(device=record.device)
    return f"loaner device {record.device} record updated"


def update_record(
    session: Session, incident_id: int, effect: Effect, record_id: int | None,
    fields: Mapping[str, Any], author: str, now: datetime, zone: str = "UTC",
) -> dict[str, Any]:
    """Add a record (record_id None) or change one; what changed, for the timeline (its
    times in `zone`)."""
    name, table = _TABLES[effect]
    if record_id is None:
        record, summary = _add(incident_id, effect, fields, author, now, zone)
        change = "added"
    else:
        found: Record | None = session.exec(  # type: ignore[assignment]
            select(table).where(col(table.id) == record_id,
                                col(table.incident_id) == incident_id)).first()
        if found is None:
            raise Refused(404, f"no {name} record {record_id} on this ticket")
        record, change = found, "updated"
        summary = _update(record, fields, now)
    session.add(record)
    session.flush()
    return {"change": change, "summary": summary, "record": record_dict(record)}


def records_of(session: Session, incident_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every record of a ticket, by kind, oldest first."""
    result: dict[str, list[dict[str, Any]]] = {}
    for name, table in _TABLES.values():
        rows: list[SQLModel] = list(session.exec(
            select(table).where(col(table.incident_id) == incident_id)
            .order_by(col(table.id))).all())
        result[name] = [record_dict(r) for r in rows]  # type: ignore[arg-type]
    return result
