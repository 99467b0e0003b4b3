"""Regenerate bridge/core/probe_kinds/mib_names.txt, the MIB name index bridge ships.

    python -m tools.mib_index            # writes the index
    python -m tools.mib_index --check    # exits 1 when the shipped index is out of date

The MIBs come compiled by pysmi: the IETF and IANA modules of the `pysnmp-mibs` package,
pysnmp's own (SNMPv2-MIB, SNMP-FRAMEWORK-MIB ...), and net-snmp's MIBs (UCD-SNMP-MIB,
LM-SENSORS-MIB, UCD-DISKIO-MIB) compiled here with pysmi from Debian's /usr/share/snmp/mibs
(libsnmp-base, which snmpd brings). Nothing is downloaded. Run-time bridge reads only the
index: loading all these modules takes pysnmp seconds, the index milliseconds.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

INDEX = Path(__file__).resolve().parents[1] / "bridge" / "core" / "probe_kinds" / "mib_names.txt"
NET_SNMP_MIBS = Path("/usr/share/snmp/mibs")
# net-snmp's modules worth having that pysnmp-mibs lacks or has in an older revision
NET_SNMP_MODULES = ("UCD-SNMP-MIB", "LM-SENSORS-MIB", "UCD-DISKIO-MIB")
# pysnmp's own modules that describe pysnmp, not devices, and the ASN.1 stand-ins
SKIPPED = ("ASN1", "ASN1-ENUMERATION", "ASN1-REFINEMENT", "PYSNMP-MIB", "PYSNMP-SOURCE-MIB",
           "PYSNMP-USM-MIB", "SNMPv2-TC-v1")

# pysmi builds a symbol table from each imported module's source text; net-snmp's MIBs
# import these, and Debian ships no IETF MIB text (RFC licence). These stand-ins declare
# only what net-snmp's modules use: the OID tree above them and their types' bases.
_STUB_SOURCES = {
    "SNMPv2-SMI": """SNMPv2-SMI DEFINITIONS ::= BEGIN
org OBJECT IDENTIFIER ::= { iso 3 }
dod OBJECT IDENTIFIER ::= { org 6 }
internet OBJECT IDENTIFIER ::= { dod 1 }
mgmt OBJECT IDENTIFIER ::= { internet 2 }
mib-2 OBJECT IDENTIFIER ::= { mgmt 1 }
experimental OBJECT IDENTIFIER ::= { internet 3 }
private OBJECT IDENTIFIER ::= { internet 4 }
enterprises OBJECT IDENTIFIER ::= { private 1 }
END
""",
    "SNMPv2-TC": """SNMPv2-TC DEFINITIONS ::= BEGIN
DisplayString ::= OCTET STRING (SIZE (0..255))
TruthValue ::= INTEGER { true(1), false(2) }
END
""",
    "SNMPv2-CONF": "SNMPv2-CONF DEFINITIONS ::= BEGIN\nEND\n",
    "HCNUM-TC": """HCNUM-TC DEFINITIONS ::= BEGIN
IMPORTS Counter64 FROM SNMPv2-SMI;
CounterBasedGauge64 ::= Counter64
END
""",
}

# pysnmp's MIB classes -> the index's kinds
_KINDS = {"MibTableColumn": "column", "MibScalar": "scalar", "MibTable": "table",
          "MibTableRow": "row", "MibIdentifier": "node", "ObjectIdentity": "node",
          "ModuleIdentity": "node", "NotificationType": "notification"}
KIND_LETTERS = {"scalar": "s", "column": "c", "table": "t", "row": "r", "node": "o",
                "notification": "n"}


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise SystemExit(f"{name} is not installed: pip install -e '.[test]'")
    return Path(spec.origin).parent


def compile_net_snmp(out: Path, modules: Iterable[str] = NET_SNMP_MODULES) -> list[str]:
    """Compile net-snmp's MIB text with pysmi into `out`; the modules compiled."""
    from pysmi.codegen import PySnmpCodeGen
    from pysmi.compiler import MibCompiler
    from pysmi.parser import SmiStarParser
    from pysmi.reader import FileReader
    from pysmi.searcher import StubSearcher
    from pysmi.writer import PyFileWriter

    stubs = out / "stubs"
    stubs.mkdir()
    for name, text in _STUB_SOURCES.items():
        (stubs / name).write_text(text)
    compiled = out / "compiled"
    compiled.mkdir()
    compiler = MibCompiler(SmiStarParser(), PySnmpCodeGen(), PyFileWriter(str(compiled)))
    compiler.add_sources(FileReader(str(NET_SNMP_MIBS)), FileReader(str(stubs)))
    compiler.add_searchers(StubSearcher(*PySnmpCodeGen.baseMibs))
    results = compiler.compile(*modules)
    failed = {name: str(getattr(status, "error", status)) for name, status in results.items()
              if name in modules and str(status) != "compiled"}
    if failed:
        raise SystemExit(f"pysmi could not compile {failed}")
    for stub in _STUB_SOURCES:  # compiled stand-ins must not hide the real modules
        (compiled / f"{stub}.py").unlink(missing_ok=True)
    return sorted(modules)


