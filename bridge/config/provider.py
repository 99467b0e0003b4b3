"""bridge.toml [provider]: who sends the reports (name, logo, contact), read once at load.

The logo is embedded in every report (a data: URI), so a report stays one file that fetches
nothing; it is read when the config loads, and `bridge check` says what is wrong with it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from bridge.config.errors import Errors
from bridge.config.source import Source
from bridge.core.strict import Strict

MAX_LOGO_BYTES = 256 * 1024  # a logo, not a photograph: reports are mailed
LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
              ".svg": "image/svg+xml", ".webp": "image/webp"}
_SIGNATURES = {"image/png": (b"\x89PNG",), "image/jpeg": (b"\xff\xd8",),
               "image/webp": (b"RIFF",), "image/svg+xml": (b"<svg", b"<?xml")}


def _check_email(value: str) -> str:
    address = parseaddr(value)[1]
    if value and (address != value or address.count("@") != 1 or not all(address.split("@"))):
        raise ValueError(f"expected an email address such as 'noc@msp.example.com', "
                         f"got {value!r}")
    return value


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if value and (parts.scheme not in ("http", "https") or not parts.hostname):
        raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
    return value


class ProviderSection(Strict):
    """The service provider the reports come from; all optional."""

    name: Annotated[str, Field(max_length=120)] = ""
    logo: str = ""  # a PNG, JPEG, WebP or SVG file, relative to bridge.toml
    email: Annotated[str, AfterValidator(_check_email)] = ""
    phone: Annotated[str, Field(max_length=40, pattern=r"^[0-9+()./ -]*$")] = ""
    url: Annotated[str, AfterValidator(_check_url)] = ""


@dataclass(frozen=True)
class Provider:
    """The provider as reports show it: the logo as a data: URI ("" for none)."""

    name: str = ""
    logo: str = ""
    email: str = ""
    phone: str = ""
    url: str = ""


def build_provider(section: ProviderSection, source: Source, base_dir: Path,
                   errors: Errors) -> Provider:
    """The [provider] table with its logo read; a logo that cannot be used is an error."""
    logo = ""
    if section.logo:
        logo = _read_logo(section.logo, base_dir, source, errors)
    return Provider(section.name, logo, section.email, section.phone, section.url)


def _read_logo(written: str, base_dir: Path, source: Source, errors: Errors) -> str:
    at = ("provider", "logo")
    path = base_dir / written
    kind = LOGO_TYPES.get(path.suffix.lower())
    if kind is None:
        errors.add(source.error(at, f"{written!r} is not a logo bridge can embed: use a "
                                    f"{', '.join(sorted(LOGO_TYPES))} file"))
        return ""
    try:
        data = path.read_bytes()
    except OSError as exc:
        errors.add(source.error(at, f"cannot read {path}: {exc.strerror} (the path is "
                                    f"relative to {Path(source.name).name})"))
        return ""
    if len(data) > MAX_LOGO_BYTES:
        errors.add(source.error(at, f"{written} is {len(data) // 1024} KiB; a logo must be "
                                    f"at most {MAX_LOGO_BYTES // 1024} KiB (it is in every "
                                    f"report)"))
        return ""
    if not data.lstrip().startswith(_SIGNATURES[kind]):
        named = path.suffix.lstrip(".").upper()
        errors.add(source.error(at, f"{written} is not a {named} file (its content does not "
                                    f"match its name)"))
        return ""
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"
