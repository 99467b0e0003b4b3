"""The rule engine: results and the clock in, ticket decisions out. Pure: it takes `now`.

Ticket decisions are level-triggered: after every result and on every tick the engine
asks, for each check that is failing without a ticket, whether it should have one now
(own problem, not behind a down parent, not in maintenance, matched by a rule). A window
that ends, a parent that recovers or a restart therefore needs no special path: the next
evaluation sees the new situation and decides once, because the open problems are known.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Generic, TypeVar

from bridge.core import flap
from bridge.core.check_states import CheckStates
from bridge.core.decisions import (
    AttachToIncident,
    Decision,
    DetachFromIncident,
    OpenIncident,
    RecordChange,
    ResolveIncident,
    SaveState,
    SetFlapping,
    Suppressed,
    problem_key,
)
from bridge.core.dependencies import OWN, parents_verdict, pending_below
from bridge.core.engine_config import EngineConfig
from bridge.core.gap_watch import GapWatch
from bridge.core.holds import Hold, HoldKind
from bridge.core.maintenance import MaintenanceRule, window_covering
from bridge.core.results import ProbeResult
from bridge.core.rules import Condition, TicketRule
from bridge.core.state import CheckKey, CheckState, Status, Stored, apply_result, next_delay_s
from bridge.core.their_tickets import follow_their_tickets

C = TypeVar("C", bound=EngineConfig)  # the loaded Config, or anything of its shape
_NO_FLAPS = flap.FlapState()


class RuleEngine(Generic[C]):
    """Owns the live state of every check and the knowledge of which problems have tickets."""

    def __init__(
        self,
        config: C,
        states: dict[CheckKey, CheckState] | None = None,
        open_problems: dict[str, bool] | None = None,
        attached: dict[CheckKey, str] | None = None,
        resolved: dict[str, datetime] | None = None,
        now: datetime | None = None,
        suspect_since: datetime | None = None,
        flaps: dict[CheckKey, flap.FlapState] | None = None,
    ) -> None:
        """`now`, when given, lets start-up resolve tickets of checks the config dropped
        while the daemon was stopped (they would otherwise stay open for ever).
        `suspect_since` is when the gap suspicion the last run was in began; `flaps` the
        checks' flap histories as they were saved."""
        self.states = CheckStates(states)
        self._open: dict[str, bool] = dict(open_problems or {})  # problem -> flapping
        # Open problems whose check was seen failing or flapping: only their recovery
        # resolves them. A ticket open on an up check was reopened by a person; it stays
        # open until it is seen fail and recover, also across a restart.
        self._armed: set[str] = set()
        self._attached: dict[CheckKey, str] = dict(attached or {})  # child -> root problem
        self._resolved: dict[str, datetime] = dict(resolved or {})  # problem -> resolved at
        self._flaps: dict[CheckKey, flap.FlapState] = dict(flaps or {})
        self._holds: dict[CheckKey, Hold] = {}
        self._waiting: dict[CheckKey, datetime] = {}
        self._released: dict[CheckKey, datetime] = {}
        self._pending: set[CheckKey] = set()  # failing without a ticket of their own
        self._rechecks: set[CheckKey] = set()
        self._blind: dict[CheckKey, datetime] = {}  # last local failure per check
        self._watch = GapWatch(suspect_since)
        self.extra_windows: tuple[MaintenanceRule, ...] = ()  # added through the API
        self.config = config
        self._start_decisions = self.apply_config(config, now)

    # ---- configuration -----------------------------------------------------------------

    def keys(self) -> list[CheckKey]:
        """Every configured check."""
        return [CheckKey(d, p) for d, device in self.config.devices.items() for p in device.probes]

    def apply_config(self, config: C, now: datetime | None = None) -> list[Decision]:
        """Swap in a new config; checks that still exist keep everything they had.

        A check that left the config takes its ticket with it: resolved, with the reason.
        """
        self.config = config
        self._policies: dict[CheckKey, tuple[int, int]] = {}  # the config's, asked per result
        keys = set(self.keys())
        gone = [k for k in self.states if k not in keys]
        self._watch.forget(gone)
        for table in (self.states, self._flaps, self._holds, self._waiting, self._released,
                      self._attached, self._blind):
            for key in [k for k in table if k not in keys]:
                del table[key]
        self._watch.configure(config.main.monitoring, keys)
        self._pending &= keys
        children: dict[str, list[str]] = {}
        for name, device in config.devices.items():
            for parent in device.parents:
                children.setdefault(parent, []).append(name)
        self._children = children
        self._customer_of = {name: d.customer for name, d in config.devices.items()}
        for key in keys:
            self._arm(key, self.states.setdefault(key, CheckState()))
        decisions: list[Decision] = []
        for key in gone:
            problem = problem_key(key)
            if problem in self._open and now is not None:
                del self._open[problem]
                self._armed.discard(problem)
                decisions.append(ResolveIncident(problem, now, f"{key.device}/{key.probe} was "
                                                 "removed from the configuration"))
        return decisions

    def _arm(self, key: CheckKey, state: CheckState) -> None:
        """Learn from a check's known state what its open problem waits for."""
        problem = problem_key(key)
        if problem in self._open and (state.hard_status != Status.UP or self._open[problem]):
            self._armed.add(problem)
        elif state.hard_status == Status.DOWN and problem not in self._open:
            self._pending.add(key)

    def adopt(self, keys: Iterable[CheckKey], stored: Stored) -> None:
        """Take up checks another instance judged until now, where the store says it left
        them (state, flap history, ticket, attachment); every other check keeps all it has."""
        configured = self.config.devices
        taken = [k for k in keys if k.device in configured
                 and k.probe in configured[k.device].probes]
        self._watch.forget(taken)
        for key in taken:
            problem = problem_key(key)
            for table in (self._flaps, self._holds, self._waiting, self._released,
                          self._attached, self._blind):
                table.pop(key, None)
            for known in (self._open, self._resolved):
                known.pop(problem, None)
            self._armed.discard(problem)
            self._pending.discard(key)
            self.states[key] = state = stored.states.get(key, CheckState())
            if key in stored.flaps:
                self._flaps[key] = stored.flaps[key]
            if key in stored.attached:
                self._attached[key] = stored.attached[key]
            if problem in stored.open_problems:
                self._open[problem] = stored.open_problems[problem]
            if problem in stored.resolved:
                self._resolved[problem] = stored.resolved[problem]
            self._arm(key, state)

    def is_parent(self, device: str) -> bool:
        """Whether some device of the config has `device` among its parents."""
        return device in self._children

    def observe_tickets(self, stored_open: Mapping[str, bool],
                        stored_attached: Mapping[CheckKey, str],
                        theirs: Callable[[str], bool]) -> None:
        """Other instances' checks' tickets as the store has them (core/their_tickets.py)."""
        follow_their_tickets(self._open, self._armed, self._attached, stored_open,
                             stored_attached, theirs)

    # ---- inputs --------------------------------------------------------------------------

    def on_result(self, key: CheckKey, result: ProbeResult) -> tuple[list[Decision], float | None]:
        """Apply one result; the decisions and the delay until the check runs again."""
        old = self.states.get(key)
        if old is None:
            return [], None  # removed by a reload while it ran
        probe = self.config.probes[key.probe]
        if result.local and not result.ok:
            # The monitoring host failed, not the device: no attempt is counted.
            first = key not in self._blind
            self._blind[key] = result.at
            note = Suppressed(key, f"failed on the monitoring host: {result.output}", result.at)
            return ([note] if first else []), probe.interval_s
        self._blind.pop(key, None)
        policy = self._policies.get(key)
        if policy is None:  # the first matching rule's, a walk over the rules: once per config
            policy = self._policies[key] = self.config.attempts_policy(key.device, key.probe)
        max_attempts, recover_after = policy
        transition = apply_result(old, result, max_attempts, recover_after)
        new = transition.new
        self.states[key] = new
        flaps = self._flaps[key] = flap.record(self._flaps.get(key, _NO_FLAPS),
                                               result.ok)
        out: list[Decision] = [SaveState(key, new, flaps)]
        if transition.hard_changed and new.hard_since is not None:
            device = self.config.devices[key.device]
            out.append(RecordChange(key, device.customer, old.hard_status, new.hard_status,
                                    new.hard_since, transition.reason, result.output))
        now = result.at
        out += self._reconcile(key, now)
        for child in pending_below(self._children, self._pending, key.device):
            out += self._reconcile(child, now)
        return out, next_delay_s(new, probe.interval_s, probe.retry_interval_s)

    def on_tick(self, now: datetime) -> list[Decision]:
        """Judge blindness, then every failing check without a ticket (windows end, waits
        time out)."""
        out, self._start_decisions = self._start_decisions, []
        out += self._assess_gap(now)
        for key in sorted(self._pending, key=str):
            out += self._reconcile(key, now)
        return out + self._watch.report(now)

    def _assess_gap(self, now: datetime) -> list[Decision]:
        out, ended = self._watch.judge(now, self.states, self._blind, self._customer_of)
        if ended:
            for key in self._pending:
                hold = self._holds.get(key)
                if hold is not None and hold.kind == HoldKind.GAP:
                    self._released[key] = now  # judge it on a result from after the gap
                    self._rechecks.add(key)
        return out

    @property
    def in_gap(self) -> bool:
        """Whether the bridge is blind now (a monitoring gap is running)."""
        return self._watch.gap is not None

    def take_rechecks(self) -> set[CheckKey]:
        """Checks the engine wants run now (parents of a child that waits on them)."""
        rechecks, self._rechecks = self._rechecks, set()
        return rechecks

    def flap_state(self, key: CheckKey) -> flap.FlapState | None:
        """A check's recent results for flap detection, if it has any."""
        return self._flaps.get(key)

    def flapping(self, key: CheckKey) -> bool:
        """Whether a check is flapping now."""
        return self._flaps.get(key, _NO_FLAPS).flapping

    # ---- the decision ------------------------------------------------------------------

    def _reconcile(self, key: CheckKey, now: datetime) -> list[Decision]:
        state = self.states.get(key)
        if state is None:
            return []
        problem = problem_key(key)
        flapping = self.flapping(key)
        if problem in self._open:
            return self._follow_open(key, state, problem, flapping, now)
        if state.hard_status != Status.DOWN and not flapping:
            return self._clear(key, now)
        self._pending.add(key)
        released = self._released.get(key)
        if released is not None and (state.last is None or state.last.at < released):
            self._rechecks.add(key)
            return []  # its parent just recovered: judge it on a result newer than that
        out: list[Decision] = []
        verdict = OWN
        if state.hard_status == Status.DOWN:
            verdict = parents_verdict(self.config, self.states, self._waiting, key, state, now)
            self._rechecks.update(verdict.recheck)  # a wait's: the parents' checks
        if verdict.kind == "wait":
            return out
        if verdict.kind == "unreachable":
            assert verdict.root_check is not None
            root = self._attached.get(verdict.root_check, problem_key(verdict.root_check))
            current = self._attached.get(key)
            if current is not None and current != root:  # its root cause moved
                del self._attached[key]
                out.append(DetachFromIncident(current, key, now, f"{key.device} is now "
                                              f"behind {verdict.parent}"))
            if root in self._open:
                if current != root:
                    self._attached[key] = root
                    self._holds.pop(key, None)
                    out.append(AttachToIncident(root, key, now, f"{key.device} unreachable: "
                                                f"parent {verdict.parent} is down"))
                return out
            return out + self._hold(key, Hold(HoldKind.PARENT,
                                              f"parent {verdict.parent} is down"), now)
        detached: str | None = self._attached.pop(key, None)
        if detached is not None:
            out.append(DetachFromIncident(detached, key, now, f"{key.device} is no longer "
                                          "behind a down parent"))
        hold = self._holds.get(key)
        if detached is not None or (hold is not None and hold.kind == HoldKind.PARENT):
            # It was unreachable until a moment ago: its timers run from that moment, and a
            # failing result from before it may be stale, so it is judged on one from then
            # on (a result in the same instant counts, as it does when it comes second).
            self._released[key] = now
            self._holds.pop(key, None)
            if state.last is None or state.last.at < now:
                self._rechecks.add(key)
                return out
        if self._watch.gap is not None:
            return out + self._hold(key, Hold(HoldKind.GAP, "monitoring gap"), now)
        if self._watch.hold(key, now):
            return out  # maybe the bridge is going blind: wait for the verdict
        device = self.config.devices[key.device]
        window = window_covering((*self.config.maintenance, *self.extra_windows), key.device,
                                 device.tags, device.customer, now)
        if window is not None:
            return out + self._hold(key, Hold(HoldKind.MAINTENANCE, f"maintenance {window.name}",
                                                  window.end), now)
        condition = Condition.FLAPPING if flapping else Condition.DOWN
        match = self.config.match_rule(key.device, key.probe, condition)
        if match is None or not match[1].open_ticket:
            return out + self._hold(key, Hold(HoldKind.NO_RULE, "no rule opens a ticket"), now)
        return out + self._open_ticket(key, state, *match, flapping, now)

    def _open_ticket(self, key: CheckKey, state: CheckState, rule_name: str, rule: TicketRule,
                     flapping: bool, now: datetime) -> list[Decision]:
        device = self.config.devices[key.device]
        hold = self._holds.pop(key, None)
        released = self._released.pop(key, None)
        started = state.hard_since or now
        if hold is not None:  # timers run from the end of what held it back
            started = max(started, hold.until or now)
        if released is not None:  # it was unreachable until its parent recovered
            started = max(started, released)
        output = state.last.output if state.last else ""
        if flapping:
            summary = (f"{key.device} ({device.address}) is flapping: {key.probe} changed state "
                       f"in {self._flaps[key].percent:.0f}% of recent checks")
        else:
            summary = f"{key.device} ({device.address}) is down: {key.probe} failed: {output}"
        problem = problem_key(key)
        self._open[problem] = flapping
        self._armed.add(problem)
        self._pending.discard(key)
        resolved_at = self._resolved.pop(problem, None)
        reopen_s = self.config.main.incidents.reopen_window_s
        reopen = resolved_at is not None and (now - resolved_at).total_seconds() <= reopen_s
        decisions: list[Decision] = [OpenIncident(
            problem, key, device.customer, self.config.ticket_priority(key.device, rule),
            rule_name, started, summary, flapping, reopen)]
        for child in pending_below(self._children, self._pending, key.device):
            decisions += self._reconcile(child, now)
        return decisions

    def _follow_open(self, key: CheckKey, state: CheckState, problem: str, flapping: bool,
                     now: datetime) -> list[Decision]:
        self._pending.discard(key)
        out: list[Decision] = []
        if self._open[problem] != flapping:
            self._open[problem] = flapping
            what = "started" if flapping else "stopped"
            out.append(SetFlapping(problem, flapping, now, f"{key.device} {what} flapping"))
        if flapping or state.hard_status != Status.UP:
            self._armed.add(problem)
            return out
        if problem not in self._armed:
            return out
        at = state.hard_since or now
        output = state.last.output if state.last else ""
        out.append(ResolveIncident(problem, at, f"{key.device} recovered: {key.probe} "
                                                f"succeeded: {output}"))
        del self._open[problem]
        self._armed.discard(problem)
        self._resolved[problem] = at
        children = [child for child, root in self._attached.items() if root == problem]
        for child in sorted(children, key=str):  # they leave with it, judged afresh
            out += self._reconcile(child, now)
        return out

    def _clear(self, key: CheckKey, now: datetime) -> list[Decision]:
        self._pending.discard(key)
        self._watch.forget((key,))
        self._holds.pop(key, None)
        self._waiting.pop(key, None)
        self._released.pop(key, None)
        root = self._attached.pop(key, None)
        if root is None:
            return []
        return [DetachFromIncident(root, key, now, f"{key.device} recovered")]

    def _hold(self, key: CheckKey, hold: Hold, now: datetime) -> list[Decision]:
        previous = self._holds.get(key)
        self._holds[key] = hold
        if previous is not None and previous.reason == hold.reason:
            return []
        return [Suppressed(key, hold.reason, now)]

