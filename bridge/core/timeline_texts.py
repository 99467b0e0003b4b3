"""The sentences the desk writes on a ticket's timeline when nobody wrote their own: in
English (the desk's language), times in the customer's zone. One place writes them and
reads them back into their parts, so a customer's page can say them in the contract's
language (portal words, `[timeline]`) while a name, a time or a person's text stays as it
was written. A message that is not one of them (a person's own words) reads as None."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# How each part looks, so a person's sentence that merely begins the same way is not read
# as ours: times as core.wall_clock.local_text writes them; names are anything.
_PARTS = {
    "eta": r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})? [+-]\d{2}:\d{2}",
    "at": r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})? [+-]\d{2}:\d{2}",
    "hours": r"\d+(?:\.\d+)?(?:e[+-]?\d+)?",
    "proposed": r"P\d", "priority": r"P\d", "clock": r"reaction|resolution",
}
_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class TimelineText:
    """One sentence: `key` names it in a page's words; `english` is its str.format pattern."""

    key: str
    english: str
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pieces, last = [], 0
        for found in _FIELD.finditer(self.english):
            pieces.append(re.escape(self.english[last:found.start()]))
            name = found.group(1)
            pieces.append(f"(?P<{name}>{_PARTS.get(name, '.+')})")
            last = found.end()
        pieces.append(re.escape(self.english[last:]))
        object.__setattr__(self, "pattern", re.compile("".join(pieces)))

    def write(self, **parts: object) -> str:
        """The sentence, its parts filled in."""
        return self.english.format(**parts)

    def read(self, message: str) -> dict[str, str] | None:
        """Its parts, if `message` is this sentence; else None."""
        found = self.pattern.fullmatch(message)
        return found.groupdict() if found else None


ASSIGNED = TimelineText("assigned", "assigned to {assignee}")
ETA_SET = TimelineText("eta_set", "ETA {eta}")
WAITING_ON_CUSTOMER = TimelineText("waiting_on_customer", "waiting on the customer")
WAITING_ON_SUPPLIER = TimelineText("waiting_on_supplier", "waiting on the supplier")
PROPOSED_PRIORITY = TimelineText("proposed_priority",
                                 "proposed {proposed}; the contract sets {priority}")
ETA_WILL_BE_EXCEEDED = TimelineText(
    "eta_will_be_exceeded", "the ETA {eta} will be exceeded; a new ETA is needed")
CLOSED_IN_SILENCE = TimelineText(
    "closed_in_silence", "closed: no answer from the customer {hours} h after resolution")
SLA_BREACHED = TimelineText("sla_breached", "{clock} target breached at {at}")
LOANER_LENT = TimelineText("loaner_lent", "loaner device {device} lent")
LOANER_RETURNED = TimelineText("loaner_returned", "loaner device {device} returned")
ONSITE_DISPATCHED = TimelineText("onsite_dispatched",
                                 "on-site technician {technician} dispatched for {at}")
ONSITE_ARRIVED = TimelineText("onsite_arrived", "technician {technician} arrived on site")
SUPPLIER_DONE = TimelineText("supplier_done", "supplier {supplier} is done")

# The sentences each timeline kind may carry.
BY_KIND: dict[str, tuple[TimelineText, ...]] = {
    "assigned": (ASSIGNED,), "eta_set": (ETA_SET,),
    "waiting": (WAITING_ON_CUSTOMER, WAITING_ON_SUPPLIER),
    "proposed_priority": (PROPOSED_PRIORITY,), "eta_will_be_exceeded": (ETA_WILL_BE_EXCEEDED,),
    "closed": (CLOSED_IN_SILENCE,), "sla_breach": (SLA_BREACHED,),
    "loaner_added": (LOANER_LENT,), "loaner_updated": (LOANER_RETURNED,),
    "onsite_added": (ONSITE_DISPATCHED,), "onsite_updated": (ONSITE_ARRIVED,),
    "supplier_updated": (SUPPLIER_DONE,),
}


def read_entry(kind: str, message: str) -> tuple[TimelineText, dict[str, str]] | None:
    """Which of its kind's sentences a timeline entry's message is, with its parts; None
    for a person's own words (kept as written)."""
    for text in BY_KIND.get(kind, ()):
        parts = text.read(message)
        if parts is not None:
            return text, parts
    return None
