"""`bridge users`: accounts from the command line; passwords from a file or a prompt,
never from the arguments."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bridge.portal.passwords import verify
from bridge.store import Database
from bridge.store.users import find_user
from tests.kits.daemon import write_deployment


def users(root: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bridge", "users", "-c",
                           str(root / "bridge.toml"), *args], input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_users_are_added_listed_disabled_and_get_new_passwords(tmp_path: Path) -> None:
    write_deployment(tmp_path, {"gw": "127.0.0.2"})
    (tmp_path / "pw").write_text("a long enough password\n")
    done = users(tmp_path, "add", "ann", "--role", "customer", "--customer", "acme",
                 "--display-name", "Ann Acme", "--password-file", str(tmp_path / "pw"))
    assert done.returncode == 0, done.stderr
    assert "a long enough password" not in done.stdout + done.stderr
    assert users(tmp_path, "add", "olga", "--role", "operator", "--password-file", "-",
                 stdin="another long password\n").returncode == 0
    again = users(tmp_path, "add", "ann", "--role", "operator", "--password-file", "-",
                  stdin="another long password\n")
    assert (again.returncode, again.stderr) == (1, "user: a user named 'ann' exists already\n")
    assert users(tmp_path, "disable", "olga").returncode == 0
    assert users(tmp_path, "passwd", "ann", "--password-file", "-",
                 stdin="the third password\n").returncode == 0
    listed = users(tmp_path, "list")
    assert listed.stdout.splitlines() == ["ann\tcustomer\tacme\tactive\tAnn Acme",
                                          "olga\toperator\t-\tdisabled\tolga"]
    db = Database(f"sqlite:///{tmp_path / 'var' / 'bridge.db'}")  # storage.url, relative
    ann = find_user(db.reader, "ann")
    db.dispose()
    assert ann is not None
    assert verify(ann.password_hash, "the third password")
    assert ann.password_hash.startswith("$argon2id$")


def test_bad_accounts_and_passwords_are_refused(tmp_path: Path) -> None:
    write_deployment(tmp_path, {"gw": "127.0.0.2"})
    short = users(tmp_path, "add", "ann", "--role", "operator", "--password-file", "-",
                  stdin="short\n")
    assert short.returncode == 1
    assert "at least 10 characters" in short.stderr
    unbound = users(tmp_path, "add", "ann", "--role", "customer", "--password-file", "-",
                    stdin="a long enough password\n")
    assert unbound.returncode == 1
    assert "--customer is needed" in unbound.stderr
    assert users(tmp_path, "passwd", "nobody", "--password-file", "-",
                 stdin="a long enough password\n").returncode == 1
    # there is no way to give a password on the command line
    argv = users(tmp_path, "add", "ann", "--role", "operator", "--password", "secret-pw")
    assert argv.returncode == 2


def test_a_password_piped_in_without_password_file_is_read_once(tmp_path: Path) -> None:
    """`echo pw | bridge users add …`: standard input that is not a terminal holds the
    password (no prompt, no traceback); nothing on it is a clear error."""
    write_deployment(tmp_path, {"gw": "127.0.0.2"})
    done = users(tmp_path, "add", "olga", "--role", "operator", stdin="a piped long password\n")
    assert (done.returncode, done.stderr) == (0, "")
    db = Database(f"sqlite:///{tmp_path / 'var' / 'bridge.db'}")
    olga = find_user(db.reader, "olga")
    db.dispose()
    assert olga is not None
    assert verify(olga.password_hash, "a piped long password")
    empty = users(tmp_path, "add", "dana", "--role", "operator", stdin="")
    assert empty.returncode == 1
    assert "no password" in empty.stderr
    assert "Traceback" not in empty.stderr
