"""The rule engine as tables: dependencies, maintenance, flapping, recovery, priorities."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bridge.core.decisions import OpenIncident, RecordChange, SaveState, SuspectGap
from bridge.core.maintenance import Window
from bridge.core.priority import Priority
from bridge.core.results import ProbeResult
from bridge.core.state import CheckKey, CheckState, StateType, Status, Stored
from bridge.store import Database
from bridge.store.decisions import apply_batch
from bridge.store.heartbeat import beat, load_gap_suspicion, record_silence
from bridge.store.reads import load_check_tickets, load_states
from tests.kits.engine import T0, Run, build_config, device

CHAIN = device("router") + device("switch", parents=["router"]) + device(
    "host", parents=["switch"])


def test_a_down_device_opens_one_ticket_and_its_recovery_resolves_it(tmp_path: Path) -> None:
    run = Run(build_config(tmp_path, device("host")))
    run.results(0, "host", "+--")  # hard after 2 failures
    run.results(6, "host", "---")
    run.results(12, "host", "+")
    assert run.tickets() == [("host", "open"), ("host", "resolve")]
    [ticket] = run.opened()
    assert ticket.started_at == T0 + timedelta(seconds=2)  # the first failed check
    assert ticket.priority == Priority.P2


def test_a_warning_is_up_it_counts_no_attempt_and_ends_an_outage(tmp_path: Path) -> None:
    """check_ping's WARNING: the device answered, past a warning limit. Availability, state
    and tickets treat it as up."""
    run = Run(build_config(tmp_path, device("host") + device("other")))  # hard after 2
    run.results(0, "other", "w-w-")  # the warning between two failures resets the attempts
    assert run.engine.states[CheckKey("other", "ping")].attempts == 1
    run.results(0, "host", "www--w")
    assert run.tickets() == [("host", "open"), ("host", "resolve")]
    changes = [(d.key.device, d.old, d.new, d.at) for d in run.decisions
               if isinstance(d, RecordChange)]
    assert changes == [("other", Status.UNKNOWN, Status.UP, T0),
                       ("host", Status.UNKNOWN, Status.UP, T0),
                       ("host", Status.UP, Status.DOWN, T0 + timedelta(seconds=6)),
                       ("host", Status.DOWN, Status.UP, T0 + timedelta(seconds=10))]


@pytest.mark.parametrize("order", ["parent-first", "child-first"])
def test_parent_and_child_failing_in_the_same_second_open_one_ticket(
    tmp_path: Path, order: str
) -> None:
    run = Run(build_config(tmp_path, device("router") + device("switch", parents=["router"])))
    run.result(0, "router", True)
    run.result(0, "switch", True)
    names = ["router", "switch"] if order == "parent-first" else ["switch", "router"]
    for second in (10, 12):
        for name in names:
            run.result(second, name, False)
    run.tick(13)
    assert run.tickets() == [("router", "open"), ("switch", "attach:router")]
    if order == "child-first":
        assert "router" in run.rechecked()  # the child asked for its parent to be checked


def test_a_child_behind_a_healthy_parent_waits_for_the_parents_check_then_opens(
    tmp_path: Path,
) -> None:
    run = Run(build_config(tmp_path, device("router") + device("switch", parents=["router"])))
    run.result(0, "router", True)
    run.results(1, "switch", "+--")  # hard at 5; the router was last seen at 0
    assert run.tickets() == []
    assert run.rechecked() == {"router"}
    run.result(6, "router", True)  # the recheck: the router is fine
    assert run.tickets() == [("switch", "open")]


def test_a_child_does_not_wait_forever_for_a_silent_parent(tmp_path: Path) -> None:
    run = Run(build_config(tmp_path, device("router") + device("switch", parents=["router"])))
    run.result(0, "router", True)
    run.results(1, "switch", "+--")
    run.tick(10)
    assert run.tickets() == []
    run.tick(30)  # longer than the router's attempts x (retry + timeout) + margin
    assert run.tickets() == [("switch", "open")]


def chain_down(tmp_path: Path) -> Run:
    """CHAIN up, then every level failing twice (the child first) until second 13."""
    run = Run(build_config(tmp_path, CHAIN))
    for name in ("router", "switch", "host"):
        run.result(0, name, True)
    for second in (10, 12):
        for name in ("host", "switch", "router"):
            run.result(second, name, False)
    run.tick(13)
    return run


def test_a_chain_attaches_every_level_to_the_root(tmp_path: Path) -> None:
    run = chain_down(tmp_path)
    assert sorted(run.tickets()) == [("host", "attach:router"), ("router", "open"),
                                     ("switch", "attach:router")]


def test_a_child_attaches_to_the_ticket_of_a_parent_another_instance_judges(
        tmp_path: Path) -> None:
    """Several instances: the router's check is another's (its state and ticket come from
    the store, as daemon/fleet.py reads them); the switch behind it is this one's."""
    run = Run(build_config(tmp_path, device("router") + device("switch", parents=["router"])))
    engine = run.engine

    def theirs(name: str) -> bool:
        return name == "router"

    run.result(0, "switch", True)
    failed = ProbeResult(False, T0 + timedelta(seconds=9), 0.0, "no reply")
    engine.states[CheckKey("router", "ping")] = CheckState(
        Status.DOWN, StateType.HARD, 3, T0, Status.DOWN, T0, failed)
    run.results(10, "switch", "--")
    run.tick(13)
    assert run.tickets() == []  # the router's ticket is not known here yet: it waits
    engine.observe_tickets({"check:router/ping": False, "check:switch/ping": False}, {},
                           theirs)
    run.result(14, "switch", False)
    assert run.tickets() == [("switch", "attach:router")]
    # the router's owner resolved it: this instance forgets it; its own are its own
    engine.observe_tickets({}, {}, theirs)
    assert "check:router/ping" not in engine._open
    assert engine._attached == {CheckKey("switch", "ping"): "check:router/ping"}


