"""`bridge incidents ACTION …`: the ticket actions, as API requests."""

from __future__ import annotations

import argparse
import urllib.parse
from typing import Any
from zoneinfo import ZoneInfo

from bridge.cli.format import UTC_ZONE, entered

# The actions' time arguments: read in the user's zone when the request is made.
TIME_FIELDS = ("eta", "due", "scheduled_at")


def when(value: str) -> str:
    """A time argument, checked now and kept as typed: ISO 8601 (local to --tz, or the
    customer's zone, without an offset) or `+90m`, `+4h`, `+2d` from now."""
    entered(value, UTC_ZONE)
    return value


def add_action_verbs(actions: Any, common: argparse.ArgumentParser) -> None:
    """Register create and the ticket actions on the `incidents` sub-parser."""
    def verb(name: str, text: str, message: bool = True) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = actions.add_parser(name, parents=[common], help=text)
        if name != "create":
            parser.add_argument("id", help="the ticket, e.g. INC-2026-000042")
        if message:
            parser.add_argument("-m", "--message", default="", help="a note for the timeline")
        return parser

    create = verb("create", "open a ticket (reported by a customer, or by an operator)")
    create.add_argument("--customer", help="the customer (operator tokens)")
    create.add_argument("--device")
    create.add_argument("--priority", choices=["P1", "P2", "P3", "P4"],
                        help="operators: the priority (default: the contract's); "
                             "customers: a proposal, the contract decides")
    create.add_argument("summary")
    verb("ack", "acknowledge a ticket")
    verb("assign", "assign a resolver (stops the reaction clock)").add_argument("assignee")
    comment = verb("comment", "add a comment to the timeline", message=False)
    comment.add_argument("message")
    comment.add_argument("--internal", action="store_true", help="not sent to the customer")
    verb("eta", "set the estimated resolution time").add_argument(
        "eta", type=when, help="ISO 8601 (local to --tz or the customer's zone), or +90m / "
                               "+4h / +2d from now")
    verb("wait", "pause the resolution clock").add_argument(
        "--on", choices=["customer", "supplier"], default="customer")
    verb("resume", "work goes on after waiting")
    verb("escalate", "escalate to a higher tier").add_argument("tier", type=int,
                                                               choices=[2, 3, 4])
    supplier = verb("supplier", "hand the ticket to an external supplier", message=False)
    supplier.add_argument("supplier")
    supplier.add_argument("--reference", default="")
    supplier.add_argument("--due", type=when)
    onsite = verb("onsite", "dispatch a technician on site", message=False)
    onsite.add_argument("technician")
    onsite.add_argument("scheduled_at", type=when)
    loaner = verb("loaner", "lend a courtesy device", message=False)
    loaner.add_argument("device")
    loaner.add_argument("--serial", default="")
    verb("resolve", "the problem is solved (the customer is asked to confirm)")
    verb("confirm", "the customer agrees the problem is solved: close")
    verb("close", "close after the contract's silence period")
    verb("reopen", "the problem is back")


def action_request(args: argparse.Namespace,
                   in_zone: ZoneInfo = UTC_ZONE) -> tuple[str, dict[str, Any]]:
    """The API path and JSON body for an action's arguments, times read in `in_zone`."""
    if args.action == "create":
        body = {k: v for k in ("customer", "device", "priority", "summary", "message")
                if (v := getattr(args, k, None))}
        return "/api/v1/incidents", body
    fields = {
        "assign": ("assignee", "message"), "comment": ("message", "internal"),
        "eta": ("eta", "message"), "wait": ("on", "message"), "escalate": ("tier", "message"),
        "supplier": ("supplier", "reference", "due"), "onsite": ("technician", "scheduled_at"),
        "loaner": ("device", "serial"),
    }.get(args.action, ("message",))
    body = {("due_at" if k == "due" else k): entered(v, in_zone) if k in TIME_FIELDS else v
            for k in fields if (v := getattr(args, k, None)) not in (None, "", False)}
    return f"/api/v1/incidents/{urllib.parse.quote(args.id)}/{args.action}", body
