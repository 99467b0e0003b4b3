"""Secret references: `env:NAME` or `file:PATH`, resolved at load, never printed."""

from __future__ import annotations

import os
import secrets
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


def create_secret_file(ref: str, base_dir: Path) -> Path:
    """Write a new random token to the file a `file:` reference names, mode 0600."""
    _, target = parse_ref(ref)
    path = Path(target) if Path(target).is_absolute() else base_dir / target
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(32) + "\n")
    return path