def test_when_the_parent_recovers_a_child_still_down_gets_its_own_ticket(tmp_path: Path) -> None:
    config = build_config(tmp_path, device("router") + device("a", parents=["router"])
                          + device("b", parents=["router"]))
    run = Run(config)
    for name in ("router", "a", "b"):
        run.result(0, name, True)
    for second in (10, 12):
        for name in ("router", "a", "b"):
            run.result(second, name, False)
    run.result(20, "router", True)
    # a and b are not judged on results older than the router's recovery
    assert [t for t in run.tickets() if t[1] == "open"] == [("router", "open")]
    assert {"a", "b"} <= run.rechecked()
    run.result(21, "a", True)  # a was only unreachable
    run.result(21, "b", False)  # b is broken itself
    assert run.tickets()[-1] == ("b", "open")
    assert [t for t in run.tickets() if t[1] == "open"] == [("router", "open"), ("b", "open")]
    assert run.opened()[-1].started_at == T0 + timedelta(seconds=20)  # from the release


@pytest.mark.parametrize("first", ["child", "router"])
@pytest.mark.parametrize("attached", [True, False])
def test_a_child_failing_in_the_instant_its_parent_recovers_has_timers_from_the_recovery(
        tmp_path: Path, first: str, attached: bool) -> None:
    # attached: the router's ticket held the child; else no rule opened one for the router
    quiet = "" if attached else '[rules.quiet]\ntags = ["core"]\nopen_ticket = false\n'
    config = build_config(tmp_path, device("router", tags=["core"])
                          + device("a", parents=["router"]),
                          rules=quiet + '[rules.down]\npriority = "P2"\n')
    run = Run(config)
    for name in ("router", "a"):
        run.result(0, name, True)
    for second in (10, 12):
        for name in ("router", "a"):
            run.result(second, name, False)
    for name in ([first, "router" if first == "child" else "a"]):
        run.result(20, "a" if name == "child" else name, name == "router")
    run.results(22, "a", "--")
    [child] = [d for d in run.opened() if d.key == CheckKey("a", "ping")]
    assert child.started_at == T0 + timedelta(seconds=20)  # not 10: it was unreachable


@pytest.mark.parametrize(
    ("down", "expected"),
    [
        # one uplink left: r1 has its ticket, the child's failure is its own
        (["r1"], [("r1", "open"), ("child", "open")]),
        (["r1", "r2"], [("r1", "open"), ("r2", "open"), ("child", "attach:r1")]),
    ],
)
def test_redundant_parents_count_only_when_all_are_down(
    tmp_path: Path, down: list[str], expected: list[tuple[str, str]]
) -> None:
    config = build_config(tmp_path, device("r1") + device("r2") + device(
        "child", parents=["r1", "r2"], redundant_parents=True))
    run = Run(config)
    for name in ("r1", "r2", "child"):
        run.result(0, name, True)
    for second in (10, 12):
        for name in ("r1", "r2"):
            run.result(second, name, name not in down)
        run.result(second, "child", False)
    run.tick(13)
    assert run.tickets() == expected


