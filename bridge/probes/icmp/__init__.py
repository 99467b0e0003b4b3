"""ICMP echo probes: one raw socket shared by every check, check_ping's verdict."""
