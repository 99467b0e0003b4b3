"""SNMP probes: v1/v2c/v3 over one shared UDP socket, BER and USM, interfaces and thresholds."""