WINDOW = """
[maintenance.patching]
devices = ["host"]
timezone = "Europe/Helsinki"
start = 2026-06-01T15:00:00
end = 2026-06-01T15:30:00
"""  # 12:00-12:30 UTC (EEST is UTC+3); T0 is 12:00 UTC


def test_no_ticket_during_maintenance_and_one_at_its_end_if_still_down(tmp_path: Path) -> None:
    run = Run(build_config(tmp_path, device("host"), extra=WINDOW))
    run.results(60, "host", "+--")
    assert run.tickets() == []
    assert run.suppressed() == [("host", "maintenance patching")]
    run.results(600, "host", "--")
    run.tick(1799)
    assert run.tickets() == []
    run.tick(1800)  # 12:30 UTC: the window ends, the host is still down
    run.tick(1801)
    assert run.tickets() == [("host", "open")]
    assert run.opened()[0].started_at == T0 + timedelta(minutes=30)  # timers from the end


def test_a_device_that_recovers_inside_the_window_never_opens_a_ticket(tmp_path: Path) -> None:
    run = Run(build_config(tmp_path, device("host"), extra=WINDOW))
    run.results(60, "host", "+---+")
    run.tick(1900)
    assert run.tickets() == []


@pytest.mark.parametrize(
    ("utc_time", "inside"),
    [
        ("2026-03-29T00:29:00", False),  # 02:29 EET, before the 02:30 start
        ("2026-03-29T00:30:00", True),  # 02:30 EET: the window starts
        ("2026-03-29T01:15:00", True),  # 04:15 EEST: clocks went forward at 03:00
        ("2026-03-29T02:29:00", True),  # two real hours after the start...
        ("2026-03-29T02:30:00", False),  # ...and no more (the duration is elapsed time)
        ("2026-10-25T00:30:00", True),  # 03:30 EEST on the autumn change day (Sunday)
        ("2026-10-25T01:59:00", True),
        ("2026-10-25T02:30:00", False),
    ],
)
def test_weekly_window_across_dst_changes(tmp_path: Path, utc_time: str, inside: bool) -> None:
    from datetime import UTC, datetime

    extra = ('\n[maintenance.sunday]\ntags = ["batch"]\ntimezone = "Europe/Helsinki"\n'
             'weekly = ["sun 02:30"]\nduration_min = 120\n')
    if utc_time.startswith("2026-10"):
        extra = extra.replace("sun 02:30", "sun 03:30")
    config = build_config(tmp_path, device("host", tags=["batch"]), extra=extra)
    [window] = config.maintenance
    at = datetime.fromisoformat(utc_time).replace(tzinfo=UTC)
    assert (window.window_at(at) is not None) == inside


