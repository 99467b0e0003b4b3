"""The MIB name index bridge ships is what `python -m tools.mib_index` makes today from the
MIBs pysmi compiled (pysnmp-mibs, pysnmp's own, net-snmp's text in /usr/share/snmp/mibs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import mib_index


def test_the_shipped_index_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    assert mib_index.main(["--check"]) == 0
    assert capsys.readouterr().out == "mib_names.txt: current\n"


def test_net_snmps_mibs_compile_from_their_text(tmp_path: Path) -> None:
    """pysmi compiles net-snmp's MIB text (newer than pysnmp-mibs' UCD-SNMP-MIB)."""
    assert mib_index.compile_net_snmp(tmp_path) == ["LM-SENSORS-MIB", "UCD-DISKIO-MIB",
                                                    "UCD-SNMP-MIB"]
    compiled = (tmp_path / "compiled" / "UCD-SNMP-MIB.py").read_text()
    assert "memTotalRealX" in compiled  # net-snmp 5.8's 64-bit memory objects
    assert not (tmp_path / "compiled" / "SNMPv2-SMI.py").exists()  # no stand-in shipped
