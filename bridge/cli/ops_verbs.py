"""`bridge devices|maintenance|availability|outbox …`: what only curl reached, as verbs.

Each verb is one API request (or two: the customers' time zones come from the device
list); times are shown, and read, in `--tz`, by default the customer's zone for things of
one customer and UTC for the rest.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any
from zoneinfo import ZoneInfo

from bridge.cli.client import (
    ClientError,
    common_options,
    customer_zones,
    endpoint,
    fill_defaults,
    get_json,
)
from bridge.cli.format import UTC_ZONE, entered, print_table, shown


def add_ops_verbs(verbs: Any) -> None:
    """Register the devices, maintenance, availability and outbox verbs."""
    common = common_options()

    def actions(verb: str, text: str) -> Any:
        return verbs.add_parser(verb, parents=[common], help=text).add_subparsers(
            dest="action", required=True, metavar="ACTION")

    devices = actions("devices", "devices and their checks' live state (via the HTTP API)")
    devices.add_parser("list", parents=[common], help="every device").add_argument("--customer")
    devices.add_parser("show", parents=[common],
                       help="one device, each check as last seen").add_argument("id")

    windows = actions("maintenance", "maintenance windows (via the HTTP API)")
    windows.add_parser("list", parents=[common], help="config and API windows")
    add = windows.add_parser("add", parents=[common], help="a one-off window, effective at once")
    for what in ("devices", "tags", "customers"):
        add.add_argument(f"--{what[:-1]}", dest=what, action="append", default=[],
                         metavar=what[:-1].upper(), help=f"cover this {what[:-1]} (repeatable)")
    add.add_argument("--start", default="+0m",
                     help="ISO 8601 (local to --tz), or +90m / +4h from now (default: now)")
    add.add_argument("--end", required=True,
                     help="ISO 8601 (local to --tz), or +90m / +4h from --start")
    add.add_argument("--reason", default="")
    windows.add_parser("end", parents=[common],
                       help="end an API window now (or drop it if not started)").add_argument(
        "id", help="its name, api-N, or number N (config windows end in config/)")

    availability = verbs.add_parser("availability", parents=[common],
                                    help="rolling availability windows (via the HTTP API)")
    availability.add_argument("--customer")
    availability.add_argument("--device")
    availability.add_argument("--window", help="one rolling window, e.g. 30d")

    outbox = actions("outbox", "messages waiting or given up on (via the HTTP API)")
    outbox.add_parser("pending", parents=[common], help="messages still to deliver")
    outbox.add_parser("dead", parents=[common], help="dead letters: given up on")
    outbox.add_parser("retry", parents=[common],
                      help="deliver a dead letter again, now").add_argument("id", type=int)


def run_ops(args: argparse.Namespace) -> int:
    """Carry out one of these verbs; exit 1 with a reason on stderr on any error."""
    fill_defaults(args)
    try:
        base, token = endpoint(args)
        return _RUNNERS[args.verb](base, token, args)
    except ClientError as exc:
        print(f"bridge {args.verb}: {exc}", file=sys.stderr)
        return 1


def _emit(args: argparse.Namespace, data: Any) -> bool:
    """Print JSON if asked for; True if it was."""
    if args.json:
        print(json.dumps(data, indent=2))
    return bool(args.json)


def _check_line(check: dict[str, Any], in_zone: ZoneInfo) -> list[str]:
    return [check["probe"], check["hard_status"] + ("" if check["state_type"] == "hard"
                                                    else f" ({check['status']}, soft)"),
            shown(check["since"], in_zone), shown(check["last_check_at"], in_zone),
            check.get("output") or ""]


def _devices(base: str, token: str, args: argparse.Namespace) -> int:
    devices = get_json(base, token, "/api/v1/devices")["devices"]
    if args.action == "list":
        devices = [d for d in devices if args.customer in (None, d["customer"])]
        if not _emit(args, devices):
            print_table(["id", "customer", "address", "checks"], [
                [d["id"], d["customer"], d["address"],
                 " ".join(f"{c['probe']}:{c['hard_status']}" for c in d["checks"]) or "-"]
                for d in devices])
        return 0
    found = [d for d in devices if d["id"] == args.id]
    if not found:
        raise ClientError(f"no device {args.id!r}")
    device = found[0]
    if _emit(args, device):
        return 0
    in_zone = args.tz or ZoneInfo(device["timezone"])
    for key in ("id", "customer", "address", "criticality", "description", "tags", "parents"):
        value = device[key]
        print(f"{key + ':':13} {', '.join(value) if isinstance(value, list) else value or '-'}")
    print(f"{'times in:':13} {in_zone.key}")
    print_table(["check", "state", "since", "last check", "output"],
                [_check_line(c, in_zone) for c in device["checks"]])
    return 0


def _maintenance(base: str, token: str, args: argparse.Namespace) -> int:
    in_zone = args.tz or UTC_ZONE
    if args.action == "list":
        windows = get_json(base, token, "/api/v1/maintenance")["windows"]
        if not _emit(args, windows):
            print_table(["window", "active until", "schedule", "covers", "reason"], [[
                w["name"], shown(w["active_until"], in_zone),
                (f"{shown(w['start'], in_zone)} to {shown(w['end'], in_zone)}"
                 if w["source"] == "api" else w["schedule"]),
                " ".join(w["devices"] + [f"tag:{t}" for t in w["tags"]]
                         + [f"customer:{c}" for c in w["customers"]]), w["reason"]]
                for w in windows])
        return 0
    if args.action == "end":
        return _end_window(base, token, args)
    if args.tz is None and len(args.customers) == 1:  # one customer's window: its local time
        in_zone = customer_zones(base, token).get(args.customers[0], UTC_ZONE)
    start = entered(args.start, in_zone)
    body = {"devices": args.devices, "tags": args.tags, "customers": args.customers,
            "start": start, "end": entered(args.end, in_zone, since=start),
            "reason": args.reason}
    added = get_json(base, token, "/api/v1/maintenance", body=body)
    if not _emit(args, added):
        print(f"maintenance window {added['name']} added: {shown(body['start'], in_zone)} to "
              f"{shown(body['end'], in_zone)}")
    return 0


def _end_window(base: str, token: str, args: argparse.Namespace) -> int:
    """End a window named api-N (or N): the API says whether it ended or was dropped."""
    number = args.id.removeprefix("api-")
    if not (number.isascii() and number.isdigit()):
        windows = get_json(base, token, "/api/v1/maintenance")["windows"]
        if any(w["name"] == args.id and w["source"] == "config" for w in windows):
            raise ClientError(
                f"{args.id} is a config window: end it by removing or editing its "
                f"[maintenance.{args.id}] table in config/*.toml, then reload "
                "(`systemctl reload bridge`); `maintenance end` ends API windows (api-N)")
        raise ClientError(f"no maintenance window {args.id!r}: give an API window's name "
                          "(api-N) or number, as `bridge maintenance list` shows them")
    headers: dict[str, str] = {}
    get_json(base, token, f"/api/v1/maintenance/{number}", method="DELETE", answered=headers)
    outcome = headers.get("Bridge-Window-Outcome", "ended")
    if _emit(args, {"id": int(number), "name": f"api-{number}", "outcome": outcome}):
        return 0
    if outcome == "dropped":
        print(f"maintenance window api-{number} dropped: it had not started")
    else:
        print(f"maintenance window api-{number} ended now")
    return 0


def _availability(base: str, token: str, args: argparse.Namespace) -> int:
    query = {k: v for k in ("customer", "device", "window") if (v := getattr(args, k))}
    data = get_json(base, token, "/api/v1/availability", query)
    if _emit(args, data):
        return 0

    def rows(name: str, windows: dict[str, dict[str, Any]]) -> list[list[str]]:
        return [[name, label, "-" if w["availability_pct"] is None
                 else f"{w['availability_pct']:.3f} %", f"{w['downtime_minutes']:g}",
                 f"{w['maintenance_excluded_minutes']:g}"] for label, w in windows.items()]

    headers = ["window", "availability", "down min", "maintenance min"]
    for customer in data["customers"]:
        target = customer["target_pct"]
        print(f"{customer['customer']}"
              + (f" (target {target:g} %)" if target is not None else ""))
        print_table(["customer", *headers], rows(customer["customer"], customer["windows"]))
    print_table(["device", *headers],
                [row for d in data["devices"] for row in rows(d["device"], d["windows"])])
    return 0


def _outbox(base: str, token: str, args: argparse.Namespace) -> int:
    if args.action == "retry":
        get_json(base, token, f"/api/v1/outbox/{args.id}/retry", body={})
        print(f"message {args.id} queued again: it is delivered now")
        return 0
    data = get_json(base, token, "/api/v1/outbox", {"state": args.action})["messages"]
    if _emit(args, data):
        return 0
    in_zone = args.tz or UTC_ZONE
    last = "next attempt" if args.action == "pending" else "last error"
    print_table(["id", "ticket", "receiver", "kind", "tries", "created", last], [[
        str(m["id"]), m["ticket"] or "-", f"{m['channel']}:{m['recipient']}", m["kind"],
        str(m["attempts"]), shown(m["created_at"], in_zone),
        shown(m["next_attempt_at"], in_zone) if args.action == "pending" else m["last_error"]]
        for m in data])
    return 0


_RUNNERS = {"devices": _devices, "maintenance": _maintenance, "availability": _availability,
            "outbox": _outbox}
