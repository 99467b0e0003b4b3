"""A PostgreSQL server for tests: the machine's own, or one this suite starts.

BRIDGE_TEST_PG_ADMIN_URL names an admin connection to use. Otherwise the server at
127.0.0.1:5432 (user postgres) is used if it answers, else a throw-away cluster is
initialised with the installed PostgreSQL binaries and started on a free port.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import psycopg


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _own_cluster() -> Iterator[str]:
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        raise RuntimeError("no PostgreSQL server reachable and no initdb installed "
                           "(apt-get install postgresql)")
    bindir = os.path.dirname(bins[-1])
    workdir = tempfile.mkdtemp(prefix="bridge-pg-")
    os.chmod(workdir, 0o777)
    port = _free_port()
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    datadir = os.path.join(workdir, "data")
    subprocess.run([*run_as, f"{bindir}/initdb", "-D", datadir, "-U", "postgres",
                    "--auth=trust"], check=True, capture_output=True)
    subprocess.run([*run_as, f"{bindir}/pg_ctl", "-D", datadir, "-w", "-l",
                    os.path.join(workdir, "log"), "-o",
                    f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1", "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run_as, f"{bindir}/pg_ctl", "-D", datadir, "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def postgres_admin_url() -> Iterator[str]:
    """An admin URL (psycopg form) of a running server."""
    url = os.environ.get("BRIDGE_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    if _answers(url):
        yield url
        return
    with _own_cluster() as own:
        deadline = time.monotonic() + 30
        while not _answers(own):
            if time.monotonic() > deadline:
                raise RuntimeError("the test PostgreSQL cluster did not start")
            time.sleep(0.2)
        yield own


@contextlib.contextmanager
def scratch_database(admin_url: str, name: str) -> Iterator[str]:
    """A fresh database, dropped afterwards; yields its SQLAlchemy URL."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield base.replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
