"""A TCP probe's config: a connect to a port and, with `tls`, a handshake and the
certificate's days left."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from bridge.core.probe_kinds.base import KeyProblem, ProbeBase, ProbeKind
from bridge.core.results import Measure


class TcpProbe(ProbeBase):
    """A TCP connect to `port` and, with `tls`, a TLS handshake: up when both succeed within
    timeout_s (and the certificate is valid); warning when the certificate expires within
    cert_warn_days, down within cert_fail_days."""

    MEASURES: ClassVar[tuple[Measure, ...]] = (
        Measure("connect_s", "bridge_probe_connect_seconds",
                "Time the last check took to open its TCP connection."),
        Measure("tls_handshake_s"),
        Measure("cert_days_left", "bridge_probe_cert_days_left",
                "Days until the certificate the last check was shown expires (negative: "
                "expired)."))

    FILE_KEYS: ClassVar[tuple[str, ...]] = ("ca_file",)

    kind: Literal[ProbeKind.TCP]
    port: Annotated[int, Field(ge=1, le=65535)]
    tls: bool = False
    server_name: Annotated[str, Field(min_length=1)] | None = None  # SNI; else the address
    verify: bool = True  # the chain against the system's CAs (or ca_file) and the name
    ca_file: Annotated[str, Field(min_length=1)] | None = None  # an absolute path, PEM
    cert_warn_days: Annotated[float, Field(ge=0)] = 14.0
    cert_fail_days: Annotated[float, Field(ge=0)] | None = None

    def problems(self) -> list[KeyProblem]:
        """TLS keys without tls, a CA file given by a relative path, or a warning that would
        come after the failure. (config checks that the CA file exists: this reads no file.)"""
        problems: list[KeyProblem] = [
            ((key,), "is for TLS checks; add tls = true or remove it", None)
            for key in ("server_name", "ca_file", "cert_fail_days")
            if not self.tls and getattr(self, key) is not None]
        if problems:
            return problems
        if self.ca_file is not None and not self.verify:
            problems.append((("ca_file",), "is not read with verify = false; remove one", None))
        elif self.ca_file is not None and not PurePath(self.ca_file).is_absolute():
            problems.append((("ca_file",), f"must be an absolute path (got {self.ca_file})",
                             None))
        if self.cert_fail_days is not None and self.cert_fail_days >= self.cert_warn_days:
            problems.append((("cert_fail_days",), (
                f"must be < cert_warn_days (got {self.cert_fail_days:g} >= "
                f"{self.cert_warn_days:g}): a certificate must warn before it fails"), None))
        return problems
