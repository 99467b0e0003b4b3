"""What a check reads of the certificate the server showed, and how it judges its expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Certificate:
    """The server's own certificate: who it names and when it expires."""

    subject: str
    not_after: datetime

    def days_left(self, now: datetime) -> float:
        """Days from `now` until it expires; negative once it has."""
        return (self.not_after - now).total_seconds() / 86400


def read_certificate(der: bytes) -> Certificate:
    """Parse the DER form (available whether or not the chain was verified)."""
    # imported on first use: a deployment without TLS checks need not load it
    from cryptography import x509

    cert = x509.load_der_x509_certificate(der)
    return Certificate(cert.subject.rfc4514_string(), cert.not_valid_after_utc)


@dataclass(frozen=True)
class Expiry:
    """A certificate's expiry judged against the probe's thresholds."""

    ok: bool
    warning: bool
    text: str


def judge_expiry(days_left: float, not_after: datetime, warn_days: float,
                 fail_days: float | None) -> Expiry:
    """Expired or within cert_fail_days: down; within cert_warn_days: up with a warning."""
    when = not_after.strftime("%Y-%m-%d %H:%M UTC")
    if days_left <= 0:
        return Expiry(False, False, f"certificate expired {-days_left:.1f} days ago ({when})")
    if fail_days is not None and days_left < fail_days:
        return Expiry(False, False, f"certificate expires in {days_left:.1f} days ({when}), "
                                    f"less than cert_fail_days ({fail_days:g})")
    if days_left < warn_days:
        return Expiry(True, True, f"WARNING certificate expires in {days_left:.1f} days "
                                  f"({when}), less than cert_warn_days ({warn_days:g})")
    return Expiry(True, False, f"certificate expires in {days_left:.0f} days ({when})")