def test_cron_windows_use_crontab_weekday_numbers(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    extra = ('\n[maintenance.tuesdays]\ndevices = ["host"]\ntimezone = "UTC"\n'
             'cron = "0 22 * * 2"\nduration_min = 60\n')
    [window] = build_config(tmp_path, device("host"), extra=extra).maintenance
    tuesday = datetime(2026, 6, 2, 22, 30, tzinfo=UTC)
    assert window.window_at(tuesday) is not None
    assert window.window_at(tuesday + timedelta(days=1)) is None


def test_windows_over_a_range_for_each_schedule_kind(tmp_path: Path) -> None:
    """What availability excludes: every occurrence overlapping a range, in UTC."""
    from datetime import UTC, datetime

    extra = ('\n[maintenance.sunday]\ndevices = ["host"]\ntimezone = "Europe/Helsinki"\n'
             'weekly = ["sun 02:30"]\nduration_min = 120\n'
             '\n[maintenance.nightly]\ndevices = ["host"]\ntimezone = "UTC"\n'
             'cron = "0 23 * * *"\nduration_min = 90\n'
             '\n[maintenance.late]\ndevices = ["host"]\ntimezone = "Europe/Helsinki"\n'
             'weekly = ["sat 23:30"]\nduration_min = 120\n'
             '\n[maintenance.once]\ndevices = ["host"]\ntimezone = "UTC"\n'
             'start = 2026-03-28T10:00:00\nend = 2026-03-28T11:00:00\n')
    sunday, nightly, late, once = build_config(tmp_path, device("host"), extra=extra).maintenance

    def utc(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)

    def spans(found: list[Window]) -> list[tuple[str, str]]:
        return [(w.start.isoformat()[:16], w.end.isoformat()[:16]) for w in found]

    # 02:30 Helsinki on the spring-forward Sunday is 00:30 UTC and lasts two real hours.
    assert spans(sunday.windows(utc("2026-03-22T00:00"), utc("2026-03-30T00:00"))) == [
        ("2026-03-22T00:30", "2026-03-22T02:30"), ("2026-03-29T00:30", "2026-03-29T02:30")]
    # an occurrence that began before the range and reaches into it is included
    assert spans(nightly.windows(utc("2026-03-29T00:00"), utc("2026-03-30T00:00"))) == [
        ("2026-03-28T23:00", "2026-03-29T00:30"), ("2026-03-29T23:00", "2026-03-30T00:30")]
    # Saturday 23:30 Helsinki reaches into Sunday: found from a range that starts on Sunday
    assert spans(late.windows(utc("2026-03-28T22:00"), utc("2026-03-28T22:01"))) == [
        ("2026-03-28T21:30", "2026-03-28T23:30")]
    assert spans(once.windows(utc("2026-03-28T10:59"), utc("2026-03-29T00:00"))) == [
        ("2026-03-28T10:00", "2026-03-28T11:00")]
    assert once.windows(utc("2026-03-28T11:00"), utc("2026-03-29T00:00")) == []


FAST_PROBE = ("[probes.ping]\nkind = \"icmp\"\ninterval_s = 10\ntimeout_s = 1\ncount = 1\n"
              "retry_interval_s = 2\nmax_attempts = 1\n")


def test_flapping_keeps_one_ticket_marked_flapping_until_it_settles(tmp_path: Path) -> None:
    run = Run(build_config(tmp_path, device("host"), probes=FAST_PROBE))
    run.results(0, "host", "+-+-+-+-+-+-+-+-")
    opened = run.opened()
    assert [o.reopen for o in opened] == [False] + [True] * (len(opened) - 1)  # one ticket
    marked = [i for i, t in enumerate(run.tickets()) if t[1] in ("flapping", "open-flapping")]
    assert marked
    flapping_at = marked[0]
    assert all(action != "resolve" for _, action in run.tickets()[flapping_at:])
    run.results(40, "host", "+" * 20)
    assert run.tickets()[-2:] == [("host", "steady"), ("host", "resolve")]


def test_a_flapping_check_that_never_goes_hard_still_gets_one_ticket(tmp_path: Path) -> None:
    run = Run(build_config(tmp_path, device("host")))  # max_attempts 2: '+-' never hard
    run.results(0, "host", "+-" * 10)
    assert run.tickets() == [("host", "open-flapping")]
    run.results(60, "host", "+" * 20)
    assert run.tickets() == [("host", "open-flapping"), ("host", "steady"), ("host", "resolve")]


def test_a_recurrence_within_the_window_reopens_the_ticket(tmp_path: Path) -> None:
    run = Run(build_config(tmp_path, device("host")))
    run.results(0, "host", "+--+")
    run.results(600, "host", "--+")  # 10 minutes later: within the default hour
    run.results(9000, "host", "--")  # 2.5 hours later: a new ticket
    assert [(o.reopen, o.started_at) for o in run.opened()] == [
        (False, T0 + timedelta(seconds=2)), (True, T0 + timedelta(seconds=600)),
        (False, T0 + timedelta(seconds=9000))]


def test_recovery_needs_consecutive_successes_when_the_rule_says_so(tmp_path: Path) -> None:
    rules = '[rules.down]\npriority = "P2"\nrecover_after = 3\n'
    run = Run(build_config(tmp_path, device("host"), rules=rules))
    run.results(0, "host", "+--++-+++")
    assert run.tickets() == [("host", "open"), ("host", "resolve")]
    resolved = run.decisions[-1]
    assert resolved.at == T0 + timedelta(seconds=12)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("criticality", "shift", "expected"),
    [("high", 0, "P1"), ("medium", 0, "P2"), ("low", 0, "P4"), ("medium", -1, "P1"),
     ("high", -1, "P1"), ("low", 2, "P4")],
)
def test_priority_from_rule_criticality_and_contract(
    tmp_path: Path, criticality: str, shift: int, expected: str
) -> None:
    rules = '[rules.down]\npriority = { high = "P1", medium = "P2", low = "P4" }\n'
    extra = f"\n[customers.acme.contract]\npriority_shift = {shift}\n"
    config = build_config(tmp_path, device("host", criticality=criticality), rules=rules,
                          extra=extra)
    run = Run(config)
    run.results(0, "host", "+--")
    assert [t.priority for t in run.opened()] == [Priority(expected)]


