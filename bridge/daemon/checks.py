"""One scheduled check, run and recorded: the scheduler's two ways in.

`start` is the one the daemon's scheduler uses: the probe's result comes back in a
callback (for an ICMP check of an IP address with no task, no coroutine and no
event-loop turn of its own), is recorded, and the scheduler is told how it ran. `run` is
the same as a coroutine.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime

from prometheus_client import Histogram

from bridge.aio import Cancellable
from bridge.config.model import Config
from bridge.core.probe_kinds import Probe
from bridge.core.results import ProbeResult
from bridge.core.state import CheckKey, between_attempts
from bridge.daemon.monitor import Monitor
from bridge.daemon.scheduler import Plan, Ran
from bridge.probes.registry import Probers, Target, deadline_s, run_probe, start_probe

log = logging.getLogger(__name__)


class CheckRunner:
    """Runs checks of the current config through the daemon's probers into its monitor."""

    def __init__(self, config: Callable[[], Config], probers: Probers, monitor: Monitor,
                 durations: Histogram, now: Callable[[], datetime]) -> None:
        self._config = config
        self._probers = probers
        self._monitor = monitor
        self._durations = durations  # by probe kind
        self._now = now

    async def run(self, key: CheckKey) -> Ran:
        """Run the check, record its result, say when it runs next."""
        probe = self._config().probes[key.probe]
        result = await run_probe(self._probers, self._target(key), probe, self._now())
        return self._record(key, probe, result)

    def start(self, key: CheckKey, on_ran: Callable[[Ran], None]) -> Cancellable:
        """`run`, told to `on_ran`; without a task where the probe allows."""
        probe = self._config().probes[key.probe]
        return start_probe(self._probers, self._target(key), probe, self._now(),
                           functools.partial(self._checked, key, probe, on_ran))

    def _checked(self, key: CheckKey, probe: Probe, on_ran: Callable[[Ran], None],
                 result: ProbeResult) -> None:
        try:
            ran = self._record(key, probe, result)
        except Exception:  # as the scheduler does for a run that crashed
            log.exception("check %s crashed; it stays scheduled", key)
            ran = Ran(probe.interval_s, judged=False)
        on_ran(ran)

    def _target(self, key: CheckKey) -> Target:
        config = self._config()
        address = config.devices[key.device].address
        return Target(address, key.device, key.probe, config.snmp.get(key.device))

    def _record(self, key: CheckKey, probe: Probe, result: ProbeResult) -> Ran:
        self._durations.labels(probe.kind.value).observe(result.duration_s)
        for event in result.events:
            log.warning("device %s (check %s): %s", key.device, key.probe, event)
        delay_s = self._monitor.record(key, result)
        state = self._monitor.engine.states.get(key)
        return Ran(probe.interval_s if delay_s is None else delay_s, judged=not result.local,
                   retry=state is not None and between_attempts(state))


def owned_plans(config: Config, owns: Callable[[str], bool]) -> dict[CheckKey, Plan]:
    """The plan of every check of the devices `owns` says are this instance's: one Plan a
    probe, shared by its checks. Asked again at every hand-over, on the loop: one
    ownership question per device (60,000 checks, a plan each, took 1.7 s)."""
    per_probe = {name: Plan(probe.interval_s, deadline_s(probe))
                 for name, probe in config.probes.items()}
    return {CheckKey(name, probe): per_probe[probe]
            for name, device in config.devices.items() if owns(name)
            for probe in device.probes}
