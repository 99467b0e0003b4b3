"""bridge.toml [notifications]: its tables, the channels a message travels by (each
with how its receivers are written and what it needs configured), the channels built with
their secrets resolved, and the receiver checks.

A channel is one `Channel` member, its `RECEIVERS` entry, its table here and its sender
in bridge/notify/senders.py; a receiver of any other scheme is a config error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parseaddr
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from bridge.config.base import Name
from bridge.config.errors import Errors, ErrorSink
from bridge.config.secrets import SecretRefError, resolve_ref
from bridge.config.source import Source
from bridge.config.toml_lines import KeyPath
from bridge.core.secret import Secret
from bridge.core.strict import Array, Strict

_AT = ("notifications",)


class Channel(StrEnum):
    """How a message travels: the outbox's `channel` and the outbox metrics' label."""

    EMAIL = "email"
    WEBHOOK = "webhook"


def _check_receiver(value: str) -> str:
    scheme, _, target = value.partition(":")
    channel = _BY_SCHEME.get(scheme)
    if channel is not None and RECEIVERS[channel].valid(target):
        return value
    forms = " or ".join(form.shape for form in RECEIVERS.values())
    raise ValueError(f"expected {forms}, got {value!r}")


# Where a message goes: `<scheme>:<target>` of a channel in RECEIVERS.
Receiver = Annotated[str, AfterValidator(_check_receiver)]


def _check_sender(value: str) -> str:
    address = parseaddr(value)[1]
    if address.count("@") != 1 or not all(address.split("@")):
        raise ValueError(f"expected an email address such as 'bridge@msp.example.com' or "
                         f"'Bridge <bridge@msp.example.com>', got {value!r}")
    return value


def _check_webhook_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
    return value


class SmtpSection(Strict):
    """The SMTP server email notifications are sent through."""

    host: Annotated[str, Field(min_length=1)]
    port: Annotated[int, Field(ge=1, le=65535)] = 25
    starttls: bool = False  # upgrade the connection with STARTTLS (submission, port 587)
    tls: bool = False  # TLS from the first byte (port 465)
    ca_file: str = ""  # PEM certificates to trust instead of the system's (a private CA)
    username: str = ""  # empty: no authentication
    password: str = ""  # an env:NAME or file:PATH reference, with username
    # A login without starttls or tls sends the password in clear text: refused unless
    # the operator says so (a relay on loopback, say).
    allow_plaintext_login: bool = False
    sender: Annotated[str, AfterValidator(_check_sender)]
    timeout_s: Annotated[float, Field(gt=0, le=300)] = 10.0


class WebhookSection(Strict):
    """A receiver of signed JSON notifications, named in receivers as `webhook:NAME`."""

    url: Annotated[str, AfterValidator(_check_webhook_url)]
    secret: str  # an env:NAME or file:PATH reference; the HMAC-SHA256 signing key
    timeout_s: Annotated[float, Field(gt=0, le=300)] = 5.0


class NotificationsSection(Strict):
    """Email and webhook delivery: channels, retries, storm control, the desk's receivers."""

    operators: Array[Receiver] = ()  # the desk's own receivers: dead letters, gaps, breaches
    operator_language: Annotated[str, Field(pattern=r"^[a-z]{2,3}$")] = "en"
    retry_deadline_h: Annotated[float, Field(gt=0, le=720)] = 24.0
    backoff_initial_s: Annotated[float, Field(gt=0)] = 10.0  # doubled after every failure
    backoff_max_s: Annotated[float, Field(gt=0)] = 900.0
    # Storm control: messages to one receiver about one customer within this window go
    # out as one digest; and no receiver gets more than max_per_receiver_per_hour.
    group_window_s: Annotated[float, Field(ge=0, le=3600)] = 30.0
    digest_max_tickets: Annotated[int, Field(ge=1, le=1000)] = 20
    max_per_receiver_per_hour: Annotated[int, Field(ge=1)] = 30
    smtp: SmtpSection | None = None
    webhooks: dict[Name, WebhookSection] = Field(default_factory=dict)

    @property
    def sends_nothing(self) -> bool:
        """No channel is configured: messages are queued for nobody to read."""
        return self.smtp is None and not self.webhooks

    @property
    def retry_deadline_s(self) -> float:
        """How long a message is retried before it is a dead letter."""
        return self.retry_deadline_h * 3600


def _address(target: str) -> bool:
    return target.count("@") == 1 and all(target.split("@")) \
        and not any(c.isspace() for c in target)


def _name(target: str) -> bool:
    return bool(target) and all(c.isalnum() or c in "_.-" for c in target)


def _smtp_missing(section: NotificationsSection, _target: str, main_name: str) -> str | None:
    return None if section.smtp is not None else (
        f"email needs an SMTP server; add [notifications.smtp] to {main_name}")


def _webhook_missing(section: NotificationsSection, name: str, main_name: str) -> str | None:
    return None if name in section.webhooks else (
        f"unknown webhook {name!r}; define it as [notifications.webhooks.{name}] in "
        f"{main_name}")


@dataclass(frozen=True)
class ReceiverForm:
    """How a channel's receivers are written, `scheme:target`, and what the target needs."""

    scheme: str
    shape: str  # the form an operator is shown when a receiver is wrong
    valid: Callable[[str], bool]  # the target's syntax
    # Why the target cannot be reached with this [notifications] section; None if it can.
    missing: Callable[[NotificationsSection, str, str], str | None]


RECEIVERS: Mapping[Channel, ReceiverForm] = MappingProxyType({
    Channel.EMAIL: ReceiverForm("mailto", "'mailto:ADDRESS'", _address, _smtp_missing),
    Channel.WEBHOOK: ReceiverForm(
        "webhook", "'webhook:NAME' (a webhook in bridge.toml [notifications.webhooks])",
        _name, _webhook_missing),
})
_BY_SCHEME = {form.scheme: channel for channel, form in RECEIVERS.items()}


def parse_receiver(receiver: str) -> tuple[Channel, str]:
    """`mailto:ADDR` -> (email, ADDR); `webhook:NAME` -> (webhook, NAME)."""
    scheme, _, target = receiver.partition(":")
    return _BY_SCHEME[scheme], target


def receiver_of(channel: Channel | str, recipient: str) -> str:
    """The receiver string a channel and recipient were parsed from."""
    return f"{RECEIVERS[Channel(channel)].scheme}:{recipient}"


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
    """Report receivers whose channel cannot reach them (an unknown webhook, email without
    SMTP); their syntax was checked as the file was read."""
    for i, receiver in enumerate(receivers):
        channel, target = parse_receiver(receiver)
        problem = RECEIVERS[channel].missing(notifications, target, main_name)
        if problem is not None:
            errors.add(source.error((*at, i), problem))


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
