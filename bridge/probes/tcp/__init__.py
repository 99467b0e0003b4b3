"""TCP checks: connect to a port and, with TLS, shake hands and judge the certificate."""

from bridge.probes.tcp.prober import TcpProber

__all__ = ["TcpProber"]