def test_a_failure_no_rule_covers_is_recorded_but_opens_nothing(tmp_path: Path) -> None:
    rules = '[rules.only-routers]\ntags = ["router"]\n'
    run = Run(build_config(tmp_path, device("host"), rules=rules))
    run.results(0, "host", "+-----")
    run.tick(20)
    assert run.tickets() == []
    assert run.suppressed() == [("host", "no rule opens a ticket")]


def test_after_a_restart_a_still_failing_check_opens_no_second_ticket(tmp_path: Path) -> None:
    config = build_config(tmp_path, device("host"))
    first = Run(config)
    first.results(0, "host", "+--")
    states = dict(first.engine.states)
    restarted = Run(config, states=states, open_problems={"check:host/ping": False})
    restarted.results(10, "host", "---")
    restarted.tick(20)
    assert restarted.tickets() == []
    restarted.result(30, "host", True)
    assert restarted.tickets() == [("host", "resolve")]


def test_a_new_decision_carries_the_check_and_customer(tmp_path: Path) -> None:
    run = Run(build_config(tmp_path, device("host")))
    run.results(0, "host", "+--")
    [ticket] = run.opened()
    assert isinstance(ticket, OpenIncident)
    assert (ticket.key, ticket.customer, ticket.rule) == (CheckKey("host", "ping"), "acme", "down")


@pytest.mark.parametrize(
    ("pattern", "flapping"),
    [
        ("+" * 21, False),
        ("+" * 10 + "-" * 11, False),  # one outage is one change, not flapping
        ("++--++--++--++--++--+", True),  # 10 changes in 20: 50 %
        ("+-+-+-", False),  # 5 changes: too few to call it yet (below 30 % of the window)
        ("+-+-+-+", True),  # the 7th result makes six recent changes: above 30 %
    ],
)
def test_flap_percent_table(pattern: str, flapping: bool) -> None:
    from bridge.core import flap

    state = flap.FlapState()
    for ch in pattern:
        state = flap.record(state, ch == "+")
    assert state.flapping is flapping, state.percent


def test_flapping_stops_only_below_the_low_threshold() -> None:
    from bridge.core import flap

    state = flap.FlapState()
    for ch in "+-" * 10 + "+":
        state = flap.record(state, ch == "+")
    assert state.flapping
    steps = 0
    while state.flapping:
        state = flap.record(state, True)
        steps += 1
    assert state.percent < 25.0
    assert steps > 1  # hysteresis: it does not stop at the first calm result


FLEET = "".join(device(f"{c}-{i}", customer=c) for c in ("acme", "globex", "initech")
                for i in range(5))
CUSTOMERS = '\n[customers.globex]\nname = "Globex"\n\n[customers.initech]\nname = "Initech"\n'


def fleet_run(tmp_path: Path, main: str = "") -> Run:
    run = Run(build_config(tmp_path, FLEET, extra=CUSTOMERS, main=main))
    for name in run.engine.config.devices:
        run.result(0, name, True)
    return run


def test_a_mass_outage_across_customers_is_a_monitoring_gap_not_fifteen_tickets(
    tmp_path: Path,
) -> None:
    run = fleet_run(tmp_path)
    names = list(run.engine.config.devices)
    for second, name in enumerate(names):  # checks spread over the interval fail one by one
        run.result(10 + second * 0.5, name, False)
        run.tick(10 + second * 0.5)
    for second in range(20, 40, 2):
        for name in names:
            run.result(second, name, False)
        run.tick(second + 1)
    assert run.tickets() == [("gap:monitoring", "open")]
    [gap_ticket] = run.opened()
    assert (gap_ticket.customer, gap_ticket.priority) == ("bridge", Priority.P1)
    assert gap_ticket.summary.endswith("of 15 checks of 2 customers fail together")
    # the network comes back: everything answers, nothing was ever paged
    for name in names:
        run.result(50, name, name != "acme-0")
    run.tick(51)
    run.results(52, "acme-0", "---")
    run.tick(60)
    assert run.tickets() == [("gap:monitoring", "open"), ("gap:monitoring", "resolve"),
                             ("acme-0", "open")]
    assert run.opened()[-1].started_at >= T0 + timedelta(seconds=51)  # from the gap's end


