"""Secret references: `env:NAME` or `file:PATH`, resolved at load, never printed."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import tempfile
from pathlib import Path

from bridge.core.secret import Secret


class SecretRefError(ValueError):
    """A reference that cannot be resolved; the message says what to do."""


class SecretFileMissing(SecretRefError):
    """A `file:` reference to a file that does not exist."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"secret file {path} does not exist (create it)")


def parse_ref(ref: str) -> tuple[str, str]:
    """Split a reference into (scheme, target) or raise SecretRefError."""
    scheme, sep, target = ref.partition(":")
    if not sep or scheme not in ("env", "file") or not target:
        raise SecretRefError(
            "expected a secret reference 'env:NAME' or 'file:PATH', not a literal value"
        )
    return scheme, target


def resolve_ref(ref: str, base_dir: Path, *, create: bool = False) -> Secret | None:
    """Resolve a reference. Returns None for a missing `file:` that `create` allows."""
    scheme, target = parse_ref(ref)
    if scheme == "env":
        value = os.environ.get(target)
        if value is None:
            raise SecretRefError(f"environment variable {target} is not set")
        return Secret(value.strip())
    path = Path(target) if Path(target).is_absolute() \
        else Path(os.path.normpath(base_dir / target))
    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        if create:
            return None
        raise SecretFileMissing(path) from None
    except OSError as exc:
        raise SecretRefError(f"cannot read secret file {path}: {exc.strerror}") from None
    if not value:
        raise SecretRefError(f"secret file {path} is empty")
    return Secret(value)


def create_secret_file(ref: str, base_dir: Path) -> tuple[Path, bool]:
    """Write a new random token to the file a `file:` reference names, mode 0600; True if
    this call wrote it.

    Instances started together on one host race here: the token is written whole to a file
    of its own and hard-linked into place, so the first link wins, the others keep the
    winner's token (False), and no one reads a half-written file. Where the filesystem has
    no hard links, the file is created exclusively and written (a racing instance may then
    find it empty and refuse to start: started again, it reads the token)."""
    _, target = parse_ref(ref)
    path = Path(target) if Path(target).is_absolute() \
        else Path(os.path.normpath(base_dir / target))  # where resolve_ref reads it
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32) + "\n"
    fd, aside = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(token)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(aside, path)
        except FileExistsError:
            return path, False
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS):
                raise
            return path, _write_exclusively(path, token)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(aside)
    return path, True


def _write_exclusively(path: Path, token: str) -> bool:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token)
    return True