def _syntax(obj: Any) -> tuple[str, tuple[tuple[str, int], ...]]:
    """'n' for a number, 't' for text (OCTET STRING, OBJECT IDENTIFIER, BITS ...), and an
    INTEGER's named values."""
    from pyasn1.type import univ

    syntax = getattr(obj, "syntax", None)
    if syntax is None:
        return "-", ()
    if isinstance(syntax, univ.Integer):
        named = getattr(syntax, "namedValues", None)
        return "n", tuple((str(k), int(v)) for k, v in named.items()) if named else ()
    return "t", ()


def _objects(symbols: dict[str, Any]) -> Iterator[tuple[str, str, str, str,
                                                        tuple[tuple[str, int], ...]]]:
    for name, obj in symbols.items():
        kind = next((_KINDS[c.__name__] for c in type(obj).__mro__ if c.__name__ in _KINDS),
                    None)
        oid = getattr(obj, "name", None)
        if kind is None or not isinstance(oid, tuple) or not oid or name == "PYSNMP_MODULE_ID":
            continue  # PYSNMP_MODULE_ID: pysmi's second name for the MODULE-IDENTITY
        value, values = _syntax(obj) if kind in ("scalar", "column") else ("-", ())
        yield name, ".".join(map(str, oid)), kind, value, values


def build_index(work: Path) -> str:
    """The index's text, from every module pysnmp can load."""
    from pysnmp.smi import builder

    net_snmp = compile_net_snmp(work)
    pysnmp_mibs = _package_dir("pysnmp_mibs")
    own = _package_dir("pysnmp") / "smi" / "mibs"
    mib_builder = builder.MibBuilder()
    # the first source holding a module wins: net-snmp's newer ones over pysnmp-mibs' copies
    mib_builder.set_mib_sources(*(builder.DirMibSource(str(d))
                                  for d in (work / "compiled", own, pysnmp_mibs)))
    modules = sorted({p.stem for d in (pysnmp_mibs, own) for p in d.glob("*.py")
                      if not p.stem.startswith("_")} | set(net_snmp))
    modules = [m for m in modules if m not in SKIPPED]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mib_builder.load_modules(*modules)
    value_sets: dict[tuple[tuple[str, int], ...], int] = {}
    body: list[str] = []
    for module in modules:
        for name, oid, kind, value, values in _objects(mib_builder.mibSymbols[module]):
            ref = ""
            if values:
                ref = str(value_sets.setdefault(values, len(value_sets) + 1))
            body.append(" ".join(x for x in (name, module, oid, KIND_LETTERS[kind], value, ref)
                                 if x))
    head = ["# The MIB name index: generated by `python -m tools.mib_index`; do not edit.",
            "# %N label=number ... : value set N, an INTEGER's named values",
            "# then one object a line, sorted (bridge looks names up by bisection):",
            "# name MODULE OID kind(s scalar, c column, t table, r row, o node, n notification)",
            "# value(n number, t text, - none) [value set]"]
    sets = [f"%{n} " + " ".join(f"{label}={number}" for label, number in values)
            for values, n in value_sets.items()]
    body.sort()
    return "\n".join([*head, *sets, *body]) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the index, or with --check say whether the shipped one is current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the shipped index instead of writing it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        text = build_index(Path(work))
    if args.check:
        current = INDEX.read_text() == text
        print(f"{INDEX.name}: {'current' if current else 'out of date'}")
        return 0 if current else 1
    INDEX.write_text(text)
    print(f"{INDEX}: {text.count(chr(10))} lines, {len(text.encode())} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
