"""bridge.toml [notifications]: the channels with their secrets resolved, and receiver checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from bridge.config.errors import Errors, ErrorSink
from bridge.config.main_file import NotificationsSection
from bridge.config.secrets import SecretRefError, resolve_ref
from bridge.config.source import Source
from bridge.config.toml_lines import KeyPath
from bridge.core.secret import Secret

_AT = ("notifications",)


@dataclass(frozen=True)
class SmtpChannel:
    """The SMTP server, ready to connect to."""

    host: str
    port: int
    starttls: bool
    tls: bool
    ca_file: Path | None
    username: str
    password: Secret | None
    sender: str
    timeout_s: float


@dataclass(frozen=True)
class WebhookChannel:
    """One webhook receiver, with its signing secret."""

    name: str
    url: str
    secret: Secret
    timeout_s: float


@dataclass(frozen=True)
class Channels:
    """Every configured way to deliver a message."""

    smtp: SmtpChannel | None = None
    webhooks: Mapping[str, WebhookChannel] = field(default_factory=lambda: MappingProxyType({}))

    def timeouts_s(self) -> list[float]:
        """The timeout of every channel, to size the delivery budget."""
        return [*([self.smtp.timeout_s] if self.smtp else []),
                *(w.timeout_s for w in self.webhooks.values())]


def check_receivers(
    receivers: Sequence[str], at: KeyPath, notifications: NotificationsSection, source: Source,
    errors: Errors, main_name: str = "bridge.toml",
) -> None:
    """Report receivers naming a webhook that is not configured, or email without SMTP."""
    for i, receiver in enumerate(receivers):
        scheme, _, target = receiver.partition(":")
        if scheme == "webhook" and target not in notifications.webhooks:
            errors.add(source.error((*at, i), (
                f"unknown webhook {target!r}; define it as [notifications.webhooks.{target}] "
                f"in {main_name}")))
        elif scheme == "mailto" and notifications.smtp is None:
            errors.add(source.error((*at, i), (
                f"email needs an SMTP server; add [notifications.smtp] to {main_name}")))


def _secret(ref: str, owner: KeyPath, key: str, source: Source, base_dir: Path,
            errors: ErrorSink) -> Secret | None:
    """The secret at `owner`.`key`; an unresolvable one is an error of the channel `owner`."""
    try:
        return resolve_ref(ref, base_dir)
    except SecretRefError as exc:
        errors.add_secret(owner, source.error((*owner, key), str(exc)))
        return None


def _smtp(section: NotificationsSection, source: Source, base_dir: Path,
          errors: ErrorSink) -> SmtpChannel | None:
    smtp = section.smtp
    if smtp is None:
        return None
    at = (*_AT, "smtp")
    ok = True
    if smtp.starttls and smtp.tls:
        errors.add(source.error((*at, "tls"), (
            "tls (TLS from the first byte, port 465) and starttls (port 587) exclude each "
            "other; set only one")))
        ok = False
    password = None
    if smtp.username and not smtp.password:
        errors.add(source.error((*at, "password"), (
            "username needs a password (an env:NAME or file:PATH reference)")))
        ok = False
    elif smtp.password and not smtp.username:
        errors.add(source.error((*at, "username"), "password is set; add the username"))
        ok = False
    elif smtp.password and not (smtp.starttls or smtp.tls or smtp.allow_plaintext_login):
        errors.add(source.error((*at, "username"), (
            "a login without starttls or tls sends the password in clear text; set "
            "starttls = true (port 587) or tls = true (port 465), or "
            "allow_plaintext_login = true for a trusted relay")))
        ok = False
    elif smtp.password:
        password = _secret(smtp.password, at, "password", source, base_dir, errors)
        ok = ok and password is not None
    ca_file = None
    if smtp.ca_file:
        ca_file = Path(smtp.ca_file) if Path(smtp.ca_file).is_absolute() \
            else base_dir / smtp.ca_file
        if not ca_file.is_file():
            errors.add(source.error((*at, "ca_file"), f"file {ca_file} does not exist"))
            ok = False
    if not ok:
        return None
    return SmtpChannel(smtp.host, smtp.port, smtp.starttls, smtp.tls, ca_file, smtp.username,
                       password, smtp.sender, smtp.timeout_s)


def build_channels(
    section: NotificationsSection, source: Source, base_dir: Path, errors: ErrorSink
) -> Channels:
    """Resolve the channels' secrets and check the operators' receivers."""
    if section.backoff_initial_s > section.backoff_max_s:
        errors.add(source.error((*_AT, "backoff_max_s"), (
            f"must be >= backoff_initial_s (got {section.backoff_max_s:g} < "
            f"{section.backoff_initial_s:g})")))
    check_receivers(section.operators, (*_AT, "operators"), section, source, errors,
                    Path(source.name).name)
    webhooks = {}
    for name, hook in section.webhooks.items():
        secret = _secret(hook.secret, (*_AT, "webhooks", name), "secret", source, base_dir,
                         errors)
        if secret is not None:
            webhooks[name] = WebhookChannel(name, hook.url, secret, hook.timeout_s)
    return Channels(_smtp(section, source, base_dir, errors), MappingProxyType(webhooks))