def test_canaries_that_answer_make_a_mass_outage_real(tmp_path: Path) -> None:
    run = fleet_run(tmp_path, main='[monitoring]\ncanaries = ["initech-4"]\n'
                                  'gap_grace_s = 5\n')
    failing = [n for n in run.engine.config.devices if n != "initech-4"]
    for second in range(10, 30, 2):
        for name in failing:
            run.result(second, name, False)
        run.result(second, "initech-4", True)
        run.tick(second + 1)
    assert ("gap:monitoring", "open") not in run.tickets()
    assert len(run.opened()) == 14  # the customers' outage is real: their tickets open


def test_checks_failing_on_the_monitoring_host_are_a_gap_and_count_no_attempt(
    tmp_path: Path,
) -> None:
    from bridge.core.results import ProbeResult

    run = fleet_run(tmp_path)
    for second in range(10, 40, 2):
        for name in run.engine.config.devices:
            at = T0 + timedelta(seconds=second)
            out, _ = run.engine.on_result(CheckKey(name, "ping"), ProbeResult(
                False, at, 0.0, "no permission for ICMP sockets", local=True))
            run.decisions += out
        run.tick(second + 1)
    assert run.tickets() == [("gap:monitoring", "open")]
    assert "15 of 15 checks fail on the monitoring host itself" in run.opened()[0].summary
    assert all(s.attempts == 0 for s in run.engine.states.values())


def test_a_device_removed_from_the_config_takes_its_ticket_with_it(tmp_path: Path) -> None:
    config = build_config(tmp_path / "a", device("host") + device("other"))
    run = Run(config)
    run.results(0, "host", "+--")
    smaller = build_config(tmp_path / "b", device("other"))
    decisions = run.engine.apply_config(smaller, T0 + timedelta(seconds=30))
    assert [(type(d).__name__, d.problem_key) for d in decisions] == [  # type: ignore[union-attr]
        ("ResolveIncident", "check:host/ping")]
    assert "removed from the configuration" in decisions[0].summary  # type: ignore[union-attr]


def test_a_window_added_through_the_api_holds_tickets_like_a_configured_one(
    tmp_path: Path,
) -> None:
    from bridge.core.maintenance import MaintenanceRule, OneOff

    run = Run(build_config(tmp_path, device("host")))
    run.engine.extra_windows = (MaintenanceRule(
        "api-7", OneOff(T0, T0 + timedelta(minutes=5)), frozenset({"host"}), frozenset(),
        frozenset()),)
    run.results(10, "host", "+--")
    assert (run.tickets(), run.suppressed()) == ([], [("host", "maintenance api-7")])
    run.tick(301)
    assert run.tickets() == [("host", "open")]


def test_rules_can_treat_flapping_differently_from_an_outage(tmp_path: Path) -> None:
    rules = ('[rules.flapping]\nconditions = ["flapping"]\npriority = "P4"\n\n'
             '[rules.down]\nconditions = ["down"]\npriority = "P2"\n')
    flapping = Run(build_config(tmp_path / "a", device("host"), rules=rules))
    flapping.results(0, "host", "+-" * 10)
    down = Run(build_config(tmp_path / "b", device("host"), rules=rules))
    down.results(0, "host", "+---")
    assert [(t.rule, t.priority) for t in flapping.opened()] == [("flapping", Priority.P4)]
    assert [(t.rule, t.priority) for t in down.opened()] == [("down", Priority.P2)]


def test_a_device_removed_while_the_daemon_was_stopped_has_its_ticket_resolved_at_start(
    tmp_path: Path,
) -> None:
    before = Run(build_config(tmp_path / "a", device("host") + device("other")))
    before.results(0, "host", "+--")
    saved = dict(before.engine.states)
    restarted = Run(build_config(tmp_path / "b", device("other")), states=saved,
                    open_problems={"check:host/ping": False}, now=T0 + timedelta(minutes=5))
    assert restarted.tickets() == []
    restarted.tick(301)  # the daemon hands start-up decisions on with its first tick
    assert restarted.tickets() == [("host", "resolve")]
    assert "removed from the configuration" in restarted.decisions[0].summary  # type: ignore[union-attr]

def _chain_down(tmp_path: Path) -> Run:
    """The router-switch-host chain up at 0 s, then all three failing at 10 and 12 s."""
    run = Run(build_config(tmp_path, CHAIN))
    for name in ("router", "switch", "host"):
        run.result(0, name, True)
    for second in (10, 12):
        for name in ("router", "switch", "host"):
            run.result(second, name, False)
    return run


