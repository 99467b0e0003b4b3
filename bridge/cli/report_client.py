"""`bridge report`: a customer's monthly availability report, fetched from the HTTP API."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bridge.availability.html import as_html
from bridge.availability.render import as_csv, as_table
from bridge.cli.client import ClientError, endpoint, get_json


def as_json(report: dict[str, Any]) -> str:
    """The report as the API sends it, indented."""
    return json.dumps(report, indent=2) + "\n"


RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "table": as_table, "csv": as_csv, "html": as_html, "json": as_json}
EXTENSIONS = {"table": "txt", "csv": "csv", "html": "html", "json": "json"}


def add_report_verb(verbs: Any) -> None:
    """Register `report`."""
    report = verbs.add_parser("report", help="a customer's monthly availability report "
                                             "(via the HTTP API)")
    report.add_argument("--customer", required=True, metavar="ID")
    report.add_argument("--month", required=True, metavar="YYYY-MM",
                        help="a calendar month in the customer's time zone")
    report.add_argument("--format", choices=list(RENDERERS), default="table")
    report.add_argument("-o", "--output", type=Path,
                        help="write to this file instead of stdout; to a folder, as "
                             "CUSTOMER-YYYY-MM.csv (.html, .json, .txt)")
    report.add_argument("-c", "--config", type=Path, default=Path("bridge.toml"),
                        help="bridge.toml (default: ./bridge.toml)")
    report.add_argument("--url", help="API base URL (default: from bridge.toml, or $BRIDGE_URL)")
    report.add_argument("--token-file", type=Path,
                        help="file with the bearer token (default: $BRIDGE_TOKEN, else your "
                             "`bridge login` token for this bridge.toml's store, else the "
                             "first operator token in bridge.toml)")


def run_report(args: argparse.Namespace) -> int:
    """Fetch the report as JSON and render it here; exit 1 with a reason on any error."""
    try:
        base, token = endpoint(args)
        path = "/api/v1/reports/{}/{}".format(*(urllib.parse.quote(part, safe="")
                                               for part in (args.customer, args.month)))
        report = get_json(base, token, path)
    except ClientError as exc:
        print(f"bridge report: {exc}", file=sys.stderr)
        return 1
    text = RENDERERS[args.format](report)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    path = args.output
    if path.is_dir():
        path = path / f"{args.customer}-{args.month}.{EXTENSIONS[args.format]}"
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"bridge report: cannot write {path}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"bridge report: wrote {path}", file=sys.stderr)
    return 0
