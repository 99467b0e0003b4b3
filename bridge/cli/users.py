"""`bridge users add|passwd|disable|enable|list`: the portal's accounts, in the store.

Passwords are read from a prompt (twice), from `--password-file` (its first line; `-` is
standard input) or from standard input that is not a terminal, never from the command
line, where `ps` and shell history would keep them.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.config.load import _sqlite_relative
from bridge.config.main_file import Role, StorageSection

if TYPE_CHECKING:
    from bridge.store import Database

NAME_HELP = "the sign-in name (letters, digits, . _ - @; at most 64)"


def add_users_verb(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `bridge users …`."""
    users = verbs.add_parser("users", help="portal accounts: add, passwd, disable, list")
    users.add_argument("-c", "--config", type=Path, default=Path("bridge.toml"))
    users.add_argument("--db", help="store URL (overrides storage.url)")
    what = users.add_subparsers(dest="users_verb", required=True, metavar="ACTION")
    # no abbreviations: `--password X` must not be taken for --password-file
    add = what.add_parser("add", help="a new operator, or a user of one customer",
                          allow_abbrev=False)
    add.add_argument("name", help=NAME_HELP)
    add.add_argument("--role", choices=[r.value for r in Role], required=True)
    add.add_argument("--customer", help="with --role customer: the customer's id")
    add.add_argument("--display-name", help="the name on the timeline (default: NAME)")
    add.add_argument("--password-file", type=Path, help="read the password from here")
    passwd = what.add_parser("passwd", help="a new password (ends the user's sessions)",
                             allow_abbrev=False)
    passwd.add_argument("name")
    passwd.add_argument("--password-file", type=Path, help="read the password from here")
    for verb in ("disable", "enable"):
        what.add_parser(verb, help=f"{verb} an account").add_argument("name")
    what.add_parser("list", help="every account")


def store_url(args: argparse.Namespace) -> str:
    """The store of --db, or of the bridge.toml given with -c."""
    if args.db:
        return str(args.db)
    path: Path = args.config
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SystemExit(f"{path}: not found (give -c bridge.toml or --db URL)") from None
    except tomllib.TOMLDecodeError as exc:
        raise SystemExit(f"{path}: {exc}") from None
    storage = StorageSection.model_validate(data.get("storage", {}))
    return _sqlite_relative(storage.url, path.resolve().parent)


def password_from(file: Path | None, confirm: bool = True) -> str:
    """A password from `file` (its first line; - is standard input), from standard input
    when it is not a terminal (`echo pw | bridge users add …`), or a prompt; a new one
    (`confirm`) is asked twice at a prompt and must be long enough."""
    where = f"--password-file {file}"
    if file is None and not sys.stdin.isatty():
        file, where = Path("-"), "standard input"
    if file is not None:
        try:
            text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        except OSError as exc:
            raise SystemExit(f"{where}: {exc.strerror}") from None
        password = text.splitlines()[0] if text else ""
        if not password:
            raise SystemExit(f"{where}: no password on its first line")
    else:
        password = getpass.getpass("password: ")
        if confirm and getpass.getpass("again: ") != password:
            raise SystemExit("the passwords differ")
    from bridge.portal.passwords import password_problem

    if confirm and (problem := password_problem(password)):
        raise SystemExit(problem)
    return password


def _valid_name(name: str) -> bool:
    return 0 < len(name) <= 64 and name.isascii() and all(
        c.isalnum() or c in "._-@" for c in name)


def run_users(args: argparse.Namespace) -> int:
    """Carry out `bridge users …`."""
    verb = args.users_verb
    if verb in ("add", "passwd") and not _valid_name(args.name):
        print(f"user: {NAME_HELP}", file=sys.stderr)
        return 1
    if verb == "add" and (args.role == Role.CUSTOMER) != bool(args.customer):
        print("user: --customer is needed with --role customer, and only with it",
              file=sys.stderr)
        return 1
    # the store (SQLAlchemy, the models) is imported by the verbs that open it: every other
    # command of the CLI (the API's client) starts without it
    from bridge.store import Database

    db = Database(store_url(args))
    try:
        db.migrate()
        return _carry_out(db, args)
    finally:
        db.dispose()


def _carry_out(db: Database, args: argparse.Namespace) -> int:
    from bridge.portal.passwords import hash_password
    from bridge.store.users import (
        UserExists,
        add_user,
        list_users,
        set_disabled,
        set_password,
    )

    now = datetime.now(UTC)
    verb = args.users_verb
    if verb == "list":
        for user in list_users(db.reader):
            state = "disabled" if user.disabled else "active"
            print(f"{user.name}\t{user.role.value}\t{user.customer or '-'}\t{state}\t"
                  f"{user.display_name}")
        return 0
    if verb == "add":
        hashed = hash_password(password_from(args.password_file))
        try:
            add_user(db.writer, args.name, args.display_name or args.name, Role(args.role),
                     args.customer, hashed, now)
        except UserExists as exc:
            print(f"user: {exc}", file=sys.stderr)
            return 1
        print(f"added {args.role} {args.name}")
        return 0
    if verb == "passwd":
        done = set_password(db.writer, args.name, hash_password(password_from(args.password_file)),
                            now)
    else:
        done = set_disabled(db.writer, args.name, verb == "disable", now)
    if not done:
        print(f"user: no user named {args.name!r}", file=sys.stderr)
        return 1
    print(f"{verb}: {args.name}")
    return 0
