"""The `bridge` command line."""

from __future__ import annotations

import argparse
from pathlib import Path

from bridge import __version__
from bridge.cli.output import print_results
from bridge.config.load import parse_listen
from bridge.config.model import Listen
from bridge.logs import setup_logging

DEFAULT_CONFIG = Path("bridge.toml")


def _listen(text: str) -> Listen:
    listen = parse_listen(text)
    if listen is None:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return listen


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every verb."""
    parser = argparse.ArgumentParser(prog="bridge", description=__doc__)
    parser.add_argument("--version", action="version", version=f"bridge {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    run = verbs.add_parser("run", help="run the daemon in the foreground")
    run.add_argument("-c", "--config", type=Path, default=DEFAULT_CONFIG)
    run.add_argument("--listen", type=_listen, help="HOST:PORT (overrides http.listen)")
    run.add_argument("--db", help="store URL (overrides storage.url)")
    run.add_argument("--log-level", default="info",
                     choices=["debug", "info", "warning", "error"])

    check = verbs.add_parser("check", help="validate every config file offline")
    check.add_argument("-c", "--config", type=Path, default=DEFAULT_CONFIG)

    probe = verbs.add_parser("probe", help="run one device's probes once and print the results")
    probe.add_argument("device")
    probe.add_argument("-c", "--config", type=Path, default=DEFAULT_CONFIG)
    probe.add_argument("--json", action="store_true", help="print JSON")
    probe.add_argument("--learn", action="store_true",
                       help="forget the interfaces its SNMP checks learned and learn them now")

    test_rules = verbs.add_parser(
        "test-rules", help="replay timelines through the rules and check the expected tickets")
    test_rules.add_argument("files", nargs="+", type=Path, metavar="FILE")
    test_rules.add_argument("-v", "--verbose", action="store_true",
                            help="list the tickets of passing files too")

    from bridge.cli.client import add_incident_verbs
    from bridge.cli.login import add_login_verb
    from bridge.cli.ops_verbs import add_ops_verbs
    from bridge.cli.report_client import add_report_verb
    from bridge.cli.users import add_users_verb

    add_incident_verbs(verbs)
    add_report_verb(verbs)
    add_ops_verbs(verbs)
    add_users_verb(verbs)
    add_login_verb(verbs)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `bridge` console script."""
    args = build_parser().parse_args(argv)
    if args.verb == "run":
        setup_logging(args.log_level)
        from bridge.daemon.entry import run_daemon

        return run_daemon(args.config, args.db, args.listen)
    return print_results(args.verb, lambda: _run_verb(args))


def _run_verb(args: argparse.Namespace) -> int:
    """Carry out a verb that prints its results."""
    if args.verb == "check":
        from bridge.cli.commands import check

        return check(args.config)
    if args.verb == "probe":
        setup_logging("warning")
        from bridge.cli.commands import probe_device

        return probe_device(args.config, args.device, as_json=args.json, learn=args.learn)
    if args.verb == "test-rules":
        from bridge.backtest.run import run_timelines

        return run_timelines(args.files, verbose=args.verbose)
    if args.verb == "report":
        from bridge.cli.report_client import run_report

        return run_report(args)
    if args.verb == "login":
        from bridge.cli.login import run_login

        return run_login(args)
    if args.verb == "users":
        from bridge.cli.users import run_users

        return run_users(args)
    if args.verb in ("devices", "maintenance", "availability", "outbox"):
        from bridge.cli.ops_verbs import run_ops

        return run_ops(args)
    from bridge.cli.client import run_incidents

    return run_incidents(args)