@pytest.mark.parametrize("first", ["router", "switch"])
def test_a_chain_recovering_in_any_order_opens_no_ticket_from_stale_results(
    tmp_path: Path, first: str
) -> None:
    run = _chain_down(tmp_path)
    order = [first, "router" if first == "switch" else "switch"]
    for name in order:  # both answer again in the same instant; the host has not been checked
        run.result(20, name, True)
    assert [t for t in run.tickets() if t[1] == "open"] == [("router", "open")]
    assert "host" in run.rechecked()
    run.result(21, "host", True)
    run.tick(22)
    assert [t for t in run.tickets() if t[1] == "open"] == [("router", "open")]


def test_a_child_still_down_after_its_chain_recovers_dates_its_ticket_from_then(
    tmp_path: Path,
) -> None:
    run = _chain_down(tmp_path)
    run.result(20, "switch", True)
    run.result(20, "router", True)
    run.results(21, "host", "--")
    [*_, host] = run.opened()
    assert host.key == CheckKey("host", "ping")
    assert host.started_at == T0 + timedelta(seconds=20)


def test_when_the_root_recovers_but_the_middle_stays_down_the_child_follows_the_middle(
    tmp_path: Path,
) -> None:
    run = _chain_down(tmp_path)
    run.result(20, "router", True)
    run.results(21, "switch", "--")  # the switch is broken itself
    run.results(21, "host", "--")
    opened = [t for t in run.tickets() if t[1] == "open"]
    assert opened == [("router", "open"), ("switch", "open")]
    assert run.tickets()[-1] == ("host", "attach:switch")
    host_moves = [action for name, action in run.tickets() if name == "host"]
    assert host_moves == ["attach:router", "detach", "attach:switch"]


def test_a_rules_max_attempts_overrides_the_probes(tmp_path: Path) -> None:
    rules = '[rules.down]\npriority = "P2"\nmax_attempts = 4\n'
    run = Run(build_config(tmp_path, device("host"), rules=rules))
    run.results(0, "host", "+---")  # three failures: hard for the probe (2), not the rule (4)
    assert run.tickets() == []
    run.result(8, "host", False)
    assert run.tickets() == [("host", "open")]


def test_the_probes_own_recover_after_applies_without_a_rule_override(tmp_path: Path) -> None:
    probes = (
        "[probes.ping]\nkind = \"icmp\"\ninterval_s = 10\ntimeout_s = 1\ncount = 1\n"
        "retry_interval_s = 2\nmax_attempts = 2\nrecover_after = 2\n")
    run = Run(build_config(tmp_path, device("host"), probes=probes))
    run.results(0, "host", "+--+")
    assert run.tickets() == [("host", "open")]  # one success is not enough
    run.result(8, "host", True)
    assert run.tickets() == [("host", "open"), ("host", "resolve")]


def _gap_notes(run: Run) -> list[str]:
    """What the log says of tickets held for a suspected gap."""
    return [d.note for d in run.decisions if isinstance(d, SuspectGap) and d.note]


# A third of the checks, of two customers: a gap is suspected, not confirmed.
SPREAD = ["acme-0", "acme-1", "acme-2", "globex-0", "globex-1"]


def test_while_a_gap_is_only_suspected_new_tickets_wait_for_the_grace(tmp_path: Path) -> None:
    run = fleet_run(tmp_path, main="[monitoring]\ngap_grace_s = 20\n")
    for second in (10, 12):
        for name in SPREAD:
            run.result(second, name, False)
        run.tick(second)
    run.tick(25)
    assert run.tickets() == []  # 13 s after the suspicion began
    run.tick(31)
    assert sorted(run.tickets()) == [(n, "open") for n in sorted(SPREAD)]
    assert _gap_notes(run) == [
        "holding 5 new tickets: monitoring gap suspected (5 of 15 checks of 2 customers "
        "fail); up to 18 s more",
        "released 5 held tickets: no monitoring gap after 20 s",
    ]


def test_one_customers_site_down_on_a_small_fleet_is_no_suspected_gap(tmp_path: Path) -> None:
    fleet = "".join(device(f"acme-{i}") for i in range(8)) + "".join(
        device(f"globex-{i}", customer="globex") for i in range(9))
    run = Run(build_config(tmp_path, fleet, extra=CUSTOMERS))
    for name in run.engine.config.devices:
        run.result(0, name, True)
    acme = [n for n in run.engine.config.devices if n.startswith("acme")]
    for second in (10, 12):  # 8 checks of 17 fail: all of acme's
        for name in acme:
            run.result(second, name, False)
        run.tick(second)
    assert sorted(run.tickets()) == [(n, "open") for n in sorted(acme)]
    assert _gap_notes(run) == []


