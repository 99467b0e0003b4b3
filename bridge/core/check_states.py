"""Every check's state, with the failing ones known at all times.

The engine weighs the evidence of a monitoring gap every second (core/gap.py): the share of
failing checks, per customer. A pass over every state for it cost 10-15 ms of the event
loop each second at 60,000 checks; the checks that fail are few and change only with a
state, so they are kept as the states are set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bridge.core.state import CheckKey, CheckState, Status


class CheckStates(dict[CheckKey, CheckState]):
    """A dict of states that keeps `failing`, the keys of those whose status is down,
    through setting, deleting, `setdefault`, `pop`, `popitem`, `update`, `|=` and `clear`;
    a copy or a pickle has its own."""

    def __init__(self, states: Mapping[CheckKey, CheckState] | None = None) -> None:
        super().__init__(states or {})
        self.failing: set[CheckKey] = {k for k, s in self.items() if s.status == Status.DOWN}

    def __reduce__(self) -> tuple[type[CheckStates], tuple[dict[CheckKey, CheckState]]]:
        """Copies and pickles are built anew, with their own `failing`."""
        return CheckStates, (dict(self),)

    def __copy__(self) -> CheckStates:
        return CheckStates(self)

    def __ior__(self, other: Mapping[CheckKey, CheckState]) -> CheckStates:  # type: ignore[override,misc]
        self.update(other)
        return self

    def __setitem__(self, key: CheckKey, state: CheckState) -> None:
        super().__setitem__(key, state)
        if state.status == Status.DOWN:
            self.failing.add(key)
        else:
            self.failing.discard(key)

    def __delitem__(self, key: CheckKey) -> None:
        super().__delitem__(key)
        self.failing.discard(key)

    def setdefault(self, key: CheckKey, default: CheckState) -> CheckState:
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key: CheckKey, *default: CheckState) -> CheckState:  # type: ignore[override]
        self.failing.discard(key)
        return super().pop(key, *default)

    def popitem(self) -> tuple[CheckKey, CheckState]:
        key, state = super().popitem()
        self.failing.discard(key)
        return key, state

    def update(self, *others: Mapping[CheckKey, CheckState]  # type: ignore[override]
               | Iterable[tuple[CheckKey, CheckState]]) -> None:
        for other in others:
            for key, state in (other.items() if isinstance(other, Mapping) else other):
                self[key] = state

    def clear(self) -> None:
        super().clear()
        self.failing.clear()
