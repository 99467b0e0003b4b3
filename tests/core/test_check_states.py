"""The engine's states know which checks fail at all times, however they are changed: the
monitoring-gap judgement reads that every second instead of a pass over every check."""

from __future__ import annotations

import copy
import pickle
import random

from bridge.core.check_states import CheckStates
from bridge.core.state import CheckKey, CheckState, StateType, Status

UP = CheckState(Status.UP)
SOFT = CheckState(Status.DOWN, StateType.SOFT, 1)
HARD = CheckState(Status.DOWN, StateType.HARD, 3, hard_status=Status.DOWN)


def failing_by_hand(states: dict[CheckKey, CheckState]) -> set[CheckKey]:
    return {k for k, s in states.items() if s.status == Status.DOWN}


def test_failing_follows_every_change() -> None:
    rng = random.Random(7)
    keys = [CheckKey(f"sw-{n}", "ping") for n in range(40)]
    states = CheckStates({keys[0]: HARD, keys[1]: UP})
    assert states.failing == {keys[0]}
    for _ in range(5000):
        key, state = rng.choice(keys), rng.choice((UP, SOFT, HARD, CheckState()))
        match rng.randrange(8):
            case 0 | 1:
                states[key] = state
            case 2:
                if key in states:
                    del states[key]
            case 3:
                states.setdefault(key, state)
            case 4:
                states.pop(key, None)
            case 5:
                states.update({key: state, rng.choice(keys): rng.choice((UP, HARD))})
            case 6:
                states |= {key: state}
            case _:
                if states and rng.random() < 0.05:
                    states.popitem()
        assert states.failing == failing_by_hand(states)
    states.clear()
    assert states.failing == set()


def test_a_copy_or_a_pickle_keeps_its_own_failing_checks() -> None:
    down, up = CheckKey("sw-1", "ping"), CheckKey("sw-2", "ping")
    states = CheckStates({down: HARD, up: UP})
    copied, loaded = copy.copy(states), pickle.loads(pickle.dumps(states))
    assert copied.failing == loaded.failing == {down}
    copied[up] = HARD
    loaded[down] = UP
    assert states.failing == {down}  # neither changed the original
    assert copied.failing == {down, up}
    assert loaded.failing == set()
