"""The live series of /metrics, written straight in the text exposition format.

At 10,000 devices there are some 50,000 live series. Building prometheus-client metric
families for them and formatting them through generate_latest took seconds of CPU here
and held the GIL throughout (a thread did not keep the event loop running); writing the
lines directly, with every label set built once per config, takes a small part of that.
Values use prometheus-client's own formatting; the daemon's instruments (histograms,
counters) still go through prometheus-client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import cast

from prometheus_client.utils import floatToGoString

from bridge.availability.windows import Latest
from bridge.config.model import Config
from bridge.core.probe_kinds import probe_models
from bridge.core.results import Measure, ProbeResult
from bridge.core.state import CheckKey, Status
from bridge.daemon.monitor import Snapshot

# prometheus-client's own number formatting (Go's), so values read as its exposition's do
format_value = cast(Callable[[float], str], floatToGoString)

_HELP = {
    "bridge_probe_success": "Whether the last check succeeded (1) or failed (0).",
    "bridge_probe_warning": "Whether the last check was up but past a warning limit (1) or "
                            "not (0).",
    "bridge_check_down": "Whether the check is hard down (1) or not (0).",
    "bridge_check_attempts": "Consecutive failed attempts of the check.",
    "bridge_availability_ratio": "Share of counted time the device was up, over a rolling "
                                 "window (contract coverage, without maintenance and "
                                 "monitoring gaps).",
    "bridge_customer_availability_ratio": "Share of counted time the customer's devices were "
                                          "up, over a rolling window.",
    "bridge_availability_target_ratio": "The availability the customer's contract promises.",
    "bridge_monitoring_gap": "Whether the bridge is blind now (1): a monitoring gap.",
    "bridge_incidents_open": "Open tickets.",
}
# What checks export besides success (core.results.Series), by name; other names are not
# exported, so a probe cannot grow /metrics by accident.
_SERIES_HELP = {
    "bridge_interface_up": "Whether a judged interface is operationally up (1) or not (0).",
    "bridge_interface_bits_per_second": "Traffic of a judged interface, by direction.",
    "bridge_interface_utilisation_ratio": "Traffic of a judged interface as a share of its "
                                          "speed (ifHighSpeed, else ifSpeed).",
    "bridge_interface_errors_per_second": "Errors of a judged interface, by direction.",
    "bridge_interface_errors_ratio": "Errors as a share of a judged interface's packets.",
    "bridge_interface_discards_per_second": "Discards of a judged interface, by direction.",
    "bridge_interface_discards_ratio": "Discards as a share of a judged interface's packets.",
    "bridge_probe_value": "A number an SNMP threshold judged, by the name the check's output "
                          "shows (in its unit there: minutes, %, the MIB's units).",
    "bridge_probe_empty_column": "A column with thresholds that the agent returned no rows "
                                 "of (1): its thresholds judged nothing.",
}


# The measurements exported as gauges under the check's labels, as each kind declares them.
_EXPORTED: tuple[Measure, ...] = tuple(
    measure for model in probe_models() for measure in model.MEASURES if measure.metric)


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def label_set(**labels: str) -> str:
    """`{name="value",...}` with the values escaped."""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


@dataclass(frozen=True)
class LabelSets:
    """Every check's and device's label set of one config, built once."""

    config: Config
    checks: Mapping[CheckKey, str]
    devices: Mapping[str, str]  # `{customer="…",device="…",` awaiting the window

    @classmethod
    def of(cls, config: Config) -> LabelSets:
        """Build them."""
        checks = {CheckKey(name, probe): label_set(customer=d.customer, device=name,
                                                   probe=probe)
                  for name, d in config.devices.items() for probe in d.probes}
        devices = {name: label_set(customer=d.customer, device=name)[:-1] + ","
                   for name, d in config.devices.items()}
        return cls(config, checks, devices)


def _family(out: list[str], name: str, kind: str, samples: Iterable[tuple[str, float]],
            help_text: str | None = None) -> None:
    out.append(f"# HELP {name} {help_text or _HELP[name]}\n# TYPE {name} {kind}\n")
    out.extend(f"{name}{labels} {format_value(value)}\n" for labels, value in samples)


def _series(out: list[str], last: list[tuple[str, ProbeResult]]) -> None:
    """The checks' own series, each under its check's labels and its own."""
    by_name: dict[str, list[tuple[str, float]]] = {}
    for tag, result in last:
        for series in result.series:
            if series.name in _SERIES_HELP:
                own = label_set(**dict(series.labels))[1:] if series.labels else "}"
                by_name.setdefault(series.name, []).append(
                    (f"{tag[:-1]}{',' if series.labels else ''}{own}", series.value))
    for name, samples in sorted(by_name.items()):
        _family(out, name, "gauge", samples, _SERIES_HELP[name])


def live(snapshot: Snapshot, availability: str, labels: LabelSets,
         extra: Mapping[str, tuple[float, str]]) -> str:
    """The live families: checks, availability (as `availability_text` wrote it), tickets,
    and the daemon's own gauges and counters in `extra` (name -> value and help)."""
    out: list[str] = []
    rows = [(labels.checks[k], s) for k, s in snapshot.states.items() if k in labels.checks]
    last = [(tag, s.last) for tag, s in rows if s.last is not None]
    _family(out, "bridge_probe_success", "gauge",
            ((tag, 1.0 if r.ok else 0.0) for tag, r in last))
    _family(out, "bridge_probe_warning", "gauge",
            ((tag, 1.0 if r.warning else 0.0) for tag, r in last))
    for measure in _EXPORTED:
        name = measure.name
        _family(out, measure.metric or "", "gauge",
                ((tag, r.measurements[name]) for tag, r in last if name in r.measurements),
                measure.help)
    _series(out, last)
    _family(out, "bridge_check_down", "gauge",
            ((tag, 1.0 if s.hard_status == Status.DOWN else 0.0) for tag, s in rows))
    _family(out, "bridge_check_attempts", "gauge", ((tag, float(s.attempts)) for tag, s in rows))
    out.append(availability)
    _family(out, "bridge_monitoring_gap", "gauge",
            [("", 1.0 if snapshot.monitoring_gap else 0.0)])
    _family(out, "bridge_incidents_open", "gauge", (
        (label_set(customer=c, priority=p, tier=str(t)), float(n))
        for (c, p, t), n in sorted(snapshot.open_incidents.items())))
    for name, (value, help_text) in sorted(extra.items()):
        _family(out, name, "counter" if name.endswith("_total") else "gauge",
                [("", value)], help_text)
    return "".join(out)


