"""A missing `file:` secret that bridge may create (the portal's session and mail-link keys,
API tokens with create = true) is created once, whole and private, even when several
instances started together on one host all find it missing."""

from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path

import pytest

from bridge.config.secrets import create_secret_file, resolve_ref


def test_instances_racing_to_create_a_secret_all_get_the_same_whole_one(tmp_path: Path) -> None:
    racers = 16
    start = threading.Barrier(racers)
    created: list[bool] = []
    secrets: list[str] = []
    failures: list[BaseException] = []

    def race() -> None:
        try:
            start.wait()
            _, wrote = create_secret_file("file:var/session.key", tmp_path)
            secret = resolve_ref("file:var/session.key", tmp_path)
            assert secret is not None
            created.append(wrote)
            secrets.append(secret.reveal())
        except BaseException as exc:  # reported below, with the racer's own error
            failures.append(exc)

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert created.count(True) == 1  # one wrote it, the others kept its token
    assert len(set(secrets)) == 1
    assert len(secrets[0]) >= 40
    path = tmp_path / "var" / "session.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["session.key"]  # nothing left aside


def test_an_existing_secret_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("the operator's own\n")
    path, wrote = create_secret_file("file:token", tmp_path)
    assert not wrote
    assert path.read_text() == "the operator's own\n"


def test_without_hard_links_the_secret_is_still_created_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(_source: object, _target: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    path, wrote = create_secret_file("file:var/key", tmp_path)
    assert wrote
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = resolve_ref("file:var/key", tmp_path)
    assert secret is not None
    assert len(secret.reveal()) >= 40
    assert create_secret_file("file:var/key", tmp_path) == (path, False)
    assert sorted(p.name for p in path.parent.iterdir()) == ["key"]
