"""`bridge login`: a personal API token, so that what a person does through the CLI is on
the timeline under their own name (machine tokens in bridge.toml stay as they are).

It checks the person's portal password against the store (on the daemon's host, or
wherever the store is reachable), keeps the token's SHA-256 there, and writes the token to
$XDG_CONFIG_HOME/bridge/token (mode 0600), which `bridge incidents …` then uses. A new
password or a disabled account ends it, as it ends the person's portal sessions."""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path

from bridge.cli.users import password_from, store_url


def token_path() -> Path:
    """Where `bridge login` keeps the person's token."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "bridge" / "token"


def _store_mark(store: str) -> str:
    """What the token file's companion keeps of the store a login was for: a digest (a
    store URL may hold a user name or a host), enough to tell two deployments apart. The
    URL is compared without its password and with a SQLite file's path made absolute, so
    `--db sqlite:///var/bridge.db` and bridge.toml's `storage.url` for it are one store."""
    from bridge.store.db import store_identity  # the store only when there is a login

    return hashlib.sha256(store_identity(store).encode()).hexdigest()


def login_token(store: str | None) -> str | None:
    """The token of the last `bridge login`, if there is one and it was issued by `store`
    (the store the client's bridge.toml names; None when that cannot be read): a login
    against one deployment is not sent to another, which would refuse it."""
    path = token_path()
    if store is not None:
        try:
            issued_by = path.with_name(path.name + ".store").read_text(encoding="utf-8")
        except FileNotFoundError:
            issued_by = None  # a login of an older version: it says nothing of its store
        except OSError:
            return None
        if issued_by is not None and issued_by.strip() != _store_mark(store):
            return None
    try:
        return path.read_text(encoding="utf-8").strip() or None
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


def _write_token(secret: str, store: str) -> Path:
    path = token_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    for where, text in ((path, secret), (path.with_name(path.name + ".store"),
                                         _store_mark(store))):
        fd = os.open(where, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        os.chmod(where, 0o600)  # an older file keeps its mode otherwise
    return path


def run_login(args: argparse.Namespace) -> int:
    """Carry out `bridge login`."""
    name = args.name or input("user name: ").strip()
    password = password_from(args.password_file, confirm=False)
    from bridge.portal.passwords import verify
    from bridge.store import Database
    from bridge.store.users import add_personal_token, find_user

    store = store_url(args)
    db = Database(store)
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
    path = _write_token(secret, store)
    print(f"logged in as {user.display_name} ({user.role.value}); token in {path}")
    return 0
