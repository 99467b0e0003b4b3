"""`bridge login`: a personal API token, so that what a person does through the CLI is on
the timeline under their own name (machine tokens in bridge.toml stay as they are).

It checks the person's portal password against the store (on the daemon's host, or
wherever the store is reachable), keeps the token's SHA-256 there, and writes the token to
$XDG_CONFIG_HOME/bridge/token (mode 0600), which `bridge incidents …` then uses. A new
password or a disabled account ends it, as it ends the person's portal sessions."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path

from bridge.cli.users import password_from, store_url
from bridge.portal.passwords import verify
from bridge.store import Database
from bridge.store.users import add_personal_token, find_user


def token_path() -> Path:
    """Where `bridge login` keeps the person's token."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "bridge" / "token"


def login_token() -> str | None:
    """The token of the last `bridge login`, if there is one."""
    try:
        return token_path().read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def add_login_verb(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `bridge login`."""
    login = verbs.add_parser("login", help="a personal API token for the CLI (your name on "
                                           "the timeline)", allow_abbrev=False)
    login.add_argument("name", nargs="?", help="your portal user name (default: asked)")
    login.add_argument("-c", "--config", type=Path, default=Path("bridge.toml"))
    login.add_argument("--db", help="store URL (overrides storage.url)")
    login.add_argument("--password-file", type=Path, help="read the password from here")


def _write_token(secret: str) -> Path:
    path = token_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    os.chmod(path, 0o600)  # an older file keeps its mode otherwise
    return path


def run_login(args: argparse.Namespace) -> int:
    """Carry out `bridge login`."""
    name = args.name or input("user name: ").strip()
    password = password_from(args.password_file, confirm=False) if args.password_file \
        else getpass.getpass("password: ")
    db = Database(store_url(args))
    try:
        db.migrate()
        user = find_user(db.reader, name)
        if user is None or user.disabled or not verify(user.password_hash, password):
            print("login: wrong user name or password", file=sys.stderr)
            return 1
        secret = "bp_" + secrets.token_urlsafe(32)
        add_personal_token(db.writer, user, secret, datetime.now(UTC))
    finally:
        db.dispose()
    path = _write_token(secret)
    print(f"logged in as {user.display_name} ({user.role.value}); token in {path}")
    return 0
