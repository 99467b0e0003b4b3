"""[mail] in intake/*.toml: the receiver customers' mail is forwarded to, as written and
compiled (which recipients it accepts, its size caps, and each customer's sender addresses)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from types import MappingProxyType
from typing import Annotated

from pydantic import AfterValidator, Field

from bridge.config.base import Name
from bridge.config.errors import ErrorSink
from bridge.config.source import Source
from bridge.core.strict import Array, Strict

MAILTO = "mailto:"


def _check_listen(value: str) -> str:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT such as '127.0.0.1:2525', got {value!r}")
    return value


def _check_address(value: str) -> str:
    """An address ("desk@msp.example") or a whole domain ("@msp.example"), lower-cased."""
    local, at, domain = value.strip().lower().rpartition("@")
    if not at or not domain or "." not in domain or " " in value or local.count("@"):
        raise ValueError(f"expected an address such as 'desk@msp.example.com' or a domain "
                         f"such as '@acme.example', got {value!r}")
    return value.strip().lower()


Address = Annotated[str, AfterValidator(_check_address)]


class MailEntry(Strict):
    """[mail]: where the receiver listens and what it takes."""

    listen: Annotated[str, AfterValidator(_check_listen)] = "127.0.0.1:2525"
    lmtp: bool = False  # LMTP (LHLO, a reply per recipient) instead of SMTP
    recipients: Annotated[Array[Address], Field(min_length=1)]  # what RCPT TO accepts
    max_message_bytes: Annotated[int, Field(ge=1024, le=100 * 2**20)] = 10 * 2**20
    max_body_chars: Annotated[int, Field(ge=100, le=2000)] = 2000  # a timeline entry's
    # an attachment is listed (name, type, size), never stored; more than this many are counted
    max_attachments_listed: Annotated[int, Field(ge=0, le=100)] = 20
    senders: dict[Name, Array[Address]] = Field(default_factory=dict)  # by customer id


@dataclass(frozen=True)
class MailIntake:
    """The compiled [mail]: addresses and domains lower-cased, each naming one customer."""

    host: str
    port: int
    lmtp: bool
    recipients: frozenset[str]  # "desk@msp.example" or "@msp.example"
    max_message_bytes: int
    max_body_chars: int
    max_attachments_listed: int
    # configured senders and the contracts' mailto: receivers: address or "@domain" -> customer
    senders: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def accepts(self, recipient: str) -> bool:
        """Whether RCPT TO may name this address (a plus-address by its base address)."""
        address = recipient.strip().lower()
        local, _, domain = address.rpartition("@")
        base = f"{local.split('+', 1)[0]}@{domain}"
        return bool({address, base, f"@{domain}"} & self.recipients)

    def customer_of(self, sender: str) -> str | None:
        """The customer an address is of: by the address, else by its domain."""
        address = sender.strip().lower()
        return self.senders.get(address) or self.senders.get("@" + address.rpartition("@")[2])


def compile_mail(entry: MailEntry, source: Source, receivers: Mapping[str, tuple[str, ...]],
                 errors: ErrorSink) -> MailIntake:
    """[mail] with each customer's addresses: its `senders`, then its contract's mailto:
    receivers (`receivers`: customer -> its receivers); an address of two customers is an
    error, since its mail could go to either."""
    senders: dict[str, str] = {}
    for customer, addresses in entry.senders.items():
        if customer not in receivers:
            errors.add(source.error(("mail", "senders", customer),
                                    f"unknown customer {customer!r}"))
            continue
        for address in addresses:
            if senders.setdefault(address, customer) != customer:
                errors.add(source.error(("mail", "senders", customer), (
                    f"{address!r} is already a sender of customer {senders[address]!r}")))
    for customer, written in receivers.items():
        for receiver in written:
            if receiver.startswith(MAILTO):
                address = parseaddr(receiver[len(MAILTO):])[1].lower()
                senders.setdefault(address, customer)
    host, _, port = entry.listen.rpartition(":")
    return MailIntake(host.strip("[]"), int(port), entry.lmtp, frozenset(entry.recipients),
                      entry.max_message_bytes, entry.max_body_chars,
                      entry.max_attachments_listed, MappingProxyType(senders))