def availability_text(latest: Latest, labels: LabelSets) -> str:
    """The availability families of one computation: they change when it is recomputed,
    not at every scrape, so the daemon keeps this text until then."""
    config = labels.config
    out: list[str] = []
    devices: list[tuple[str, float]] = []
    customers: list[tuple[str, float]] = []
    for window, tallies in latest.windows.items():
        sums: dict[str, list[float]] = {}  # customer -> [counted_s, down_s]
        for name, tally in tallies.devices.items():
            if name not in labels.devices or tally.counted_s <= 0:
                continue  # removed since, or nothing counted yet
            devices.append((f'{labels.devices[name]}window="{window}"}}',
                            1.0 - tally.down_s / tally.counted_s))
            total = sums.setdefault(config.devices[name].customer, [0.0, 0.0])
            total[0] += tally.counted_s
            total[1] += tally.down_s
        customers += [(label_set(customer=c, window=window), 1.0 - down_s / counted_s)
                      for c, (counted_s, down_s) in sorted(sums.items())]
    _family(out, "bridge_availability_ratio", "gauge", devices)
    _family(out, "bridge_customer_availability_ratio", "gauge", customers)
    _family(out, "bridge_availability_target_ratio", "gauge", (
        (label_set(customer=name), c.contract.availability_target_pct / 100)
        for name, c in sorted(config.customers.items())
        if c.contract.availability_target_pct is not None))
    return "".join(out)
