"""`bridge incidents ACTION …`: the ticket actions, as API requests.

Each action's verb and arguments come from the desk's action table; only `create` is
this module's own."""

from __future__ import annotations

import argparse
import urllib.parse
from typing import Any
from zoneinfo import ZoneInfo

from bridge.cli.format import UTC_ZONE, entered
from bridge.desk.actions import Action, action_named

# The actions' time arguments: read in the user's zone when the request is made.
TIME_FIELDS = tuple(dict.fromkeys(arg.dest for a in Action for arg in a.spec.cli.args
                                  if arg.time))


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
    for action in Action:
        cli = action.spec.cli
        parser = verb(action.value, cli.help, message=cli.message)
        for arg in cli.args:
            options = {**arg.options, **({"type": when} if arg.time else {})}
            parser.add_argument(arg.name, **options)


def action_request(args: argparse.Namespace,
                   in_zone: ZoneInfo = UTC_ZONE) -> tuple[str, dict[str, Any]]:
    """The API path and JSON body for an action's arguments, times read in `in_zone`."""
    if args.action == "create":
        body = {k: v for k in ("customer", "device", "priority", "summary", "message")
                if (v := getattr(args, k, None))}
        return "/api/v1/incidents", body
    action = action_named(args.action)
    assert action is not None, args.action  # argparse offers only the table's verbs
    cli = action.spec.cli
    body = {arg.target: entered(v, in_zone) if arg.time else v
            for arg in cli.args if (v := getattr(args, arg.dest, None)) not in (None, "", False)}
    if cli.message and (message := getattr(args, "message", None)):
        body["message"] = message
    return f"/api/v1/incidents/{urllib.parse.quote(args.id)}/{args.action}", body
