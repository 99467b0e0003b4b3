"""What is wrong, in words a customer reads: a monitoring ticket's summary per language.

A monitoring ticket's own summary is the probe's output ("gw (10.0.0.1) is down: ping
failed: 0/3 replies"), written for engineers; it stays on the timeline and in the
provider's own mail. A customer is told the problem in plain words, in the contract's
language. Tickets people opened keep the summary a person wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

FALLBACK_LANGUAGE = "en"


class ProblemKind(StrEnum):
    """The kinds of problem monitoring opens tickets for."""

    NOT_RESPONDING = "not_responding"  # a reachability check (ping) fails
    CHECK_FAILING = "check_failing"  # another check of the device fails (SNMP values …)
    FLAPPING = "flapping"  # a check keeps changing between up and down


@dataclass(frozen=True)
class Problem:
    """A monitoring ticket's problem: its kind, the device, and the failing check's name."""

    kind: ProblemKind
    device: str
    check: str


_N, _C, _F = ProblemKind.NOT_RESPONDING, ProblemKind.CHECK_FAILING, ProblemKind.FLAPPING

PHRASES: Mapping[str, Mapping[ProblemKind, str]] = MappingProxyType({
    "en": {_N: "Device {device} is not responding",
           _C: "A check of device {device} is failing ({check})",
           _F: "The connection to device {device} is unstable"},
    "fi": {_N: "Laite {device} ei vastaa",
           _C: "Laitteen {device} tarkistus epäonnistuu ({check})",
           _F: "Yhteys laitteeseen {device} on epävakaa"},
    "cs": {_N: "Zařízení {device} neodpovídá",
           _C: "Kontrola zařízení {device} selhává ({check})",
           _F: "Spojení se zařízením {device} je nestabilní"},
    "ru": {_N: "Устройство {device} не отвечает",
           _C: "Проверка устройства {device} не проходит ({check})",
           _F: "Связь с устройством {device} нестабильна"},  # noqa: RUF001 (Russian)
    "it": {_N: "Il dispositivo {device} non risponde",
           _C: "Un controllo del dispositivo {device} non va a buon fine ({check})",
           _F: "La connessione con il dispositivo {device} è instabile"},
    "fa": {_N: "دستگاه {device} پاسخ نمی‌دهد",
           _C: "یکی از بررسی‌های دستگاه {device} ناموفق است ({check})",
           _F: "ارتباط با دستگاه {device} ناپایدار است"},
})


def describe(problem: Problem, language: str) -> str:
    """The problem in the reader's language (English where bridge has no words for it)."""
    phrases = PHRASES.get(language.split("-")[0], PHRASES[FALLBACK_LANGUAGE])
    return phrases[problem.kind].format(device=problem.device, check=problem.check)
