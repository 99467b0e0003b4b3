"""`bridge incidents …`: a client of the daemon's HTTP API."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bridge.cli.format import UTC_ZONE, print_table, shown, sla_verdict, zone
from bridge.cli.login import login_token
from bridge.cli.ticket_verbs import TIME_FIELDS, action_request, add_action_verbs
from bridge.cli.users import store_url
from bridge.config import ConfigErrors
from bridge.config.api_access import read_api_access
from bridge.core.lifecycle import IncidentStatus

_TIMEOUT_S = 10.0


def common_options() -> argparse.ArgumentParser:
    """The options every API client verb takes."""
    # The shared options are accepted before and after the action (`incidents -c F list`
    # and `incidents list -c F`); SUPPRESS keeps one position from resetting the other.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument("-c", "--config", type=Path, help="bridge.toml (default: ./bridge.toml)")
    common.add_argument("--url", help="API base URL (default: from bridge.toml, or $BRIDGE_URL)")
    common.add_argument("--token-file", type=Path,
                        help="file with the bearer token (default: $BRIDGE_TOKEN, else your "
                             "`bridge login` token for this bridge.toml's store, else the "
                             "first operator token in bridge.toml)")
    common.add_argument("--json", action="store_true", help="print JSON")
    common.add_argument("--tz", type=zone, metavar="ZONE",
                        help="show and read times in this zone, e.g. Europe/Helsinki "
                             "(default: the customer's for a customer's things, else UTC)")
    return common


def add_incident_verbs(verbs: Any) -> None:
    """Register `incidents list` and `incidents show`."""
    common = common_options()
    incidents = verbs.add_parser("incidents", parents=[common],
                                 help="list and show tickets (via the HTTP API)")
    actions = incidents.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[common], help="list tickets, newest first")
    listing.add_argument("--status", choices=[s.value for s in IncidentStatus])
    listing.add_argument("--customer")
    listing.add_argument("--device")
    listing.add_argument("--limit", type=int, default=50)
    show = actions.add_parser("show", parents=[common], help="show one ticket with its timeline")
    show.add_argument("id")
    add_action_verbs(actions, common)


class ClientError(Exception):
    """A problem talking to the API, worded for the user."""


def endpoint(args: argparse.Namespace) -> tuple[str, str]:
    """The API's base URL and a token: from options, the environment, `bridge login`, or
    bridge.toml."""
    url = args.url or os.environ.get("BRIDGE_URL")
    token = os.environ.get("BRIDGE_TOKEN")
    if args.token_file:
        try:
            token = args.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ClientError(f"cannot read the token file {args.token_file}: "
                              f"{exc.strerror}") from None
    if token is None:  # `bridge login`'s, for this deployment: acting under one's own name
        token = login_token(_configured_store(args.config))
    if url and token:
        return url.rstrip("/"), token
    try:
        access = read_api_access(args.config)
    except ConfigErrors as exc:
        raise ClientError(f"cannot read {args.config}:\n{exc}") from None
    if not url:
        host = access.listen.host
        host = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)
        host = f"[{host}]" if ":" in host and not host.startswith("[") else host
        url = f"http://{host}:{access.listen.port}"
    if not token:
        if access.operator_token is None and access.token_errors:
            reasons = "; ".join(str(e) for e in access.token_errors)
            raise ClientError(f"no operator token: {reasons} (or set $BRIDGE_TOKEN, or pass "
                              "--token-file)")
        if access.operator_token is None:
            raise ClientError("no API token: set $BRIDGE_TOKEN or --token-file (the operator "
                              "token file is created when the daemon first starts)")
        token = access.operator_token.reveal()
    return url.rstrip("/"), token


def _configured_store(config: Path) -> str | None:
    """The store `config` names, as `bridge login` read it; None if it cannot be read."""
    try:
        return store_url(argparse.Namespace(db=None, config=config))
    except (SystemExit, ValueError, OSError):  # unreadable: a folder, no permission
        return None


def get_json(base: str, token: str, path: str, query: dict[str, str] | None = None,
             body: dict[str, Any] | None = None, method: str | None = None,
             answered: dict[str, str] | None = None) -> Any:
    """GET (or POST, with a body; or `method`) an API path; its JSON answer, None if it has
    none (`answered`, if given, receives the answer's headers). Errors become a ClientError
    with the reason."""
    url = base + path + ("?" + urllib.parse.urlencode(query) if query else "")
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
            raw = response.read()
            if answered is not None:
                answered.update(response.headers.items())
            return json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raise ClientError(f"{exc.code}: {_reason(exc)}") from None
    except urllib.error.URLError as exc:
        raise ClientError(f"cannot reach the bridge API at {base}: {exc.reason} "
                          "(is `bridge run` running?)") from None


def _reason(exc: urllib.error.HTTPError) -> str:
    """An error answer's reason: its `error`, and each of its `details` the `error` leaves
    out (a 400 lists every problem there; `error` may hold only the first few)."""
    try:
        answer = json.load(exc)
    except ValueError:
        return str(exc.reason)
    if not isinstance(answer, dict):
        return str(exc.reason)
    reason = str(answer.get("error") or exc.reason)
    details = answer.get("details")
    more = [str(d) for d in details if str(d) not in reason] if isinstance(details, list) else []
    return "\n  ".join([reason, *more])


def customer_zones(base: str, token: str) -> dict[str, ZoneInfo]:
    """Each customer's time zone (of the customers the token sees devices of)."""
    devices = get_json(base, token, "/api/v1/devices")["devices"]
    return {d["customer"]: ZoneInfo(d["timezone"]) for d in devices}


def _print_incidents(rows: list[dict[str, Any]],
                     zone_of: Callable[[dict[str, Any]], ZoneInfo]) -> None:
    print_table(["id", "status", "priority", "customer", "device", "opened_at", "summary"], [
        [r["id"], r["status"], r["priority"], r.get("customer") or None, r.get("device"),
         shown(r.get("opened_at"), zone_of(r)), r.get("summary") or ""] for r in rows])


_DEFAULTS = {"config": Path("bridge.toml"), "url": None, "token_file": None, "json": False,
             "tz": None}


def fill_defaults(args: argparse.Namespace) -> None:
    """Defaults of the common options the command line left out."""
    # Filled in here, not with set_defaults(): argparse shares the option objects between
    # the parent and the action parsers, so one default would reset the other.
    for name, default in _DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default)