def test_a_restart_counts_the_grace_from_the_first_suspicion(tmp_path: Path) -> None:
    """A bridge restarting in a mass outage does not hold new tickets again at each start:
    the suspicion's start is kept, in the store, across the restart."""
    config = build_config(tmp_path, FLEET, extra=CUSTOMERS,
                          main="[monitoring]\ngap_grace_s = 30\n")
    before = Run(config)
    for name in config.devices:
        before.result(0, name, True)
    for name in SPREAD:
        before.result(10, name, False)
    before.tick(10)
    [suspected] = [d for d in before.decisions if isinstance(d, SuspectGap)]
    db = Database(f"sqlite:///{tmp_path / 'bridge.db'}")
    db.migrate()
    apply_batch(db.writer, [d for d in before.decisions if isinstance(d, SaveState)]
                + [suspected], "INC", T0)
    since = load_gap_suspicion(db.reader)
    after = Run(config, states=load_states(db.reader), suspect_since=since)
    assert since == T0 + timedelta(seconds=10)
    # a bridge that was not running for long starts afresh: the old suspicion says nothing
    beat(db.writer, "bridge", T0 + timedelta(seconds=10))
    assert load_gap_suspicion(db.reader) == since  # a beat is not the suspicion
    record_silence(db.writer, "bridge", T0 + timedelta(hours=1))
    assert load_gap_suspicion(db.reader) is None
    db.dispose()
    for name in SPREAD:  # 25 s later, still failing: the checks go hard
        after.result(35, name, False)
    after.tick(35)
    assert after.tickets() == []
    after.tick(41)  # 31 s after the suspicion began, not 6 s after the restart
    assert sorted(after.tickets()) == [(n, "open") for n in sorted(SPREAD)]
    assert _gap_notes(after)[-1] == "released 5 held tickets: no monitoring gap after 30 s"


def test_failing_canaries_confirm_a_mass_outage_as_a_gap(tmp_path: Path) -> None:
    run = fleet_run(tmp_path, main='[monitoring]\ncanaries = ["initech-4"]\n')
    for second in range(10, 30, 2):
        for name in run.engine.config.devices:
            run.result(second, name, False)
        run.tick(second + 1)
    assert run.tickets() == [("gap:monitoring", "open")]
    assert run.opened()[0].summary.endswith("and every canary fails")


def test_checks_taken_up_from_another_engine_go_on_and_the_others_keep_their_memory(
        tmp_path: Path) -> None:
    """A shard changing hands: the new owner adopts its checks as the old owner left them
    (state, flap history, ticket); its own checks keep what only it knew."""
    config = build_config(tmp_path, device("mine") + device("theirs"))  # max_attempts 2
    old, new = Run(config), Run(config)
    old.results(0, "theirs", "+-" * 10)
    new.results(0, "mine", "+-" * 10)
    assert old.tickets() == [("theirs", "open-flapping")]
    assert new.tickets() == [("mine", "open-flapping")]
    theirs = CheckKey("theirs", "ping")
    saved = [d for d in old.decisions if isinstance(d, SaveState)][-1]  # what the store has
    new.engine.adopt([theirs], Stored({theirs: saved.state}, {theirs: saved.flap},
                                      {"check:theirs/ping": True}, {}, {}))
    new.results(40, "mine", "+-+-")
    new.results(40, "theirs", "+-+-")
    assert new.tickets() == [("mine", "open-flapping")]  # nothing steadied, nothing resolved
    new.results(60, "mine", "+" * 20)
    new.results(60, "theirs", "+" * 20)
    assert new.tickets()[1:] == [("mine", "steady"), ("mine", "resolve"),
                                 ("theirs", "steady"), ("theirs", "resolve")]


def test_the_fleet_view_reads_checks_tickets_as_the_engine_keeps_them(tmp_path: Path) -> None:
    """What another instance reads of a chain's tickets (store/reads.py load_check_tickets)
    is what the engine that decided them keeps."""
    run = chain_down(tmp_path)
    db = Database(f"sqlite:///{tmp_path / 'fleet.db'}")
    db.migrate()
    try:
        apply_batch(db.writer, run.decisions, "INC", T0 + timedelta(seconds=13))
        problems, attached = load_check_tickets(db.reader)
    finally:
        db.dispose()
    assert problems == {"check:router/ping": False}
    assert attached == {CheckKey("switch", "ping"): "check:router/ping",
                        CheckKey("host", "ping"): "check:router/ping"}
