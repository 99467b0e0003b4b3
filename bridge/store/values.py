"""A check's last values as `check_state.last_values` keeps them: [name, text] pairs, in
the order the probe read them, capped in size as the last output is.

The owner of a check shows every value it read; the store keeps what another instance's
API shows of it. An SNMP walk of a large table can read thousands of rows, and
the writer stores ~2,000 results a second per instance: past `TOTAL_MAX` characters the
rest are left out, and a last pair says how many (the owner's API still shows them all).
"""

from __future__ import annotations

from collections.abc import Sequence

TEXT_MAX = 500  # characters of one value's text, as of the last output
TOTAL_MAX = 16_000  # characters of names and texts of one check's values
LEFT_OUT = "…"  # the name of the last pair of a cut list: how many were left out

Values = tuple[tuple[str, str], ...]


def stored_values(values: Values) -> list[list[str]] | None:
    """`values` as the store keeps them; None for none (a ping reads none: NULL)."""
    if not values:
        return None
    kept: list[list[str]] = []
    room = TOTAL_MAX
    for i, (name, text) in enumerate(values):
        text = text[:TEXT_MAX]
        room -= len(name) + len(text)
        if room < 0:
            kept.append([LEFT_OUT, f"{len(values) - i} more values not stored"])
            break
        kept.append([name, text])
    return kept


def values_of(stored: Sequence[Sequence[str]] | None) -> Values:
    """The values a stored row holds, as ProbeResult.values."""
    if not stored:
        return ()
    return tuple((str(name), str(text)) for name, text in stored)