def run_incidents(args: argparse.Namespace) -> int:
    """Carry out an `incidents` action; exit 1 on any error, with a reason on stderr."""
    fill_defaults(args)
    try:
        base, token = endpoint(args)
        if args.action == "list":
            query = {k: str(v) for k in ("status", "customer", "device", "limit")
                     if (v := getattr(args, k)) is not None}
            data = get_json(base, token, "/api/v1/incidents", query)
            if args.json:
                print(json.dumps(data, indent=2))
            else:
                zone_of = (lambda _row: args.tz) if args.tz else _list_zones(
                    base, token, data["incidents"])
                _print_incidents(data["incidents"], zone_of)
                print(f"({len(data['incidents'])} of {data['total']})")
            return 0
        if args.action == "show":
            data = get_json(base, token, f"/api/v1/incidents/{urllib.parse.quote(args.id)}")
        else:
            path, body = action_request(args, _entry_zone(base, token, args))
            data = get_json(base, token, path, body=body)
    except ClientError as exc:
        print(f"bridge incidents: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print_ticket(data, args.tz or ZoneInfo(data.get("timezone") or "UTC"))
    return 0


def _list_zones(base: str, token: str, rows: list[dict[str, Any]]
                ) -> Callable[[dict[str, Any]], ZoneInfo]:
    """Where each row's times are shown without --tz: in its customer's zone (each with its
    offset), UTC for the desk's own tickets."""
    zones = customer_zones(base, token) if any(r.get("customer") for r in rows) else {}
    return lambda row: zones.get(row.get("customer") or "", UTC_ZONE)


def _entry_zone(base: str, token: str, args: argparse.Namespace) -> ZoneInfo:
    """Where times typed without an offset are read: --tz, else the ticket's customer's."""
    if args.tz is not None or not any(getattr(args, k, None) for k in TIME_FIELDS):
        return args.tz or ZoneInfo("UTC")
    ticket = get_json(base, token, f"/api/v1/incidents/{urllib.parse.quote(args.id)}")
    return ZoneInfo(ticket.get("timezone") or "UTC")


def print_ticket(data: dict[str, Any], in_zone: ZoneInfo) -> None:
    """A ticket as `incidents show` prints it, its times in `in_zone`."""
    for key in ("id", "status", "priority", "tier", "customer", "device", "probe", "rule",
                "assignee", "started_at", "opened_at", "eta", "reaction_due_at",
                "resolution_due_at", "resolved_at", "closed_at", "summary"):
        value = data.get(key)
        text = shown(value, in_zone) if key.endswith("_at") or key == "eta" else value
        print(f"{key + ':':18} {text or '-'}")
    for kind, outcome in (data.get("sla_outcome") or {}).items():
        print(f"{kind + ':':18} {sla_verdict(outcome)}")
    print(f"{'times in:':18} {in_zone.key}")
    for kind, records in data.get("records", {}).items():
        for record in records:
            fields = ", ".join(
                f"{k}={shown(v, in_zone) if k.endswith(('_at', 'due')) else v}"
                for k, v in record.items() if v not in (None, ""))
            print(f"{kind + ':':18} {fields}")
    print("timeline:")
    for event in data["timeline"]:
        who = event.get("author") or event["actor"]
        print(f"  {shown(event['at'], in_zone)}  {who:12} {event['kind']:14} "
              f"{event['message']}")
